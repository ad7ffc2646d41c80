#!/usr/bin/env bash
# Builds kvmem out of tree and runs the whole test suite through ctest.
#   scripts/test.sh              build/test        g++, -O3 -g (the main job's optimizer, so
#                                                  that its warnings fail here too), asserts on
#   scripts/test.sh --clang      build/clang       the same with clang++ (a second compiler)
#   scripts/test.sh --sanitize   build/asan        g++ with AddressSanitizer + UBSan
#   scripts/test.sh --clang --sanitize
#                                build/clang-asan  clang++ with AddressSanitizer + UBSan (what
#                                                  CI runs: both checks in one build)
set -euo pipefail
cd "$(dirname "$0")/.."
clang=0 sanitize=0
for arg in "$@"; do
  case "$arg" in
    --clang) clang=1 ;;
    --sanitize) sanitize=1 ;;
    *) echo "usage: scripts/test.sh [--clang] [--sanitize]" >&2; exit 2 ;;
  esac
done
scripts/deps.sh
dir=build/test
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if ((clang)); then
  dir=build/clang
  flags+=(-DCMAKE_CXX_COMPILER=clang++ -DKVMEM_BUILD_BENCH=OFF)
fi
if ((sanitize)); then
  dir=$( ((clang)) && echo build/clang-asan || echo build/asan)
  flags+=(-DKVMEM_SANITIZE=ON -DKVMEM_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
if ((!clang && !sanitize)); then
  flags+=("-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O3 -g")
fi
jobs=$(nproc)
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
