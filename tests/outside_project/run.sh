#!/usr/bin/env bash
# Installs the build into a temporary prefix and builds this folder's program against it, with
# every dependency of the lab (SQLite, libpq, MPI, toml++, json, fmt, Eigen, zlib) made to fail
# if looked for: descent::optim must need LibTorch (and OpenMP) only. Then runs the program.
#   tests/outside_project/run.sh BUILD_DIR
set -euo pipefail
build=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >/dev/null
mkdir "$work/poison"
for package in PostgreSQL MPI SQLite3 tomlplusplus nlohmann_json fmt Eigen3 ZLIB CLI11 GTest; do
  echo "message(FATAL_ERROR \"descent::optim must not need ${package}\")" >"$work/poison/Find${package}.cmake"
done
cmake -S "$here" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_MODULE_PATH="$work/poison" >"$work/configure.log" 2>&1 || { cat "$work/configure.log"; exit 1; }
cmake --build "$work/build" >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
"$work/build/one_optimizer"
