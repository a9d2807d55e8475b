// Fuzzes the study-file reader with command-line overrides: the input is a TOML text, optionally
// followed by a line "%%" and one `key.path=value` override per line, as `descent study FILE
// key=value ...` would receive them. Seeds: fuzz/corpus/config (the examples and the bad-input
// corpus's study files).
#include <string>
#include <string_view>
#include <vector>

#include "descent/study/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view kSeparator = "\n%%\n";
  const std::size_t split = input.find(kSeparator);
  const std::string_view toml_text = input.substr(0, split);
  std::vector<std::string> overrides;
  if (split != std::string_view::npos) {
    std::string_view rest = input.substr(split + kSeparator.size());
    while (!rest.empty()) {
      const std::size_t end = rest.find('\n');
      overrides.emplace_back(rest.substr(0, end));
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
  }
  descent::fuzz::expect_clean_refusal_or_success(
      [&] { descent::study::parse_study_config(toml_text, "fuzz.toml", overrides); });
  return 0;
}
