#!/usr/bin/env bash
# Builds kvmem out of tree and runs the whole test suite through ctest.
#   scripts/test.sh              build/test  (-O2 -g, asserts on)
#   scripts/test.sh --sanitize   build/asan  (AddressSanitizer + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dir=build/test
flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
if [ "${1:-}" = "--sanitize" ]; then
  dir=build/asan
  flags+=(-DKVMEM_SANITIZE=ON -DKVMEM_BUILD_BENCH=OFF)
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fi
jobs=$(nproc)
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
cmake --build "$dir" -j "$jobs"
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600
