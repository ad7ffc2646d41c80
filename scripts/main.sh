#!/usr/bin/env bash
# The main job: builds kvmem (Release) and runs the default benchmark suite
# (under 2 minutes): a table of kvmem vs baselines with verdicts, CSV in
# build/bench-results.csv, plots in build/bench-plots/. Extra arguments go to
# the benchmark, e.g. --full, or --only tree,reads. The demos are
# build/release/examples/{tree,store}_demo.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DKVMEM_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)" --target kvmem_bench
exec build/release/bench/kvmem_bench --csv build/bench-results.csv --plots build/bench-plots "$@"
