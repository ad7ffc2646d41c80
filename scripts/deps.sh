#!/usr/bin/env bash
# Installs kvmem's Debian dependencies if any is missing (needs root or sudo;
# non-interactive). Safe to run again: it does nothing when all are there.
#   scripts/deps.sh [GROUP...]    default: every group
#     build  g++, cmake, ninja, CAF, Catch2, fmt, OpenSSL, libedit and CLI11
#            (the CLI), and the Redis clients the RESP tests drive
#            (redis-tools, python3-redis, libhiredis-dev): what the tests
#            need (scripts/test.sh)
#     clang  clang 14 and its runtime libraries (libFuzzer, the sanitizers):
#            scripts/test.sh --clang, scripts/fuzz.sh
#     bench  the benchmark's baselines, LMDB and Redis (redis-server;
#            redis-tools for redis-cli), and gnuplot for its plots
#            (scripts/main.sh)
# Each script installs only the groups it needs, so the README's test command
# does not wait for the benchmark's packages.
set -euo pipefail
groups=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(build clang bench)
packages=()
for g in "${groups[@]}"; do
  case "$g" in
    build) packages+=(g++ cmake make ninja-build libcaf-dev catch2 libfmt-dev libssl-dev openssl
                      libedit-dev libcli11-dev libxxhash-dev redis-tools python3-redis
                      libhiredis-dev pkg-config) ;;
    clang) packages+=(clang libclang-rt-14-dev) ;;
    bench) packages+=(liblmdb-dev redis-server redis-tools gnuplot-nox) ;;
    *) echo "usage: scripts/deps.sh [build|clang|bench]..." >&2; exit 2 ;;
  esac
done
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
