#!/usr/bin/env bash
# The main job: builds kvmem (Release) and runs the demos of the tree and the store.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DKVMEM_BUILD_TESTS=OFF >/dev/null
cmake --build build/release -j "$(nproc)"
build/release/examples/tree_demo
exec build/release/examples/store_demo "$@"
