// Optimizer step throughput: descent's fused step against (a) the plain scalar loop of the same
// algorithm (tests/reference_optimizers.hpp: no allocation, written like the equations), (b)
// torch::optim in the same binary, and (c) the memory bandwidth of a triad this binary measures;
// descent's step on the widest instruction set this CPU has (the dispatched one) and on SSE2 (what
// the portable build alone would run).
// Prints one JSON line per measurement; bench/run.sh turns them into tables with ratios.
//   bench_optimizer_step [--sizes 1e5,1e6,1e7] [--threads 1,2] [--optimizers adam,sgd] [--steps 10]
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <omp.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "../tests/reference_optimizers.hpp"
#include "descent/core/env.hpp"
#include "descent/optim/buffer_optimizer.hpp"
#include "descent/optim/description.hpp"
#include "descent/optim/instruction_set.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using namespace descent;

// Median seconds of `repeats` calls of fn after one warm-up call.
template <class Fn>
double median_seconds(int repeats, Fn&& fn) {
  fn();
  std::vector<double> times;
  for (int r = 0; r < repeats; ++r) {
    const auto start = Clock::now();
    fn();
    times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
  }
  std::nth_element(times.begin(), times.begin() + repeats / 2, times.end());
  return times[repeats / 2];
}

// STREAM triad a = b + s c over 3 arrays of n floats. Counted as 16 bytes per element, not
// STREAM's 12: the store to `a` first reads its cache line (write-allocate), so 16 is what the
// memory moves. An optimizer step reads every buffer it writes, so it has no such hidden traffic.
double triad_bytes_per_second(std::size_t n, int threads) {
  std::vector<float> a(n), b(n, 1.0f), c(n, 2.0f);
  const double seconds = median_seconds(7, [&] {
#pragma omp parallel for num_threads(threads) schedule(static)
    for (std::size_t i = 0; i < n; ++i) a[i] = b[i] + 3.0f * c[i];
  });
  return 16.0 * static_cast<double>(n) / seconds;
}

ParamValues bench_hyper(const std::string& name) {
  if (name == "sgd") return {{"momentum", 0.9}};  // the common case, and what LibTorch runs
  return {};
}

// Bytes a single-pass step moves per parameter: read g, read and write p and each state slot.
double bytes_per_parameter(const std::string& name) {
  std::vector<float> p(1);
  const optim::BufferOptimizer<float> probe(name, bench_hyper(name), {std::span<float>(p)});
  return 4.0 * (1 + 2 + 2 * probe.slots());
}

// Bytes the read-only reduction pass moves per parameter, for the rules that need a norm before
// their first element can be updated (with clipping off, as here): normalized GD and AdaGrad-Norm
// read g; Lion-K (K = l2) reads g and m for ||beta1 m + (1 - beta1) g||; LAMB reads g, m, v and p
// for its per-tensor ||p|| and ||update||. A single pass cannot do these: the step of element 0
// depends on every element's gradient. Others have no such pass.
double reduction_bytes_per_parameter(const std::string& name) {
  if (name == "normalized_gd" || name == "adagrad_norm") return 4.0;
  if (name == "lion_l2") return 8.0;
  if (name == "lamb") return 16.0;
  return 0.0;
}

