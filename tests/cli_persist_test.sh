#!/usr/bin/env bash
# The CLI with a persistent store (docs/persistence.md, docs/cli.md): serve
# --dir, checkpoint, info's journal and checkpoint fields, a server killed
# with SIGKILL and started again on its directory, the lock against a second
# server, dump and load.
source "$(dirname "$0")/cli_lib.sh"

db="$work/db"
start_server --dir "$db"
has "a new store is reported" "created in .* \(sync always\): a new store" "$(cat "$work/serve.out")"
run set /a/b hello;            check "set rc" 0 "$rc"
run set /a/c "$(printf 'two\nlines')"
run set /d/e ""
run set /empty/x 1;            run rm /empty/x      # an empty dictionary
run checkpoint;                check "checkpoint rc" 0 "$rc"; cp_version=$out
run set /z after-checkpoint
run info
check "info sync" always "$(field sync)"
check "info checkpoint_version" "$cp_version" "$(field checkpoint_version)"
check "info synced_version" "$(field version)" "$(field synced_version)"
has "info checkpoint_time" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$(field checkpoint_time)"
run info --json
has "info --json persistence" '"sync":"always","journal_bytes":[0-9]+,"journal_segments":1,' "$out"
version=$(store_version)
run dump /;                    check "dump rc" 0 "$rc"; dump_all=$out
timeout 60 "${K[@]}" dump / > "$work/dump"
has "dump header and end" "^kvmem-dump 1" "$dump_all"
has "dump end record" "E 4 1$" "$dump_all"
has "dump: the empty dictionary" "^D 6$" "$dump_all"

# SIGKILL, then the same directory again: everything acknowledged is back.
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null
start_server --dir "$db" --sync interval --sync-interval 50ms
has "recovered" "opened in .*recovered version $version: checkpoint .*, 1 journal records replayed" "$(cat "$work/serve.out")"
run get /a/b;                  check "after restart" hello "$out"
run get /a/c;                  check "after restart, binary-safe" "$(printf 'two\nlines')" "$out"
run get /z;                    check "the write after the checkpoint" after-checkpoint "$out"
run info;                      check "info sync interval" interval "$(field sync)"
check "versions continue" "$version" "$(field version)"

# One store per directory.
bare serve --port 0 --dir "$db"
check "second server on the directory rc" 1 "$rc"
has "second server message" "locked by another store \(pid [0-9]+\)" "$err"

# load: the dump under another prefix, then dumped again: the same stream.
out=$(timeout 60 "${K[@]}" load /copy < "$work/dump" 2> "$work/err"); rc=$?
check "load rc" 0 "$rc"; check "load summary" "loaded 4 values and 1 empty dictionaries under /copy" "$out"
run dump /copy;                check "dump of the copy" "$dump_all" "$out"
out=$(printf 'kvmem-dump 1\nV 2 1\n/xy' | timeout 60 "${K[@]}" load /bad 2> "$work/err"); rc=$?
check "cut-short dump rc" 2 "$rc"; has "cut-short dump msg" "cut short" "$(cat "$work/err")"
bare serve --port 0 --dir "$db" --sync sometimes
check "bad --sync rc" 2 "$rc"
bare serve --port 0 --sync interval
check "--sync without --dir rc" 2 "$rc"; has "--sync without --dir msg" "requires --dir" "$err"

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "cli persist: all checks passed"
