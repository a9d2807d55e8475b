// Fuzzes the refined-schedule file (what `descent refine` writes, {"values": [...]}) as a study
// names it in `[schedule] kind = "refined", file = ...`. Seeds: fuzz/corpus/refined_schedule.
#include <fmt/format.h>

#include "descent/study/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = descent::fuzz::write_scratch("refined", data, size);
  const std::string study = fmt::format(R"([study]
name = "fuzz"
[data]
dataset = "gaussian-mixture"
[[optimizers]]
name = "sgd"
lr = 0.1
[schedule]
kind = "refined"
file = "{}"
)",
                                        path.string());
  descent::fuzz::expect_clean_refusal_or_success([&] { descent::study::parse_study_config(study, "fuzz.toml"); });
  return 0;
}
