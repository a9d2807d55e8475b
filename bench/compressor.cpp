// Times a compressor's work on one worker's gradient: encoding C(x) into its message, and decoding
// a message into the running sum (EF21's server side). The data-parallel bench compares the sum
// with the dense allreduce it replaces. One JSON line per instruction set the CPU has: TopK's
// candidate scan is dispatched like the fused optimizer loops.
//   bench_compressor [--dimension 203530] [--ratio 0.01] [--repeats 200]
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "descent/comm/bit_stream.hpp"
#include "descent/comm/compressor.hpp"
#include "descent/core/rng.hpp"
#include "descent/optim/instruction_set.hpp"

namespace {

using descent::comm::BitReader;
using descent::comm::BitWriter;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t dimension = 203530;  // the quickstart MLP's parameters
  double ratio = 0.01;
  int repeats = 200;
  CLI::App app{"TopK encode and accumulating decode, per instruction set"};
  app.add_option("--dimension", dimension)->check(CLI::Range(1, 1 << 30));
  app.add_option("--ratio", ratio)->check(CLI::Range(1e-6, 1.0));
  app.add_option("--repeats", repeats)->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  descent::Rng rng(1);
  std::vector<float> x(dimension), dense(dimension), sum(dimension), scratch(dimension);
  for (float& v : x) v = static_cast<float>(rng.normal());
  descent::comm::CompressorSpec spec;
  spec.name = "topk";
  spec.ratio = ratio;
  const auto compressor = descent::comm::make_compressor<float>(spec, dimension);
  for (const auto set : descent::optim::supported_instruction_sets()) {
    descent::optim::use_instruction_set(set);
    double encode = INFINITY, decode = INFINITY;  // the best of `repeats`: the machine is shared
    for (int r = 0; r < repeats; ++r) {
      BitWriter out;
      auto start = std::chrono::steady_clock::now();
      compressor->encode(x, 0, out, dense);
      encode = std::min(encode, seconds_since(start));
      BitReader in(out.bytes());
      start = std::chrono::steady_clock::now();
      compressor->decode_add(in, 0, 0.5f, sum, scratch);
      decode = std::min(decode, seconds_since(start));
    }
    fmt::print("{{\"compressor\": \"topk\", \"dimension\": {}, \"ratio\": {}, \"isa\": \"{}\", \"encode_ms\": {:.4f}, \"decode_ms\": {:.4f}}}\n",
               dimension, ratio, descent::optim::instruction_set_name(set), 1e3 * encode, 1e3 * decode);
  }
  return 0;
}
