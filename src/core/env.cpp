#include "descent/core/env.hpp"

#include <fmt/format.h>

#include <dlfcn.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>

#include "descent/core/error.hpp"

namespace descent::env {

std::string hostname() {
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) != 0) return "unknown";
  return name.data();
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("g++ ") + __VERSION__;
#else
  return "unknown";
#endif
}

std::string utc_now() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::array<char, 32> buffer{};
  std::strftime(buffer.data(), buffer.size(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buffer.data();
}

void set_blas_threads(int threads) {
  using SetThreads = void (*)(int);
  if (auto* set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set(threads);
  }
}

void pin_blas_threads_to_one() { set_blas_threads(1); }

void require_writable_directory(const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) throw Error(ExitCode::runtime_failure, fmt::format("{}: cannot create this folder: {}", dir.string(), error.message()));
  std::string probe = (dir / ".descent-write-test.tmp-XXXXXX").string();
  const int fd = mkstemp(probe.data());
  if (fd < 0) throw Error(ExitCode::runtime_failure, fmt::format("{}: cannot write in this folder: {}", dir.string(), std::strerror(errno)));
  ::close(fd);
  ::unlink(probe.c_str());
}

void write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  std::string temp = path.string() + ".tmp-XXXXXX";
  const int fd = mkstemp(temp.data());
  if (fd < 0) throw Error(ExitCode::runtime_failure, "cannot create " + temp + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      const std::string reason = std::strerror(errno);
      ::close(fd);
      ::unlink(temp.c_str());
      throw Error(ExitCode::runtime_failure, "cannot write " + path.string() + ": " + reason);
    }
    written += static_cast<std::size_t>(n);
  }
  fchmod(fd, 0644);
  if (::fsync(fd) != 0 || ::close(fd) != 0 || std::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    throw Error(ExitCode::runtime_failure, "cannot write " + path.string() + ": " + reason);
  }
}

int remove_stale_temporaries(const std::filesystem::path& dir, double min_age_seconds) {
  std::error_code error;
  if (!std::filesystem::is_directory(dir, error)) return 0;
  const auto now = std::filesystem::file_time_type::clock::now();
  int removed = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir, error)) {
    const std::string name = entry.path().filename().string();
    const auto marker = name.rfind(".tmp-");
    if (marker == std::string::npos || name.size() != marker + 11 || !entry.is_regular_file(error)) continue;  // mkstemp's 6 characters
    const auto age = std::chrono::duration<double>(now - entry.last_write_time(error)).count();
    if (age >= min_age_seconds && std::filesystem::remove(entry.path(), error)) ++removed;
  }
  return removed;
}

}  // namespace descent::env
