#!/usr/bin/env bash
# Configures the build directory of scripts/test.sh for the given flags and
# prints its path; test.sh and fuzz.sh share it, so that CI's sanitizer build
# is also its fuzzing build (compiled once).
#   scripts/configure.sh              build/test        g++, -O2 -g1, asserts on
#   scripts/configure.sh --clang      build/clang       the same with clang++
#   scripts/configure.sh --sanitize   build/asan        g++, AddressSanitizer + UBSan
#   scripts/configure.sh --clang --sanitize
#                                     build/clang-asan  clang++, ASan + UBSan, and the
#                                                       libFuzzer targets (KVMEM_FUZZ):
#                                                       the libraries carry libFuzzer's
#                                                       coverage instrumentation too
# Every build is -O2 with line tables only (-g1): backtraces and sanitizer
# reports name files and lines; full debug info (variables, for gdb) costs a
# third more compile time: reconfigure with
#   cmake -B build/test "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g"
# Installs what its build needs first (scripts/deps.sh build [clang]; its
# output goes to stderr: stdout is the directory alone).
# One script at a time per directory: `test.sh --clang --sanitize` and
# fuzz.sh share build/clang-asan, and two builds in one directory collide.
set -euo pipefail
cd "$(dirname "$0")/.."
clang=0 sanitize=0
for arg in "$@"; do
  case "$arg" in
    --clang) clang=1 ;;
    --sanitize) sanitize=1 ;;
    *) echo "usage: scripts/test.sh|configure.sh [--clang] [--sanitize]" >&2; exit 2 ;;
  esac
done
if ((clang)); then scripts/deps.sh build clang >&2; else scripts/deps.sh build >&2; fi
dir=build/test
# The benchmark is the main job's (scripts/main.sh; CI builds it too).
flags=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g1"
       -DKVMEM_BUILD_BENCH=OFF)
if ((clang)); then
  dir=build/clang
  flags+=(-DCMAKE_CXX_COMPILER=clang++)
fi
# Each test program's files compiled a few at a time (tests/CMakeLists.txt,
# KVMEM_UNITY_TESTS), in every build: the clang + sanitizers build used to
# compile them one by one to catch a test file's missing include, which cost
# CI about four of its thirty minutes; the library's sources are never
# merged, so their includes are still checked by both compilers.
flags+=(-DKVMEM_UNITY_TESTS=ON)
if ((sanitize)); then
  dir=$( ((clang)) && echo build/clang-asan || echo build/asan)
  flags+=(-DKVMEM_SANITIZE=ON)
  # clang + sanitizers is also the fuzzing build (scripts/fuzz.sh): CI used
  # to compile the libraries a fourth time, instrumented, just for fuzzing
  # (about 8 of its minutes). The coverage callbacks cost the tests little:
  # outside a fuzzer they are the sanitizer runtime's empty defaults.
  ((clang)) && flags+=(-DKVMEM_FUZZ=ON)
fi
# A build directory configured by an older test.sh (Unix Makefiles) is redone.
if [ -f "$dir/CMakeCache.txt" ] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$dir/CMakeCache.txt"; then
  rm -rf "$dir"
fi
cmake -S . -B "$dir" "${flags[@]}" >/dev/null
echo "$dir"
