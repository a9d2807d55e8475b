// Errors that carry their own exit code, so that the CLI can map every failure to a stable status:
// 2 for a usage or configuration mistake (the user must change the invocation), 1 for a failure
// while running (unreadable data, a store that cannot be written, a diverged setup).
#pragma once

#include <stdexcept>
#include <string>

namespace descent {

enum class ExitCode : int { ok = 0, runtime_failure = 1, usage_error = 2 };  // interrupted: 128 + signal (train/callbacks.hpp)

class Error : public std::runtime_error {
public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

private:
  ExitCode code_;
};

// A config file, a config key or an override has a bad value. The message names the key.
class ConfigError : public Error {
public:
  explicit ConfigError(const std::string& message) : Error(ExitCode::usage_error, message) {}
};

// A data file is missing or malformed. The message names the file and the fault.
class DataError : public Error {
public:
  explicit DataError(const std::string& message) : Error(ExitCode::runtime_failure, message) {}
};

// The run store cannot be opened, read or written.
class StoreError : public Error {
public:
  explicit StoreError(const std::string& message) : Error(ExitCode::runtime_failure, message) {}
};

}  // namespace descent
