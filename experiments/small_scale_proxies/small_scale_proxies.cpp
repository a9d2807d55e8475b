// small-scale-proxies: Wortsman et al. (ICLR 2024) show that instabilities of large transformers
// reproduce in small ones at high learning rates: without qk-layernorm the attention logits grow
// without bound and the loss diverges; qk-layernorm prevents it, and the z-loss keeps the output
// logits' normalizer near zero. Their learning-rate sensitivity, E_eta[min(L(eta), L0) - min L],
// is lower with the mitigations.
#include <fmt/format.h>

#include <cmath>

#include "../study_tools.hpp"
#include "descent/data/splits.hpp"
#include "descent/experiment_configs.hpp"
#include "descent/report/series.hpp"
#include "descent/study/study_runner.hpp"

namespace descent::repro {
namespace {

struct Variant {
  std::string name;
  bool qk_layernorm;
  double z_loss;
};
const std::vector<Variant> kVariants = {{"baseline", false, 0.0}, {"qk-layernorm", true, 0.0}, {"z-loss", false, 1e-4},
                                        {"qk-layernorm + z-loss", true, 1e-4}};
constexpr double kGrowth = 10.0;      // attention-logit growth that counts as "grew"
constexpr double kDivergence = 0.5;   // nats above the sweep's best final loss that count as "diverged"
const std::string kHighestRate = "the highest rate of the sweep (0.003-0.3)";

const Criterion kBaselineDiverges{
    "baseline at the highest rate: attention logits grow and the loss diverges",
    fmt::format("at {}, the baseline's largest attention logit grows > {:.0f}x (first to last log step) and its final training "
                "loss ends > {} nat above the sweep's best (or is not finite)",
                kHighestRate, kGrowth, kDivergence)};
const Criterion kQkLayernormHolds{
    "qk-layernorm at the highest rate: attention logits stay bounded and the loss does not diverge",
    fmt::format("at {}, with qk-layernorm the logit grows <= {:.0f}x and the loss ends within {} nat of the sweep's best", kHighestRate,
                kGrowth, kDivergence)};
// The z-loss, 1e-4 (log Z)^2 added to the loss, exists to hold the output logits' normalizer log Z
// near 0 (Wortsman et al., after PaLM), which keeps the output logits from drifting apart late in
// training (their "output logit divergence").
const Criterion kZLossHoldsLogZ{"the z-loss holds log Z nearer 0",
                                "at the highest rate, |log Z| at the end is smaller with the z-loss than without it, both for the "
                                "baseline and for qk-layernorm"};
const Criterion kLowerSensitivity{"LR sensitivity with qk-layernorm and z-loss against the baseline's",
                                  "the LR sensitivity E[min(L, L0)] - min L over the sweep of qk-layernorm + z-loss is below the "
                                  "baseline's"};

struct RunTrace {
  double first_loss = NAN, final_loss = NAN;
  double first_logit = NAN, final_logit = NAN;  // the largest over layers, at the first and last log step
  double final_log_z = NAN;
  report::BandSeries logit, loss;
};

RunTrace trace_of(const std::vector<MetricRow>& rows) {
  RunTrace trace;
  std::map<std::int64_t, double> logits;
  for (const auto& row : rows) {
    if (row.name.rfind("max_attention_logit/", 0) == 0) {  // per layer; their maximum per step
      auto [it, inserted] = logits.try_emplace(row.step, row.value);
      if (!inserted) it->second = std::max(it->second, row.value);
    }
    if (row.name == "train_loss") {
      if (std::isnan(trace.first_loss)) trace.first_loss = row.value;
      trace.final_loss = row.value;
      trace.loss.add(static_cast<double>(row.step), row.value);
    }
    if (row.name == "output_log_z") trace.final_log_z = row.value;
  }
  for (const auto& [step, value] : logits) {
    if (std::isnan(trace.first_logit)) trace.first_logit = value;
    trace.final_logit = value;
    trace.logit.add(static_cast<double>(step), value);
  }
  return trace;
}

std::string study_name(const Variant& variant) {
  std::string name = "small-scale-proxies-";
  for (const char c : variant.name) {
    if (c == ' ' || c == '+') {
      if (name.back() != '-') name += '-';
    } else {
      name += c;
    }
  }
  return name;  // "small-scale-proxies-qk-layernorm-z-loss"
}

Outcome run_proxies(const Context& context) {
  Outcome outcome;
  std::map<std::string, std::map<std::string, RunTrace>> traces;  // variant -> rate label -> trace
  std::vector<std::string> labels;
  study::StudyConfig base_config = study::parse_study_config(configs::small_scale_proxies, "experiments/small_scale_proxies/study.toml");
  // L0, the loss at initialization, taken as that of the uniform prediction: log(vocabulary size).
  const double initial_loss = std::log(static_cast<double>(data::load_splits(base_config.data).train.num_classes));
  for (const Variant& variant : kVariants) {
    study::StudyConfig config = base_config;
    config.name = study_name(variant);
    config.model.qk_layernorm = variant.qk_layernorm;
    config.train.z_loss = variant.z_loss;
    run(config, context);
    labels.clear();
    for (const auto& entry : config.optimizers) {
      labels.push_back(entry.label);
      const auto runs = metrics_by_seed(context, config.name, entry.label);
      traces[variant.name][entry.label] = runs.empty() ? RunTrace{} : trace_of(runs.begin()->second);
    }
  }
  double best = INFINITY;
  for (const auto& [variant, by_rate] : traces) {
    for (const auto& [label, trace] : by_rate) {
      if (std::isfinite(trace.final_loss)) best = std::min(best, trace.final_loss);
    }
  }
  const auto diverged = [&](const RunTrace& t) { return !std::isfinite(t.final_loss) || t.final_loss > best + kDivergence; };
  const auto growth = [](const RunTrace& t) { return t.final_logit / t.first_logit; };
  // Wortsman et al.'s LR sensitivity: the mean over the sweep of min(L(eta), L0) - min_eta L(eta).
  const auto sensitivity = [&](const std::string& variant) {
    double variant_best = INFINITY, sum = 0.0;
    for (const auto& [label, t] : traces[variant]) variant_best = std::min(variant_best, std::isfinite(t.final_loss) ? t.final_loss : INFINITY);
    for (const auto& [label, t] : traces[variant]) sum += std::min(std::isfinite(t.final_loss) ? t.final_loss : INFINITY, initial_loss) - variant_best;
    return sum / static_cast<double>(traces[variant].size());
  };

  const std::string high = labels.back();
  const RunTrace& base = traces["baseline"][high];
  const RunTrace& qk = traces["qk-layernorm"][high];
  const auto logit_and_loss = [&](const RunTrace& t) {
    return fmt::format("{}: logit {:.3g} -> {:.3g} ({:.3g}x); final loss {:.3f} vs best {:.3f}", high, t.first_logit, t.final_logit,
                       growth(t), t.final_loss, best);
  };
  outcome.record(kBaselineDiverges, logit_and_loss(base), growth(base) > kGrowth && diverged(base));
  outcome.record(kQkLayernormHolds, logit_and_loss(qk), growth(qk) <= kGrowth && !diverged(qk));
  const double base_sensitivity = sensitivity("baseline"), mitigated = sensitivity("qk-layernorm + z-loss");
  const auto log_z = [&](const std::string& variant) { return std::abs(traces[variant][high].final_log_z); };
  outcome.record(kZLossHoldsLogZ,
                 fmt::format("|log Z|: baseline {:.3f}, z-loss {:.3f}; qk-layernorm {:.3f}, qk-layernorm + z-loss {:.3f}", log_z("baseline"),
                             log_z("z-loss"), log_z("qk-layernorm"), log_z("qk-layernorm + z-loss")),
                 log_z("z-loss") < log_z("baseline") && log_z("qk-layernorm + z-loss") < log_z("qk-layernorm"));
  outcome.record(kLowerSensitivity, fmt::format("{:.3f} vs {:.3f} (L0 = {:.3f})", mitigated, base_sensitivity, initial_loss),
                 mitigated < base_sensitivity);

  std::string md = "| variant | " + fmt::format("{}", fmt::join(labels, " | ")) + " | LR sensitivity |\n|---|";
  for (std::size_t i = 0; i <= labels.size(); ++i) md += "---|";
  md += "\n";
  report::ChartSpec logit_chart{fmt::format("Largest attention logit at {} (log scale)", high), "step", "max attention logit", true, {}};
  report::ChartSpec loss_chart{fmt::format("Training loss at {}", high), "step", "train loss", false, {}};
  std::size_t colour = 0;
  for (const Variant& variant : kVariants) {
    md += "| " + variant.name + " |";
    std::size_t best_rate = 0;
    for (std::size_t i = 0; i < labels.size(); ++i) {
      if (traces[variant.name][labels[i]].final_loss < traces[variant.name][labels[best_rate]].final_loss) best_rate = i;
    }
    for (std::size_t i = 0; i < labels.size(); ++i) {
      const RunTrace& t = traces[variant.name][labels[i]];
      // Far above the best: diverged above the best rate, too slow below it.
      const std::string verdict = !diverged(t) ? "" : i > best_rate ? " diverged" : " too slow";
      md += fmt::format(" {:.3f} (logit x{:.3g}, log Z {:.2f}){} |", t.final_loss, growth(t), t.final_log_z, verdict);
    }
    md += fmt::format(" {:.3f} |\n", sensitivity(variant.name));
    logit_chart.lines.push_back({variant.name, report::series_color(colour), traces[variant.name][high].logit});
    loss_chart.lines.push_back({variant.name, report::series_color(colour), traces[variant.name][high].loss});
    ++colour;
  }
  outcome.details_markdown =
      "Character transformer (2 layers, width 64, 4 heads, context 64) on Debian's /usr/share/common-licenses (about 240 kB; "
      "the last 10% is the test split), AdamW beta2 0.95, weight decay 1e-4 (decoupled), gradients clipped to norm 1, 30 warmup "
      "steps then cosine decay, batch 32, 3 "
      "epochs, seed 0. Cells: final training loss (10-step window), growth of the largest attention logit from the first to the "
      "last log step, and the mean log Z of the output logits at the end.\n\n" + md;
  outcome.charts.push_back(logit_chart);
  outcome.charts.push_back(loss_chart);
  return outcome;
}

}  // namespace

Experiment small_scale_proxies_experiment() {
  return {"small-scale-proxies",
          "Wortsman et al., Small-scale proxies for large-scale Transformer training instabilities (ICLR 2024)",
          "at high learning rates, attention logits grow without bound and the loss diverges unless queries and keys are "
          "layer-normalized; qk-layernorm and the z-loss lower the sensitivity of the final loss to the learning rate",
          {kBaselineDiverges, kQkLayernormHolds, kZLossHoldsLogZ, kLowerSensitivity},
          "about 8 minutes (20 transformer runs)",
          Budget::full,
          run_proxies};
}

}  // namespace descent::repro
