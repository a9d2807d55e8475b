// A character-level language-modelling dataset from text files: every regular file of a folder
// (sorted by name, symbolic links skipped) or one file, concatenated. The vocabulary is the set of
// bytes that occur, in byte order. A sample is `context` consecutive characters (their vocabulary
// indices, held as floats in the features) and its labels are the `context` characters that
// follow each position; windows start every `context` characters, and the last `test_fraction` of
// the text is the test split. Debian's base-files package ships /usr/share/common-licenses, about
// 240 kB of English legal text, which is the default corpus.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "descent/data/dataset.hpp"

namespace descent::data {

struct TextOptions {
  std::filesystem::path path = "/usr/share/common-licenses";
  std::int64_t context = 64;
  double test_fraction = 0.1;
};

// Throws DataError naming the path when it is missing, unreadable or too short for one window.
Splits character_text(const TextOptions& options);

}  // namespace descent::data
