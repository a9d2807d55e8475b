#include "helpers.hpp"

#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace descent::testing {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "descent-test-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void write_file(const std::filesystem::path& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary);
  out << content;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, const std::vector<std::uint8_t>& values) {
  std::string bytes = {0, 0, static_cast<char>(type), static_cast<char>(dims.size())};
  for (const std::uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) bytes += static_cast<char>((d >> shift) & 0xFF);
  }
  bytes.append(values.begin(), values.end());
  return bytes;
}

void write_maybe_gzipped(const std::filesystem::path& path, const std::string& bytes) {
  if (path.extension() != ".gz") {
    write_file(path, bytes);
    return;
  }
  gzFile file = gzopen(path.c_str(), "wb");
  gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
}

void write_tiny_fashion_mnist(const std::filesystem::path& dir, int train_count, int test_count) {
  std::filesystem::create_directories(dir);
  std::mt19937 rng(7);
  auto write_part = [&](const std::string& part, int count) {
    std::vector<std::uint8_t> images(static_cast<std::size_t>(count) * 28 * 28), labels(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
      labels[i] = static_cast<std::uint8_t>(rng() % 10);
      // A class-dependent bright band makes the task learnable.
      for (int p = 0; p < 28 * 28; ++p) {
        const bool band = (p / 28) / 3 == labels[i];
        images[static_cast<std::size_t>(i) * 784 + p] = static_cast<std::uint8_t>((band ? 160 : 0) + rng() % 60);
      }
    }
    write_maybe_gzipped(dir / (part + "-images-idx3-ubyte.gz"), idx_bytes(0x08, {static_cast<std::uint32_t>(count), 28, 28}, images));
    write_maybe_gzipped(dir / (part + "-labels-idx1-ubyte.gz"), idx_bytes(0x08, {static_cast<std::uint32_t>(count)}, labels));
  };
  write_part("train", train_count);
  write_part("t10k", test_count);
}

const char* descent_binary() { return DESCENT_BINARY; }

namespace {

// fork + exec of `program` (found on PATH) in `working_dir`, stdout and stderr to the given files.
pid_t start_program(const std::string& program, const std::vector<std::string>& args, const std::filesystem::path& working_dir,
                    const std::filesystem::path& out_path, const std::filesystem::path& err_path) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (chdir(working_dir.c_str()) != 0) _exit(127);
    if (!freopen(out_path.c_str(), "w", stdout) || !freopen(err_path.c_str(), "w", stderr)) _exit(127);
    std::vector<std::string> copies = args;
    copies.insert(copies.begin(), program);
    std::vector<char*> argv;
    for (auto& a : copies) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(program.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

int spawn_program(const std::string& program, const std::vector<std::string>& args, const std::filesystem::path& working_dir,
                  const std::filesystem::path& err_path) {
  return start_program(program, args, working_dir, "/dev/null", err_path);
}

int wait_program(int pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

CommandResult run_program(const std::string& program, const std::vector<std::string>& args,
                          const std::filesystem::path& working_dir) {
  const std::filesystem::path out_path = working_dir / ".stdout", err_path = working_dir / ".stderr";
  CommandResult result;
  result.exit_code = wait_program(start_program(program, args, working_dir, out_path, err_path));
  result.out = read_file(out_path);
  result.err = read_file(err_path);
  return result;
}

CommandResult run_descent(const std::vector<std::string>& args, const std::filesystem::path& working_dir) {
  return run_program(DESCENT_BINARY, args, working_dir);
}

}  // namespace descent::testing
