#include "descent/data/text.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <vector>

#include "descent/core/error.hpp"

namespace descent::data {
namespace {

std::string read_corpus(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw DataError(fmt::format("{}: no such file or folder", path.string()));
  std::vector<std::filesystem::path> files;
  if (std::filesystem::is_directory(path)) {
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      if (entry.is_regular_file() && !entry.is_symlink()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  std::string text;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw DataError(fmt::format("{}: cannot read", file.string()));
    std::ostringstream content;
    content << in.rdbuf();
    text += content.str();
  }
  return text;
}

// Windows of `context` inputs and their next characters, starting every `context` characters of
// text[begin, end).
Dataset windows(const std::string& text, std::size_t begin, std::size_t end, const std::array<std::int64_t, 256>& index,
                std::int64_t vocabulary, std::int64_t context, const std::string& name) {
  Dataset dataset;
  dataset.name = name;
  dataset.sample_shape = {context};
  dataset.num_classes = vocabulary;
  dataset.labels_per_sample = context;
  const auto width = static_cast<std::size_t>(context);
  for (std::size_t start = begin; start + width + 1 <= end; start += width) {
    for (std::size_t k = 0; k < width; ++k) {
      dataset.features.push_back(static_cast<float>(index[static_cast<unsigned char>(text[start + k])]));
      dataset.labels.push_back(index[static_cast<unsigned char>(text[start + k + 1])]);
    }
  }
  return dataset;
}

}  // namespace

Splits character_text(const TextOptions& options) {
  const std::string text = read_corpus(options.path);
  const auto context = static_cast<std::size_t>(options.context);
  const auto test_begin = static_cast<std::size_t>(static_cast<double>(text.size()) * (1.0 - options.test_fraction));
  if (test_begin < 2 * (context + 1) || text.size() - test_begin < context + 1) {
    throw DataError(fmt::format("{}: {} characters are too few for windows of {} characters", options.path.string(), text.size(),
                                options.context));
  }
  std::array<bool, 256> present{};
  for (const char c : text) present[static_cast<unsigned char>(c)] = true;
  std::array<std::int64_t, 256> index{};
  std::int64_t vocabulary = 0;
  for (int b = 0; b < 256; ++b) index[static_cast<std::size_t>(b)] = present[static_cast<std::size_t>(b)] ? vocabulary++ : -1;
  Splits splits;
  splits.train = windows(text, 0, test_begin, index, vocabulary, options.context, "text/train");
  splits.test = windows(text, test_begin, text.size(), index, vocabulary, options.context, "text/test");
  return splits;
}

}  // namespace descent::data
