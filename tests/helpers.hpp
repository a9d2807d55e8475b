// Test utilities: temporary folders, IDX files written byte by byte, running the descent program.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace descent::testing {

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
  std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& content);
std::string read_file(const std::filesystem::path& path);

// Raw IDX bytes: magic (0, 0, type, rank), big-endian dims, then `values`.
std::string idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& values);
// Writes bytes gzip-compressed when the path ends in .gz.
void write_maybe_gzipped(const std::filesystem::path& path, const std::string& bytes);

// Writes a small Fashion-MNIST-shaped dataset (train and t10k, 28x28, labels 0..9) into `dir`.
void write_tiny_fashion_mnist(const std::filesystem::path& dir, int train_count, int test_count);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// The path of the descent program under test.
const char* descent_binary();

// Runs `descent ARGS...` in `working_dir` and waits for it.
CommandResult run_descent(const std::vector<std::string>& args, const std::filesystem::path& working_dir);
// Starts a program (found on PATH) with ARGS in `working_dir` without waiting; returns its pid. Its output
// is discarded, or its stderr kept in `err_path` (so that a test can say why a worker failed).
int spawn_program(const std::string& program, const std::vector<std::string>& args, const std::filesystem::path& working_dir,
                  const std::filesystem::path& err_path = "/dev/null");
// Waits for a spawned program; returns its exit code (128 + signal when killed).
int wait_program(int pid);
// Runs any program (found on PATH) with ARGS in `working_dir` and waits for it.
CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::filesystem::path& working_dir);

}  // namespace descent::testing
