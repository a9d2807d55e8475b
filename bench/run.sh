#!/usr/bin/env bash
# Benchmarks descent against LibTorch and PyTorch in one run and prints ratios (machines here are
# shared and noisy: absolute figures drift, ratios measured side by side are what count).
#   bench/run.sh [BUILD_DIR] [--quick]
# Ends with one table: every goal of issue 14, its target and what this run measured.
set -euo pipefail
build=${1:-build}
quick=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
goals="$out/goals.md"
printf "| goal | target | measured | verdict |\n|---|---|---|---|\n" > "$goals"
started=$SECONDS
# One owner of threads: OpenMP (torch.set_num_threads / --threads); OpenBLAS's pool pinned to 1.
export OPENBLAS_NUM_THREADS=1
sizes=1e5,1e6,1e7
[ "$quick" = "--quick" ] && sizes=1e7

echo "## Optimizer step throughput, float32 (glibc malloc as shipped)"
"$build/bench/bench_optimizer_step" --sizes "$sizes" > "$out/descent.jsonl"
/usr/bin/python3 "$here/torch_optimizer_step.py" --sizes "$sizes" > "$out/pytorch.jsonl"
/usr/bin/python3 "$here/report.py" "$out/descent.jsonl" "$out/pytorch.jsonl" --goals "$goals"

echo
echo "## The training run as users run it (descent train vs a PyTorch script, evaluation included), and its GEMM floor"
/usr/bin/python3 "$here/training_run.py" "$build" --goals "$goals"

echo
echo "## The same with the allocator tunable (no mmap per temporary: see shared/perf-notes.md)"
GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4000000000 \
  "$build/bench/bench_optimizer_step" --sizes "$sizes" --optimizers sgd,adam,adamw,adagrad,rmsprop > "$out/descent_tuned.jsonl"
GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=4000000000 \
  /usr/bin/python3 "$here/torch_optimizer_step.py" --sizes "$sizes" > "$out/pytorch_tuned.jsonl"
/usr/bin/python3 "$here/report.py" "$out/descent_tuned.jsonl" "$out/pytorch_tuned.jsonl"

median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
rate() { grep -o '"samples_per_s": [0-9.]*' | awk '{print $2}' | median; }

echo
echo "## Fashion-MNIST MLP 784-256-10, batch 128, one epoch of training steps (as shipped)"
printf "| optimizer | threads | descent samples/s | PyTorch samples/s | ratio |\n|---|---|---|---|---|\n"
for threads in 1 2; do
  for optimizer in sgd adam; do
    d=(); p=()
    # Interleave the two so that drift on a shared machine hits both alike.
    for round in 1 2 3; do
      d+=("$("$build/bench/bench_mlp_epoch" --optimizer "$optimizer" --threads "$threads" --repeats 1 | rate)")
      p+=("$(/usr/bin/python3 "$here/torch_mlp_epoch.py" --optimizer "$optimizer" --threads "$threads" --repeats 1 | rate)")
    done
    ds=$(printf "%s\n" "${d[@]}" | median); ps=$(printf "%s\n" "${p[@]}" | median)
    printf "| %s | %s | %.0f | %.0f | %.2f |\n" "$optimizer" "$threads" "$ds" "$ps" "$(echo "$ds / $ps" | bc -l)"
  done
done

echo
echo "## descent.optim from Python vs torch.optim on the same tensors (float32, ten tensors per model)"
PYTHONPATH="$build/python" /usr/bin/python3 "$here/python_optimizer_step.py" --sizes "$sizes"

echo
echo "## Curvature probes on the quickstart MLP (1,000 images, 1 thread)"
"$build/bench/bench_hvp"

echo
echo "## Data-parallel MLP steps: 1 process vs 2 MPI ranks (dense and EF21 + TopK 1%), beside PyTorch DDP"
/usr/bin/python3 "$here/data_parallel.py" "$build" --goals "$goals" 2>/dev/null

echo
echo "## Bayesian optimization: descent GP-EI vs Optuna TPE vs random search (40 evaluations, seeds 0-9)"
"$build/bench/bench_tune" > "$out/tune_descent.jsonl"
/usr/bin/python3 "$here/optuna_tpe.py" > "$out/tune_optuna.jsonl"
/usr/bin/python3 "$here/tune_report.py" "$out/tune_descent.jsonl" "$out/tune_optuna.jsonl"

echo
echo "## Tuning the quickstart MLP (AdamW lr and weight decay, 20 trials): descent GP vs Optuna TPE"
/usr/bin/python3 "$here/tune_mlp.py" "$build"

echo
echo "## PPO minibatch step, CartPole's actor-critic (4-64-64 tanh, float64, 1,024 samples, 1 thread)"
printf "| minibatches | descent ms/step | PyTorch ms/step | speed-up |\n|---|---|---|---|\n"
step_ms() { grep "\"minibatches\": $1," | grep -o '"ms_per_step": [0-9.]*' | awk '{print $2}'; }
for minibatches in 8 32; do
  d=(); p=()
  for round in 1 2 3; do
    d+=("$("$build/bench/bench_ppo_update" | step_ms "$minibatches")")
    p+=("$(/usr/bin/python3 "$here/torch_ppo_update.py" | step_ms "$minibatches")")
  done
  ds=$(printf "%s\n" "${d[@]}" | median); ps=$(printf "%s\n" "${p[@]}" | median)
  printf "| %s | %.3f | %.3f | %.2f |\n" "$minibatches" "$ds" "$ps" "$(echo "$ps / $ds" | bc -l)"
done

echo
echo "## Goals (issue 14), measured in this run ($(( (SECONDS - started) / 60 )) min $(( (SECONDS - started) % 60 )) s in all)"
cat "$goals"
