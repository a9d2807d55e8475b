#!/usr/bin/env bash
# Benchmarks descent against PyTorch in one run and prints ratios (machines here are shared and
# noisy: absolute figures drift, ratios measured side by side are what count).
#   bench/run.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
# One owner of threads: OpenMP (torch.set_num_threads / --threads); OpenBLAS's pool pinned to 1.
export OPENBLAS_NUM_THREADS=1

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
rate() { grep -o '"samples_per_s": [0-9.]*' | awk '{print $2}' | median; }

echo "# Fashion-MNIST MLP 784-256-10, batch 128, one epoch of training steps (glibc malloc as shipped)"
printf "%-10s %-8s %16s %16s %8s\n" optimizer threads descent_samples/s pytorch_samples/s ratio
for threads in 1 2; do
  for optimizer in sgd adam; do
    d=(); p=()
    # Interleave the two so that drift on a shared machine hits both alike.
    for round in 1 2 3; do
      d+=("$("$build/bench/bench_mlp_epoch" --optimizer "$optimizer" --threads "$threads" --repeats 1 | rate)")
      p+=("$(/usr/bin/python3 "$here/torch_mlp_epoch.py" --optimizer "$optimizer" --threads "$threads" --repeats 1 | rate)")
    done
    ds=$(printf "%s\n" "${d[@]}" | median); ps=$(printf "%s\n" "${p[@]}" | median)
    printf "%-10s %-8s %16.0f %16.0f %8.2f\n" "$optimizer" "$threads" "$ds" "$ps" "$(echo "$ds / $ps" | bc -l)"
  done
done
