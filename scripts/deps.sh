#!/usr/bin/env bash
# Installs kvmem's Debian build dependencies if any is missing (needs root or
# sudo; non-interactive). Safe to run again: it does nothing when all are there.
set -euo pipefail
# Build: g++, clang (a second compiler, and libFuzzer with its runtime),
# CAF, Catch2, fmt, OpenSSL, libedit and CLI11 (the CLI). Benchmark
# baselines: LMDB and Redis (redis-server; redis-tools for redis-cli), plots
# with gnuplot.
packages=(g++ clang libclang-rt-14-dev cmake make libcaf-dev catch2 libfmt-dev libssl-dev openssl
          libedit-dev libcli11-dev liblmdb-dev redis-server redis-tools gnuplot-nox)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "kvmem: installing missing Debian packages: ${missing[*]}" >&2
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
