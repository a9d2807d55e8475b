// The bad-input corpus: tests/bad_inputs/NAME.json, one case each. A case gives the command line
// (and, optionally, environment variables), the files it runs among, the exit code, and the words
// its message must contain. Every case must
// also leave its input files as they were and, unless it says otherwise, write nothing (no runs/
// folder): a bad input is refused before work starts.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "helpers.hpp"

namespace descent::testing {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(BadInputs, EveryCaseIsRefusedClearlyAndLeavesNothingBehind) {
  const std::filesystem::path corpus = std::filesystem::path(DESCENT_SOURCE_DIR) / "tests/bad_inputs";
  std::vector<std::filesystem::path> cases;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().extension() == ".json") cases.push_back(entry.path());
  }
  std::sort(cases.begin(), cases.end());
  ASSERT_GE(cases.size(), 20u);
  for (const auto& file : cases) {
    SCOPED_TRACE(file.filename().string());
    const auto spec = nlohmann::json::parse(read_all(file));
    TempDir dir;
    for (const auto& [name, content] : spec.at("files").items()) write_file(dir / name, content.get<std::string>());
    const auto args = spec.at("args").get<std::vector<std::string>>();
    const nlohmann::json environment = spec.value("env", nlohmann::json::object());
    std::vector<std::string> with_environment;
    for (const auto& [name, value] : environment.items()) with_environment.push_back(name + "=" + value.get<std::string>());
    with_environment.push_back(descent_binary());
    with_environment.insert(with_environment.end(), args.begin(), args.end());
    const auto result = run_program("env", with_environment, dir.path());
    EXPECT_EQ(result.exit_code, spec.at("exit").get<int>()) << spec.at("why").get<std::string>() << "\n" << result.err;
    for (const auto& words : spec.at("message")) {
      EXPECT_NE(result.err.find(words.get<std::string>()), std::string::npos) << "missing '" << words << "' in:\n" << result.err;
    }
    EXPECT_LT(result.err.size(), 2000u) << "a message should be a line or two";
    for (const auto& [name, content] : spec.at("files").items()) {
      EXPECT_EQ(read_all(dir / name), content.get<std::string>()) << name << " was changed";
    }
    if (spec.at("leaves_nothing").get<bool>()) EXPECT_FALSE(std::filesystem::exists(dir / "runs")) << "runs/ was written";
  }
}

}  // namespace
}  // namespace descent::testing
