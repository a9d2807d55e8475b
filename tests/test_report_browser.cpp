// Renders a real study report in headless Chromium: the page must load its data and draw its
// charts without a script error, and a screenshot must come out. Skips when Chromium is absent.
#include <gtest/gtest.h>

#include <cstdlib>

#include "helpers.hpp"

namespace descent::testing {
namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kFlags =
    " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
    " --disable-component-update --disable-sync --allow-file-access-from-files";

TEST(ReportInBrowser, LoadsDataWithoutScriptErrors) {
  if (!std::filesystem::exists(kChromium)) GTEST_SKIP() << "Chromium is not installed (Debian package chromium)";
  TempDir dir;
  write_file(dir / "s.toml",
             "[study]\nname = \"browser\"\nseeds = [0, 1, 2]\n[data]\ndataset = \"gaussian-mixture\"\n[train]\nepochs = 2\n"
             "log_every = 2\n[[optimizers]]\nname = \"sgd\"\nlr = 0.1\n[[optimizers]]\nname = \"adam\"\n");
  ASSERT_EQ(run_descent({"study", "s.toml", "--quiet"}, dir.path()).exit_code, 0);
  const auto html = dir / "runs/reports/browser/report.html";
  const std::string profile = (dir / "profile").string();
  const std::string base = std::string(kChromium) + kFlags + " --user-data-dir=" + profile;

  const std::string dom_path = (dir / "dom.html").string();
  const std::string dump = base + " --virtual-time-budget=5000 --dump-dom file://" + html.string() + " > " + dom_path + " 2>/dev/null";
  ASSERT_EQ(std::system(dump.c_str()), 0) << dump;
  const std::string dom = read_file(dom_path);
  EXPECT_NE(dom.find("data-descent-status=\"ok\""), std::string::npos) << dom.substr(0, 2000);
  EXPECT_EQ(dom.find("data-descent-error"), std::string::npos);
  // train loss, test accuracy, test loss, learning rate, batch size (no validation split here)
  EXPECT_NE(dom.find("data-descent-charts=\"5\""), std::string::npos);
  // uPlot draws the charts when the build's npm step installed it; descent's SVG otherwise.
  const bool has_uplot = std::filesystem::exists(std::filesystem::path(DESCENT_WEB_DIR) / "uPlot.iife.min.js");
  EXPECT_NE(dom.find(has_uplot ? "data-descent-renderer=\"uplot\"" : "data-descent-renderer=\"svg\""), std::string::npos);

  const std::string png = (dir / "report.png").string();
  const std::string shot = base + " --window-size=1400,1800 --virtual-time-budget=5000 --screenshot=" + png + " file://" +
                           html.string() + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(shot.c_str()), 0) << shot;
  ASSERT_TRUE(std::filesystem::exists(png));
  EXPECT_GT(std::filesystem::file_size(png), 20000u);
  if (const char* keep = std::getenv("DESCENT_KEEP_SCREENSHOT")) std::filesystem::copy_file(png, keep, std::filesystem::copy_options::overwrite_existing);
}

}  // namespace
}  // namespace descent::testing
