// What the fuzz targets share: the input as a file (the readers under test take paths, as users
// give them), and the one rule they check. A reader may refuse any input, but only with descent's
// own error (a message naming the file or key, the exit code the CLI maps it to); anything else
// escaping, a crash, a hang or a sanitizer report is a defect.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "descent/core/error.hpp"

namespace descent::fuzz {

// A file of this process, rewritten for every input (in /dev/shm when it exists: no disk writes).
inline const std::filesystem::path& scratch_file(const char* stem) {
  static const std::filesystem::path path = [stem] {
    const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
    return dir / (std::string("descent-fuzz-") + stem + "-" + std::to_string(::getpid()));
  }();
  return path;
}

inline const std::filesystem::path& write_scratch(const char* stem, const std::uint8_t* data, std::size_t size) {
  const std::filesystem::path& path = scratch_file(stem);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  out.close();
  if (!out) {
    std::fprintf(stderr, "fuzz: cannot write %s\n", path.c_str());
    std::abort();
  }
  return path;
}

// Runs `read`; descent::Error is a clean refusal, any other exception a finding (abort, so that
// libFuzzer keeps the input as a crash artifact).
template <typename Read>
void expect_clean_refusal_or_success(Read&& read) {
  try {
    read();
  } catch (const descent::Error&) {
  } catch (const std::exception& error) {
    std::fprintf(stderr, "fuzz: escaped as a non-descent exception: %s\n", error.what());
    std::abort();
  }
}

}  // namespace descent::fuzz
