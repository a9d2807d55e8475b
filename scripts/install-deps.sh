#!/usr/bin/env bash
# Installs the Debian packages descent needs, and only those that are missing; arguments name
# further packages a make target needs (make fuzz: clang).
# Idempotent and non-interactive: safe to run before every build.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config
  libtorch-dev libopenblas0-pthread libeigen3-dev libcli11-dev libtomlplusplus-dev nlohmann-json3-dev libfmt-dev
  bc libsqlite3-dev sqlite3 zlib1g-dev libgtest-dev libgmock-dev libbenchmark-dev
  libopenmpi-dev openmpi-bin libpq-dev postgresql
  dataset-fashion-mnist
  python3-torch python3-numpy python3-scipy python3-optuna python3-dev pybind11-dev python3-pytest python3-protobuf
  chromium
  "$@"
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg -s "$package" >/dev/null 2>&1; then
    missing+=("$package")
  fi
done

# Node.js with its bundled npm may come from outside Debian (it conflicts with Debian's npm):
# only ask Debian for it when no node/npm is on the PATH at all.
if ! command -v npm >/dev/null 2>&1; then
  dpkg -s nodejs >/dev/null 2>&1 || missing+=(nodejs)
  missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
