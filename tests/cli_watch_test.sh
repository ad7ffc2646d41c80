#!/usr/bin/env bash
# The kvmem CLI's change feeds and history (issue 11): watch (events of other
# processes' writes, SIGINT/SIGTERM, --json, resync, resuming without gap or
# duplicate, coalescing, a server that dies under a watch), reads at a
# version, diffs, serve --history / --history-age. docs/cli.md is the contract.
source "$(dirname "$0")/cli_lib.sh"

start_server
run set /a/b hello
# Issue 11: watch. A watch runs in the background, writing to a file that is
# polled (bounded) for the line that proves progress; never a bare sleep.
v0=$(store_version)
watch_bg "$work/w1" /w
run set /other x;              run set /w/a one;        run set $'/w/new\nline' two
run mv /w/a /w/b;              run mv /w/b /gone;       run rm /w
wait_for "watch: the last event" "$work/w1" 'remove	dictionary	/w$'
stop_watch INT
check "watch exits 0 on SIGINT" 0 "$rc"
check "watch: one line per event, escaped" "watching /w after version $v0
$((v0+2))	set	value	/w/a
$((v0+3))	set	value	/w/new\\nline
$((v0+4))	rename_out	value	/w/a	/w/b
$((v0+4))	rename_in	value	/w/b	/w/a
$((v0+5))	rename_out	value	/w/b	/gone
$((v0+6))	remove	dictionary	/w" "$(cat "$work/w1")"
check "watch: how to resume, on stderr" "kvmem: SIGINT received: watched up to version $((v0+6)) (resume with --from $((v0+6)))" "$(cat "$work/w1.err")"
v1=$(store_version)
watch_bg "$work/w2" --json --values /j
run set /j/k $'v\x01\xff';     wait_for "watch --json" "$work/w2" '"/j/k"'
stop_watch TERM;               check "watch exits 0 on SIGTERM" 0 "$rc"
check "watch --json --values" "{\"type\":\"start\",\"prefix\":\"/j\",\"version\":$v1}
{\"type\":\"changes\",\"from\":$v1,\"to\":$((v1+1)),\"coalesced\":false,\"resync\":false,\"events\":[{\"version\":$((v1+1)),\"op\":\"set\",\"kind\":\"value\",\"key\":\"/j/k\",\"value\":\"v\\u0001$(printf '\xef\xbf\xbd')\",\"value_hex\":\"7601ff\"}]}" "$(cat "$work/w2")"
# No history on this server: an old start is an explicit resync, never a gap.
v1=$(store_version)
watch_bg "$work/w3" --from "$v0" /w; wait_for "watch: resync" "$work/w3" '^resync'; stop_watch INT
check "watch --from a version not retained: resync" "watching /w after version $v0
resync at version $v1: the requested start $v0 is no longer retained; the changes up to $v1 are not listed, the events after it follow" "$(cat "$work/w3")"
watch_bg "$work/w3" --json --from "$v0" /w; wait_for "--json resync" "$work/w3" '"resync"'; stop_watch INT
check "watch --json resync" "{\"type\":\"changes\",\"from\":$v0,\"to\":$v1,\"coalesced\":false,\"resync\":true,\"events\":[]}" "$(sed -n 2p "$work/w3")"
run get --at "$v0" /other;     check "get --at not retained rc" 1 "$rc"
check "get --at not retained msg" "kvmem: Version not retained: version $v0 is not retained (the store is at $v1, and keeps no history)" "$err"
run ls --at "$v0" /;           check "ls --at not retained rc" 1 "$rc"
run diff "$v0" "$v1";          check "diff not retained rc" 1 "$rc"; has "diff not retained msg" "^kvmem: Version not retained: " "$err"
run get --at "$v1" /other;     check "get --at the current version" x "$out"
run watch --from $((v1 + 5)) /w; check "watch --from the future rc" 1 "$rc"
for args in "--window 0 /w" "--from abc /w" "--from -1 /w" "" "--at 1 /w"; do
  run watch $args;             check "watch $args rc" 2 "$rc"
done
run get --at x /a;             check "get --at x rc" 2 "$rc"; has "get --at x msg" '^kvmem: --at: expected a version' "$err"
run diff 1;                    check "diff without V2 rc" 2 "$rc"
shell 'watch /w\n';            check "watch in the shell rc" 2 "$rc"; has "watch in the shell msg" "^kvmem: watch runs until interrupted" "$err"

kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=

# Issue 11: history. Reads at a version, diffs, resuming a watch: no gap, no
# duplicate; a watcher that falls behind gets one coalesced delivery.
start_server --history 1000
run set /h/a 1;                h1=$(store_version);     run set /h/b 2
run mv /h/a /h/c;              h3=$(store_version);     run rm /h/b; h4=$(store_version)
run get --at "$h1" /h/a;       check "get --at" 1 "$out"
run get --at "$h3" /h/a;       check "get --at: absent then" "kvmem: Cannot find the key /h/a" "$err"
run ls --at $((h1 + 1)) /h;    check "ls --at" "$(printf 'value\t/h/a\nvalue\t/h/b')" "$out"
run ls --json --at "$h4" /h;   check "ls --json --at" '[{"kind":"value","key":"/h/c"}]' "$out"
run diff "$h1" "$h4" /h;       check "diff" "$(printf 'remove\tvalue\t/h/a\nset\tvalue\t/h/c')" "$out"
run diff --json --values $((h1 + 1)) "$h4"
check "diff --json --values" '[{"op":"remove","kind":"value","key":"/h/a"},{"op":"remove","kind":"value","key":"/h/b"},{"op":"set","kind":"value","key":"/h/c","value":"1"}]' "$out"
run diff "$h4" "$h4";          check "diff of a version with itself" "" "$out"
run info;                      has "info: retained versions, over the network" '^retained_versions: [1-9]' "$out"
watch_bg "$work/r1" /r
run set /r/a 1;                run set /r/b 2;          wait_for "watch before resuming" "$work/r1" '/r/b$'
stop_watch INT;                last=$(tail -1 "$work/r1" | cut -f1)
run set /r/c 3;                run rm /r/a;             run set /elsewhere 1; now=$(store_version)
watch_bg "$work/r2" --from "$last" /r
run set /r/d 4;                wait_for "resumed watch goes on" "$work/r2" '/r/d$'
stop_watch INT
check "resume: no gap, no duplicate" "watching /r after version $last
coalesced: the changes after version $last up to $now as one diff (resuming from a retained version)
$now	remove	value	/r/a
$now	set	value	/r/c
$((now + 1))	set	value	/r/d" "$(cat "$work/r2")"
watch_bg "$work/c1" --window 1 /c
run set /c/0 0;                wait_for "watch --window 1" "$work/c1" '/c/0$'
kill -STOP "$wpid"             # it cannot acknowledge: the store holds back
for _ in $(seq 100); do [ "$(ps -o stat= -p "$wpid" | cut -c1)" = T ] && break; sleep 0.05; done
run set /c/1 1;                run set /c/2 2;          run set /c/3 3
kill -CONT "$wpid";            wait_for "behind, then caught up" "$work/c1" '/c/3$'
stop_watch INT
# What it gathered meanwhile comes per write (the store's log), not as a diff.
v0=$(grep $'\t/c/0$' "$work/c1" | cut -f1)
check "a watcher that fell behind gets every write" "$((v0 + 1))	set	value	/c/1
$((v0 + 2))	set	value	/c/2
$((v0 + 3))	set	value	/c/3" "$(grep $'\t/c/[123]$' "$work/c1")"
check "coalesced: every change once" "/c/0 /c/1 /c/2 /c/3 " "$(grep -o '/c/[0-9]' "$work/c1" | tr '\n' ' ')"
watch_bg "$work/l1" /              # the server dies under a watch: exit code 3
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
stop_watch none;               check "watch: lost connection rc" 3 "$rc"
has "watch: lost connection msg" "^kvmem: the watch ended after version [0-9]+: Store unavailable: .*\(server 127\.0\.0\.1:$port\)$" "$(cat "$work/l1.err")"
start_server --history-age 5m
run set /g 1;                  run set /g 2;            run get --at $(( $(store_version) - 1 )) /g
check "--history-age retains" 1 "$out"
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
for bad in -1 abc 1000000001 ""; do
  bare serve --history "$bad"; check "serve --history '$bad' rc" 2 "$rc"; has "serve --history '$bad' msg" '^kvmem: --history: ' "$err"
done
for bad in 30 5x -1s 366d 1.5s 18446744073709551615ms ""; do
  bare serve --history-age "$bad"; check "serve --history-age '$bad' rc" 2 "$rc"
  has "serve --history-age '$bad' msg" '^kvmem: --history-age: expected a duration' "$err"
done

[ "$fails" -eq 0 ] && echo "cli watch: all checks passed"
[ "$fails" -eq 0 ]
