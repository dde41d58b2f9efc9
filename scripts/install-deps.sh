#!/usr/bin/env bash
# Installs every Debian package canbao builds, tests and benchmarks with.
# Safe to re-run; needs root (or sudo) on a fresh Debian 12 machine.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO=sudo; fi
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  build-essential cmake ninja-build pkg-config git
  libfmt-dev libspdlog-dev nlohmann-json3-dev libtomlplusplus-dev libcli11-dev
  libsqlite3-dev sqlite3 libpq-dev postgresql-15 postgresql-client-15
  libzip-dev libpugixml-dev libxlsxwriter-dev libsodium-dev libcpp-httplib-dev libssl-dev zlib1g-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev
  chromium fonts-noto-cjk
  python3-pandas time gnuplot-nox curl
)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Node.js for the web UI (Vite needs node ≥ 20.19): keep a machine's newer
# node, else take Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get install -y -q --no-install-recommends nodejs npm
fi
