#!/usr/bin/env bash
# Builds kvmem out of tree and runs the whole test suite through ctest.
#   scripts/test.sh              build/test        g++, -O2 -g1, asserts on (the README's test
#                                                  command)
#   scripts/test.sh --clang      build/clang       the same with clang++ (a second compiler)
#   scripts/test.sh --sanitize   build/asan        g++ with AddressSanitizer + UBSan
#   scripts/test.sh --clang --sanitize
#                                build/clang-asan  clang++ with AddressSanitizer + UBSan (what
#                                                  CI runs: both checks in one build; also
#                                                  the libFuzzer build of scripts/fuzz.sh)
# Each directory is configured by scripts/configure.sh (its flags and why).
# The -O3 warnings of the main job's Release build (g++ 12 warns about more
# at -O3) are not checked here: the benchmark and -O3 are the main job's, and
# CI builds that Release build, warnings as errors, right after this command
# (.ci/run). This build used to be -O3 to catch them locally too; that
# doubled the time of the README's test command.
# It prints the build's progress (on a terminal), any compiler output, the
# failed tests with their output, and ctest's summary; the whole build log
# is in <dir>/build.log.
set -euo pipefail
cd "$(dirname "$0")/.."
# The flags (checked there) and the packages they need: scripts/configure.sh.
dir=$(scripts/configure.sh "$@")
case "$dir" in
  *asan) export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ;;
esac
jobs=$(nproc)
log=$dir/build.log
tty=0
[ -t 1 ] && tty=1
echo "test.sh: building $dir (log: $log)"
set +e
# Ninja's progress lines ([n/N] ...) go to the log only (on a terminal, as one
# updating line); everything else the build prints (errors) is shown.
cmake --build "$dir" -j "$jobs" 2>&1 | tee "$log" |
  awk -v tty=$tty '/^\[[0-9]+\/[0-9]+\] / { if (tty) printf "\r  %s ", $1; fflush(); next }
                   { if (tty) printf "\r"; print; fflush() }
                   END { if (tty) printf "\r" }'
rc=${PIPESTATUS[0]}
set -e
if [ "$rc" -ne 0 ]; then
  echo "test.sh: the build failed (log: $log)" >&2
  exit "$rc"
fi
echo "test.sh: running the tests in $dir"
# ctest's lines for started and passed tests are left out: failures (with
# their output) and the summary remain.
set +e
ctest --test-dir "$dir" --output-on-failure -j "$jobs" --timeout 600 |
  grep -v -E '^ +Start +[0-9]+: |^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* +Passed +[0-9.]+ sec$|^Internal ctest'
rc=${PIPESTATUS[0]}
exit "$rc"