std::unique_ptr<torch::optim::Optimizer> make_libtorch(const std::string& name, const torch::Tensor& p) {
  if (name == "sgd") return std::make_unique<torch::optim::SGD>(std::vector<torch::Tensor>{p}, torch::optim::SGDOptions(0.01).momentum(0.9));
  if (name == "adam") return std::make_unique<torch::optim::Adam>(std::vector<torch::Tensor>{p}, torch::optim::AdamOptions(1e-3));
  if (name == "adamw") return std::make_unique<torch::optim::AdamW>(std::vector<torch::Tensor>{p}, torch::optim::AdamWOptions(1e-3));
  if (name == "adagrad") return std::make_unique<torch::optim::Adagrad>(std::vector<torch::Tensor>{p}, torch::optim::AdagradOptions(1e-2));
  if (name == "rmsprop") return std::make_unique<torch::optim::RMSprop>(std::vector<torch::Tensor>{p}, torch::optim::RMSpropOptions(1e-2));
  return nullptr;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> parts;
  std::stringstream stream(text);
  for (std::string part; std::getline(stream, part, ',');) parts.push_back(part);
  return parts;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sizes_text = "1e5,1e6,1e7", threads_text = "1,2", optimizers_text;
  int repeats = 9;
  CLI::App app{"optimizer step throughput: descent vs scalar loop vs LibTorch vs triad"};
  app.add_option("--sizes", sizes_text);
  app.add_option("--threads", threads_text);
  app.add_option("--optimizers", optimizers_text, "comma-separated (default: all)");
  app.add_option("--repeats", repeats)->check(CLI::Range(1, 1000));
  CLI11_PARSE(app, argc, argv);
  env::pin_blas_threads_to_one();
  const std::vector<std::string> optimizers = optimizers_text.empty() ? optim::optimizer_names() : split(optimizers_text);
  const optim::InstructionSet widest = optim::active_instruction_set();  // DESCENT_SIMD may narrow it

  for (const auto& size_text : split(sizes_text)) {
    const auto n = static_cast<std::size_t>(std::stod(size_text));
    std::mt19937 rng(1);
    std::normal_distribution<float> normal;
    std::vector<float> init(n), grad(n);
    for (auto& v : init) v = normal(rng);
    for (auto& v : grad) v = normal(rng) * 0.01f;
    for (const auto& threads_item : split(threads_text)) {
      const int threads = std::stoi(threads_item);
      const double triad = triad_bytes_per_second(std::max<std::size_t>(n, 1 << 24), threads);
      fmt::print("{{\"kind\": \"triad\", \"size\": {}, \"threads\": {}, \"bytes_per_s\": {:.4g}}}\n", n, threads, triad);
      for (const auto& name : optimizers) {
        std::vector<float> p = init;
        optim::FusedOptions options;
        options.threads = threads;
        optim::BufferOptimizer<float> fused(name, bench_hyper(name), {std::span<float>(p)}, options);
        // The triad again right before the step: on a shared VM the bandwidth drifts within a run,
        // and a share of the bound is only meaningful against a bound measured alongside.
        const double nearby_triad = triad_bytes_per_second(std::max<std::size_t>(n, 1 << 24), threads);
        const double fused_s = median_seconds(repeats, [&] { fused.step({std::span<const float>(grad)}, 1.0); });
        fmt::print("{{\"kind\": \"descent\", \"optimizer\": \"{}\", \"size\": {}, \"threads\": {}, \"params_per_s\": {:.4g}, "
                   "\"bytes_per_s\": {:.4g}, \"all_passes_bytes_per_s\": {:.4g}, \"triad_bytes_per_s\": {:.4g}, \"isa\": \"{}\"}}\n",
                   name, n, threads, n / fused_s, bytes_per_parameter(name) * n / fused_s,
                   (bytes_per_parameter(name) + reduction_bytes_per_parameter(name)) * n / fused_s, nearby_triad,
                   optim::instruction_set_name(widest));
        if (widest != optim::InstructionSet::sse2) {
          optim::use_instruction_set(optim::InstructionSet::sse2);
          std::vector<float> p_sse2 = init;
          optim::BufferOptimizer<float> baseline(name, bench_hyper(name), {std::span<float>(p_sse2)}, options);
          const double sse2_s = median_seconds(repeats, [&] { baseline.step({std::span<const float>(grad)}, 1.0); });
          optim::use_instruction_set(widest);
          fmt::print("{{\"kind\": \"descent_sse2\", \"optimizer\": \"{}\", \"size\": {}, \"threads\": {}, \"params_per_s\": {:.4g}, "
                     "\"bytes_per_s\": {:.4g}}}\n",
                     name, n, threads, n / sse2_s, bytes_per_parameter(name) * n / sse2_s);
        }
        if (threads == 1) {
          std::vector<float> q = init;
          testing::ReferenceState<float> state;
          const ParamValues hyper = optim::resolve_hyperparameters(name, bench_hyper(name));
          long t = 0;
          const double loop_s = median_seconds(repeats, [&] { testing::reference_step(name, hyper, ++t, 1e-3, q, grad, state, 1.0); });
          fmt::print("{{\"kind\": \"loop\", \"optimizer\": \"{}\", \"size\": {}, \"threads\": 1, \"params_per_s\": {:.4g}}}\n", name, n, n / loop_s);
        }
        torch::set_num_threads(threads);
        torch::Tensor tp = torch::from_blob(init.data(), {static_cast<std::int64_t>(n)}, torch::kFloat32).clone().requires_grad_(true);
        tp.mutable_grad() = torch::from_blob(grad.data(), {static_cast<std::int64_t>(n)}, torch::kFloat32).clone();
        if (auto libtorch = make_libtorch(name, tp)) {
          const double torch_s = median_seconds(repeats, [&] { libtorch->step(); });
          fmt::print("{{\"kind\": \"libtorch\", \"optimizer\": \"{}\", \"size\": {}, \"threads\": {}, \"params_per_s\": {:.4g}}}\n",
                     name, n, threads, n / torch_s);
        }
        std::fflush(stdout);
      }
    }
  }
  return 0;
}
