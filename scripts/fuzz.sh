#!/usr/bin/env bash
# Builds kvmem's libFuzzer targets (tests/fuzz, clang 14, ASan + UBSan) in
# build/clang-asan (the sanitizer build of `scripts/test.sh --clang
# --sanitize`, configured by scripts/configure.sh: CI compiles it once for
# both) and runs each for SECONDS (default 30), one at a time, from the
# committed corpus tests/fuzz/corpus/<target>/. Fails if a target crashes,
# and says where the crashing input is and how to replay it. Inputs of open
# bugs (tests/fuzz/crashes/<target>/) are replayed first: each one that still
# crashes fails the run too.
#   scripts/fuzz.sh [SECONDS] [--merge] [--seeds] [TARGET...]
#     TARGET   key, tree, wire, message, basp, persist, resp (default: all)
#     --merge  afterwards, add to tests/fuzz/corpus/<target>/ the inputs found
#              that grew coverage (libFuzzer -merge=1: minimal, no duplicates)
#     --seeds  rewrite the hand-made seeds (seed-*) of tests/fuzz/corpus first
# Work files (the growing corpus, crash artifacts, logs): build/clang-asan/fuzz-work/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=30
merge=0
seeds=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --merge) merge=1 ;;
    --seeds) seeds=1 ;;
    key|tree|wire|message|basp|persist|resp) targets+=("$arg") ;;
    ''|*[!0-9]*) echo "usage: scripts/fuzz.sh [SECONDS] [--merge] [--seeds] [key|tree|wire|message|basp|persist|resp]..." >&2
                 exit 2 ;;
    *) seconds=$arg ;;
  esac
done
[ ${#targets[@]} -gt 0 ] || targets=(key tree wire message basp persist resp)

dir=$(scripts/configure.sh --clang --sanitize) # installs clang and the rest
build_targets=()
for t in "${targets[@]}"; do build_targets+=("fuzz_$t"); done
[ $seeds -eq 0 ] || build_targets+=(fuzz_seeds)
cmake --build "$dir" -j "$(nproc)" --target "${build_targets[@]}"
[ $seeds -eq 0 ] || "$dir/tests/fuzz/fuzz_seeds" tests/fuzz/corpus

export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# Inputs per target: longer ones for the decoders, where a length prefix or a
# nesting needs room.
max_len() {
  case "$1" in key) echo 256 ;; tree) echo 1024 ;; wire) echo 4096 ;; *) echo 8192 ;; esac
}

failed=()
for t in "${targets[@]}"; do
  exe="$dir/tests/fuzz/fuzz_$t"
  work="$dir/fuzz-work/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  echo "== fuzz_$t"
  # Open bugs first: each known crashing input, alone.
  if [ -d "tests/fuzz/crashes/$t" ]; then
    for f in "tests/fuzz/crashes/$t"/*; do
      [ -f "$f" ] || continue
      if env -u KVMEM_FUZZ_SKIP "$exe" "$f" >"$work/crash-replay.log" 2>&1; then
        echo "   fixed: $f no longer crashes; move it to tests/fuzz/corpus/$t/"
      else
        echo "   OPEN BUG: $f still crashes: $(grep -m1 -E 'property violated|ERROR: (Address|libFuzzer)|runtime error' \
              "$work/crash-replay.log" | cut -c1-200)"
        failed+=("$t (open bug $f)")
      fi
    done
  fi
  dict=()
  [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
  log="$work/fuzz.log"
  set +e
  "$exe" "$work/corpus" "tests/fuzz/corpus/$t" "${dict[@]}" -max_total_time="$seconds" \
    -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=256 \
    -artifact_prefix="$work/artifacts/" -print_final_stats=1 >"$log" 2>&1
  rc=$?
  set -e
  if [ $rc -ne 0 ]; then
    crash=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')
    echo "   CRASH (exit $rc); the report:"
    grep -E -m3 'property violated|ERROR: |SUMMARY' "$log" | sed 's/^/     /' | cut -c1-300
    echo "   input: ${crash:-none written (see $log)}"
    echo "   replay: $exe ${crash:-INPUT}    (full log: $log)"
    failed+=("$t")
  else
    grep -E '^#[0-9]+.*(DONE|pulse)' "$log" | tail -1 | sed 's/^/   /'
    grep -E 'stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed 's/^/   /'
  fi
  if [ $merge -eq 1 ]; then
    before=$(ls "tests/fuzz/corpus/$t" | wc -l)
    "$exe" -merge=1 -max_len="$(max_len "$t")" "tests/fuzz/corpus/$t" "$work/corpus" >"$work/merge.log" 2>&1
    echo "   merge: tests/fuzz/corpus/$t: $before -> $(ls "tests/fuzz/corpus/$t" | wc -l) inputs"
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${targets[*]}: no crash in ${seconds}s each"
