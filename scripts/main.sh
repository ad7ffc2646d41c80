#!/usr/bin/env bash
# The main job: builds kvmem (Release) and runs the default benchmark suite
# (under 2 minutes): a table of kvmem vs baselines with verdicts, CSV in
# build/bench-results.csv, plots in build/bench-plots/. Extra arguments go to
# the benchmark, e.g. --full, or --only tree,reads. The demos are
# build/release/examples/{tree,store}_demo. KVMEM_CXX_FLAGS, if set, is
# passed as CMAKE_CXX_FLAGS (e.g. to work around a compiler's false warning).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build bench
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DKVMEM_BUILD_TESTS=OFF \
  -DCMAKE_CXX_FLAGS="${KVMEM_CXX_FLAGS:-}" >/dev/null
cmake --build build/release -j "$(nproc)" --target kvmem_bench
exec build/release/bench/kvmem_bench --csv build/bench-results.csv --plots build/bench-plots "$@"
