#!/usr/bin/env bash
# Builds kvmem out of tree and runs the whole test suite through ctest.
#   scripts/test.sh              build/test   g++, -O3 -g (the main job's optimizer, so that
#                                             its warnings fail here too), asserts on
#   scripts/test.sh --clang      build/clang  the same with clang++ (a second compiler)
#   scripts/test.sh --sanitize   build/asan   g++ with AddressSanitizer + UBSan
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dir=build/test
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "${1:-}" in
  --sanitize)
    dir=build/asan
    flags+=(-DKVMEM_SANITIZE=ON -DKVMEM_BUILD_BENCH=OFF)
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    ;;
  --clang)
    dir=build/clang
    flags+=(-DCMAKE_CXX_COMPILER=clang++ -DKVMEM_BUILD_BENCH=OFF)
    ;;
  "") flags+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O3 -g") ;;
  *) echo "usage: scripts/test.sh [--clang | --sanitize]" >&2; exit 2 ;;
esac
jobs=$(nproc)
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
