#!/usr/bin/env bash
# Scripted sessions with the kvmem CLI: a server in the background, commands
# against it, their output and exit codes; the shell; Ctrl-C; a killed
# server; option values, file errors, escaped and machine output, a peer
# that never answers (issue 9, items 7-11); versions in stat, conditional
# writes, a 100,000-entry dictionary's stat (issue 10). Watches and history
# are in cli_watch_test.sh. docs/cli.md is the contract.
source "$(dirname "$0")/cli_lib.sh"

start_server

run set /a/b hello;            check "set rc" 0 "$rc"; check "set prints nothing" "" "$out"
run get /a/b;                  check "get" hello "$out"; check "get rc" 0 "$rc"
run exists /a;                 check "exists dict" dictionary "$out"
run exists /a/b;               check "exists value" value "$out"
run exists /nope;              check "exists absent" absent "$out"
run ls /;                      check "ls" "$(printf 'dictionary\t/a')" "$out"
run ls;                        check "ls default root" "$(printf 'dictionary\t/a')" "$out"
run digest /a/b;               check "digest" "$(printf hello | sha256sum | cut -d' ' -f1)" "$out"
run stat /a/b
check "stat key" "key: /a/b" "$(echo "$out" | sed -n 1p)"
check "stat kind" "kind: value" "$(echo "$out" | sed -n 2p)"
check "stat size" "size: 5" "$(echo "$out" | sed -n 3p)"
has "stat time" '^last_modified: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' "$(echo "$out" | sed -n 4p)"
run stat /a;                   check "stat entries" "entries: 1" "$(echo "$out" | sed -n 3p)"
names() { echo "$out" | cut -d: -f1 | tr '\n' ' '; }   # the field names of stat in $out
check "stat dictionary fields" "key kind entries last_modified created modified subtree digest " "$(names)"
run stat /a/b;                 check "stat value fields" "key kind size last_modified created modified digest " "$(names)"

# Issue 10: versions. On this server only this script writes, so the version
# info reports after a write is that write's version.
run set /ver/x one;            v1=$(store_version); run stat /ver/x
check "new value: created, modified = the set's version" "$v1 $v1" "$(field created) $(field modified)"
run set /ver/x one;            v2=$(store_version); run stat /ver/x
check "same bytes again: a new modified, same created" "$v1 $v2" "$(field created) $(field modified)"
check "a write is a new version" "$((v1 + 1))" "$v2"
run stat /ver
check "dictionary (a direct entry overwritten): entries, created, modified, subtree" "1 $v1 $v2 $v2" "$(field entries) $(field created) $(field modified) $(field subtree)"
run stat --json /ver/x
has "stat --json value" "^\{\"key\":\"/ver/x\",\"kind\":\"value\",\"size\":3,\"last_modified\":\"[0-9T:.Z-]+\",\"created\":$v1,\"modified\":$v2,\"digest\":\"[0-9a-f]{64}\"\}$" "$out"
run set /ver/d/y deep;         run stat /ver/d/y; before=$(field modified)
run mv /ver/d /ver/e;          vr=$(store_version); run stat /ver/e/y
check "a key moved with its parent reports the rename's version" "$vr $vr" "$(field created) $(field modified)"
[ "$before" != "$vr" ] || { echo "FAIL: version unchanged by the rename"; fails=$((fails + 1)); }
run set /ver/a A;              run set /ver/b B
run mv /ver/a /ver/b;          vr=$(store_version); run stat /ver/b
check "a value moved over another reports the rename's version" "$vr $vr" "$(field created) $(field modified)"

# Issue 10: conditional writes. A mismatch: the library's message, exit
# code 4, nothing written (the store's version does not move).
run set /cas/k v1;             m=$(store_version)
run set --if-version "$m" /cas/k v2;  check "set --if-version match rc" 0 "$rc"
run get /cas/k;                check "set --if-version match wrote" v2 "$out"
run set --if-version "$m" /cas/k v3
check "set --if-version mismatch rc" 4 "$rc"
check "set --if-version mismatch msg" "kvmem: Version mismatch for the key /cas/k: expected version $m, found version $((m + 1))" "$err"
run get /cas/k;                check "set --if-version mismatch left the value" v2 "$out"
check "a failed condition writes nothing" "$((m + 1))" "$(store_version)"
run set --if-absent /cas/k v4
check "set --if-absent on an existing key rc" 4 "$rc"
check "set --if-absent existing msg" "kvmem: Version mismatch for the key /cas/k: expected absent, found version $((m + 1))" "$err"
run get /cas/k;                check "set --if-absent left the value" v2 "$out"
run set --if-absent /cas/n new;       check "set --if-absent on an absent key rc" 0 "$rc"
run get /cas/n;                check "set --if-absent wrote" new "$out"
run set --if-version 5 /cas/none x
check "--if-version on an absent key msg" "kvmem: Version mismatch for the key /cas/none: expected version 5, found absent" "$err"
run exists /cas/none;          check "--if-version on an absent key wrote nothing" absent "$out"
run stat /cas/k;               m=$(field modified)
printf 'from stdin' > "$work/cas"
out=$(timeout 60 "${K[@]}" set --if-version "$((m - 1))" /cas/k - < "$work/cas" 2>&1); rc=$?
check "set - --if-version mismatch rc" 4 "$rc"
run set /cas/k --if-version "$m" --file "$work/cas"; check "set --file --if-version match rc" 0 "$rc"
run get /cas/k;                check "set --file --if-version wrote" "from stdin" "$out"
run rm --if-version "$m" /cas/k;      check "rm --if-version mismatch rc" 4 "$rc"
m=$(store_version)             # /cas/k's version: the last write was to it
run exists /cas/k;             check "rm --if-version mismatch kept the key" value "$out"
run rm --if-absent /cas/k;     check "rm --if-absent on an existing key rc" 4 "$rc"
run rm --if-version "$m" /cas/k; check "rm --if-version match rc" 0 "$rc"
run exists /cas/k;             check "rm --if-version match removed" absent "$out"
run rm --if-absent /cas/k;     check "rm --if-absent on an absent key rc" 0 "$rc"
run stat /cas/n;               m=$(field modified)
run mv --if-version "$((m + 1))" /cas/n /cas/moved
check "mv --if-version mismatch rc" 4 "$rc"; has "mv condition is about SRC" "for the key /cas/n:" "$err"
run exists /cas/moved;         check "mv --if-version mismatch moved nothing" absent "$out"
run mv /cas/n /cas/moved --if-version "$m"; check "mv --if-version match rc" 0 "$rc"
run get /cas/moved;            check "mv --if-version match moved" new "$out"
run mv --if-absent /cas/moved /cas/n; check "mv --if-absent rc" 2 "$rc"; has "mv --if-absent msg" "^kvmem: mv has no --if-absent" "$err"
run set --if-version 1 --if-absent /cas/k x
check "--if-version with --if-absent rc" 2 "$rc"; has "exclusive msg" "^kvmem: --if-version excludes --if-absent" "$err"
for bad in -1 abc 0x10 1e3 18446744073709551616 ""; do
  run set --if-version "$bad" /cas/k x
  check "--if-version '$bad' rc" 2 "$rc"; has "--if-version '$bad' msg" '^kvmem: --if-version: expected a version' "$err"
done
run set --if-version 18446744073709551615 /cas/k x; check "--if-version max is a version" 4 "$rc"
out=$(printf 'set --if-version 99999 /cas/s a\nset /cas/s b\nget /cas/s\nset --if-absent /cas/s c\n' | "${K[@]}" 2> "$work/err"); rc=$?
check "shell: a condition holds for its line only" b "$out"
check "shell: exit code of a failed condition" 4 "$rc"
shell_err=$(cat "$work/err")
check "shell: conditional errors" "kvmem: Version mismatch for the key /cas/s: expected version 99999, found absent
kvmem: Version mismatch for the key /cas/s: expected absent, found version $(store_version)" "$shell_err"

# Issue 10: begin ... commit in the shell: one batch, all or none.
v=$(store_version)
shell 'begin\nset /blk/x 1\nset /blk/y 2\nmv /blk/y /blk/z\ncommit\nget /blk/x\nget /blk/z\n'
check "block rc" 0 "$rc"; check "block applied in order" "$(printf '1\n2')" "$out"; check "block: no errors" "" "$err"
check "block: one version" "$((v + 1))" "$(store_version)"
shell 'begin\nset /blk/x 3\nset --if-version 1 /blk/z 4\ncommit\n'
check "block with a failed condition rc" 4 "$rc"
check "block with a failed condition msg" "kvmem: Version mismatch for the key /blk/z: expected version 1, found version $((v + 1))" "$err"
run get /blk/x;                check "block with a failed condition wrote nothing" 1 "$out"
shell 'begin\nset /blk/x 5\nget /blk/x\nset /blk/w --file /no/such\nset /blk/w\nrm /blk/z\ncommit\n'
check "block with failed lines rc" 2 "$rc"
check "block with failed lines msgs" "kvmem: get between begin and commit: only set, rm and mv can be batched
kvmem: cannot read /no/such: No such file or directory
kvmem: set needs a VALUE, - (standard input) or --file PATH
kvmem: commit: nothing written (a line since begin failed)" "$err"
run get /blk/x;                check "block with failed lines wrote nothing" 1 "$out"
shell 'begin\nset /blk/x 6\nabort\nget /blk/x\nbegin\nset /blk/x 7\n'
check "abort, and a block the input ends in" 1 "$out"; check "unfinished block rc" 2 "$rc"
check "unfinished block msg" "kvmem: begin without commit: 1 buffered write(s) discarded" "$err"
run get /blk/x;                check "unfinished block wrote nothing" 1 "$out"
shell 'commit\nbegin\nbegin\ncommit\nabort x\n'
check "control errors" "kvmem: commit without begin
kvmem: begin inside begin ... commit (blocks do not nest)
kvmem: commit: nothing written (a line since begin failed)
kvmem: abort: unexpected argument \"x\"" "$err"
run begin;                     check "begin outside the shell rc" 2 "$rc"; has "begin outside the shell msg" "shell only" "$err"

# Issue 10: a 100,000-entry dictionary (one block: one round trip, not
# 100,000) reports its entry count; stat reads the count the tree keeps and
# never lists the dictionary (docs/cli.md).
{ echo begin; seq 100000 | sed 's|^|set /big/k|; s|$| v|'; echo commit; } | timeout 60 "${K[@]}" 2> "$work/err"
check "block of 100,000 sets rc" 0 "$?"; check "block of 100,000 sets errors" "" "$(cat "$work/err")"
run stat /big;                 check "stat of 100,000 entries" "entries: 100000" "$(echo "$out" | sed -n 3p)"
run stat --json /big;          has "stat --json of 100,000 entries" '^\{"key":"/big","kind":"dictionary","entries":100000,' "$out"
run get /big/k100000;          check "the last of 100,000" v "$out"
run rm /big;                   run rm /blk
run mv /a/b /c;                check "mv rc" 0 "$rc"
run get /c;                    check "get after mv" hello "$out"
run rm /c;                     check "rm rc" 0 "$rc"
run rm /c;                     check "rm absent is fine" 0 "$rc"
run info;                      check "info capacity" "capacity: unlimited" "$(echo "$out" | sed -n 3p)"
bare help;                     check "help needs no server" 0 "$rc"; has "help lists" '^  ls ' "$out"
run set /dash -- -x;           check "value after --" 0 "$rc"
run get /dash;                 check "value starting with -" "-x" "$out"

# Errors: one line on stderr, non-zero exit code.
run get /a;                    check "get dict rc" 1 "$rc"; check "get dict msg" "kvmem: Expecting a value for the key /a" "$err"
run get /missing;              check "not found msg" "kvmem: Cannot find the key /missing" "$err"
run get $'/new\nline';         check "error with a newline key: one line" 'kvmem: Cannot find the key /new\nline' "$err"
run mv /a /a/x;                check "prefix msg" "kvmem: Rename: source /a is prefix of destination /a/x" "$err"
run frobnicate /x;             check "unknown command rc" 2 "$rc"; check "unknown command msg" 'kvmem: unknown command "frobnicate"' "$err"
run get a/b;                   check "bad key rc" 2 "$rc"; has "bad key msg" 'bad key "a/b"' "$err"
run set /x;                    check "bad args rc" 2 "$rc"; check "bad args lines" 1 "$(echo "$err" | wc -l)"
run set /x -q;                 check "dash value rc" 2 "$rc"; has "dash value hint" "set KEY -- -q" "$err"
bare --connect 127.0.0.1:1 get /x
check "refused rc" 3 "$rc"; check "refused one line" 1 "$(echo "$err" | wc -l)"
has "refused message" "connection refused" "$err"

# Item 9: option values are checked, and errors name the option.
for bad in 70000 -1 65536 12abc 0x50 ""; do
  bare serve --port "$bad"
  check "serve --port '$bad' rc" 2 "$rc"; has "serve --port '$bad' msg" '^kvmem: --port: ' "$err"
done
for bad in -5 abc 5XB 18446744073709551616 1EiB; do
  bare serve --capacity "$bad"
  check "serve --capacity '$bad' rc" 2 "$rc"; has "serve --capacity '$bad' msg" '^kvmem: --capacity: ' "$err"
done
for bad in 127.0.0.1:12abc 127.0.0.1:0 127.0.0.1:65536 127.0.0.1 :7470 127.0.0.1:-1; do
  bare --connect "$bad" get /x
  check "--connect '$bad' rc" 2 "$rc"; has "--connect '$bad' msg" '^kvmem: --connect: ' "$err"
done
for opt in --timeout --connect-timeout; do
  for bad in abc 0 -5 86400001 10ms; do
    bare --connect "127.0.0.1:$port" "$opt" "$bad" get /x
    check "$opt '$bad' rc" 2 "$rc"; has "$opt '$bad' msg" "^kvmem: $opt: " "$err"
  done
done
out=$(KVMEM_CONNECT=127.0.0.1:12abc timeout 20 "$KVMEM" get /x 2>&1); rc=$?
check "bad KVMEM_CONNECT rc" 2 "$rc"; has "bad KVMEM_CONNECT msg" "^kvmem: KVMEM_CONNECT: " "$out"
out=$(KVMEM_CONNECT="127.0.0.1:$port" timeout 20 "$KVMEM" exists /a 2>&1)
check "KVMEM_CONNECT" dictionary "$out"
# Leading zeros are decimal: CLI11's base-0 conversion would reject "09000"
# as octal (and 9 s is long enough for a loaded machine to connect).
run --timeout 020000 --connect-timeout 09000 exists /a
check "valid timeouts (decimal, not octal)" dictionary "$out"
bare --connect 127.0.0.1:1 serve; check "client option before serve rc" 2 "$rc"
bare serve --port 0 --bogus;      check "unknown serve option rc" 2 "$rc"

# Binary values, from stdin and from a file, round-trip exactly.
head -c 4096 /dev/urandom > "$work/blob"
"${K[@]}" set /bin/stdin - < "$work/blob"; check "set stdin rc" 0 "$?"
"${K[@]}" get /bin/stdin > "$work/blob.out"
cmp -s "$work/blob" "$work/blob.out"; check "binary via stdin" 0 "$?"
head -c 300000 /dev/urandom > "$work/blob2"  # from a pipe, several reads
cat "$work/blob2" | "${K[@]}" set /bin/pipe -; check "set pipe rc" 0 "$?"
"${K[@]}" get /bin/pipe | cmp -s "$work/blob2" -; check "binary via pipe" 0 "$?"
"${K[@]}" set /bin/file --file "$work/blob"; check "set file rc" 0 "$?"
"${K[@]}" get /bin/file > "$work/blob.out2"
cmp -s "$work/blob" "$work/blob.out2"; check "binary via file" 0 "$?"
: | "${K[@]}" set /bin/empty -; run get /bin/empty; check "empty stdin" "" "$out"

# Item 8: every file error is one line and exit code 2, never an abort.
run set /x --file "$work/no-such-file"; check "missing file rc" 2 "$rc"
check "missing file msg" "kvmem: cannot read $work/no-such-file: No such file or directory" "$err"
run set /x --file "$work";     check "directory rc" 2 "$rc"
check "directory msg" "kvmem: cannot read $work: Is a directory" "$err"
out=$(timeout 60 "${K[@]}" set /x - < "$work" 2>&1); rc=$?
check "stdin directory rc" 2 "$rc"; check "stdin directory msg" "kvmem: cannot read standard input: Is a directory" "$out"
if [ -w /dev/full ]; then
  timeout 60 "${K[@]}" get /bin/file > /dev/full 2> "$work/err"; rc=$?
  check "full output rc" 2 "$rc"; has "full output msg" "^kvmem: cannot write the output: " "$(cat "$work/err")"
fi

# Item 11: human output escapes keys; --json and -0 are exact.
"${K[@]}" set $'/e/new\nline' 1; "${K[@]}" set $'/e/t\tab' 2; "${K[@]}" set $'/e/esc\e[2J' 3
"${K[@]}" set '/e/back\slash' 4; "${K[@]}" set $'/e/bad\xff' 5; "${K[@]}" set '/e/été' 6
"${K[@]}" set $'/e/rtl\xe2\x80\xae' 7
run ls /e
check "ls escapes" "$(printf 'value\t%s\n' '/e/back\\slash' '/e/bad\xff' '/e/esc\x1b[2J' \
  '/e/new\nline' '/e/rtl\xe2\x80\xae' '/e/t\tab' '/e/été')" "$out"
run stat $'/e/new\nline';      check "stat escapes" 'key: /e/new\nline' "$(echo "$out" | sed -n 1p)"
run ls --json /e
check "ls --json" '[{"kind":"value","key":"/e/back\\slash"},{"kind":"value","key":"/e/bad'$'\xef\xbf\xbd''","key_hex":"2f652f626164ff"},{"kind":"value","key":"/e/esc\u001b[2J"},{"kind":"value","key":"/e/new\nline"},{"kind":"value","key":"/e/rtl\u202e"},{"kind":"value","key":"/e/t\tab"},{"kind":"value","key":"/e/été"}]' "$out"
if command -v python3 > /dev/null; then
  keys=$("${K[@]}" ls --json /e | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
  check "ls --json parses" 7 "$keys"
fi
"${K[@]}" ls -0 /e > "$work/ls0"
printf 'value\t/e/back\\slash\0value\t/e/bad\xff\0value\t/e/esc\e[2J\0value\t/e/new\nline\0value\t/e/rtl\xe2\x80\xae\0value\t/e/t\tab\0value\t/e/été\0' > "$work/ls0.expected"
cmp -s "$work/ls0" "$work/ls0.expected"; check "ls -0 raw records" 0 "$?"
run stat --json /e
has "stat --json" '^\{"key":"/e","kind":"dictionary","entries":7,"last_modified":"[0-9T:.Z-]+","created":[0-9]+,"modified":[0-9]+,"subtree":[0-9]+,"digest":"[0-9a-f]{64}"\}$' "$out"
run info --json;               has "info --json" '^\{"version":[0-9]+,"used":[0-9]+,"capacity":null,"pinned":0,"retained_versions":0,"retained_bytes":0,"subscriptions":0,"owned_keys":0\}$' "$out"
printf 'set "/z/a\\\0b" v\n' | "${K[@]}" > /dev/null   # a key with a NUL byte, via the shell
run ls -0 /z;                  check "ls -0 refuses NUL rc" 2 "$rc"; check "ls -0 refuses NUL: no output" "" "$out"
run ls /z;                     check "ls escapes NUL" "$(printf 'value\t%s' '/z/a\x00b')" "$out"
run ls --json /z;              check "ls --json NUL" '[{"kind":"value","key":"/z/a\u0000b"}]' "$out"
# get ends with a newline on a terminal only; piped, the bytes are exact.
"${K[@]}" set /h hello
if command -v script > /dev/null; then
  out=$(script -qec "$(printf '%q ' "${K[@]}") get /h" /dev/null < /dev/null | od -An -c | tr -s ' ')
  check "get on a tty ends with a newline" " h e l l o \r \n" "$out"
fi
check "get piped is raw" "68656c6c6f" "$("${K[@]}" get /h | od -An -tx1 | tr -d ' \n')"

# A large value from a pipe: the CLI holds about 3 copies at its peak (the
# read buffer is gone before sending; the wire makes 2), not 4. Skipped
# under ASan, whose quarantine keeps freed blocks resident.
if [ -x /usr/bin/time ] && ! grep -q __asan_init "$KVMEM"; then
  rss() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -1; }
  small=$(echo x | rss "${K[@]}" set /m/small -)
  big=$(head -c 67108864 /dev/zero | rss "${K[@]}" set /m/big -)
  [ $(( (big - small) * 100 / 65536 )) -lt 350 ] || { echo "FAIL: set - of 64 MiB peaked at $big KiB (idle $small KiB)"; fails=$((fails+1)); }
  "${K[@]}" rm /m
fi

# The shell, scripted through a pipe.
out=$(printf 'set /s/w "two words"\nget /s/w\nexists /s/w\nls --json /s\nhelp\nbogus\nquit\nget /never\n' | "${K[@]}" 2>&1)
check "shell get" "two words" "$(echo "$out" | sed -n 1p)"
check "shell exists" value "$(echo "$out" | sed -n 2p)"
check "shell ls --json" '[{"kind":"value","key":"/s/w"}]' "$(echo "$out" | sed -n 3p)"
has "shell help" "^commands:" "$out"
has "shell unknown command" '^kvmem: unknown command "bogus"' "$out"
hasnt "shell did not quit" never "$out"
out=$(printf 'ls --json\nls\n' | "${K[@]}" 2>&1)
check "shell resets options between lines" "$(printf 'dictionary\t/a')" "$(echo "$out" | sed -n 2p)"

# Ctrl-C stops the server cleanly.
kill -INT "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "serve exits 0 on SIGINT" 0 "$rc"
grep -q "SIGINT received, stopping" "$work/serve.out" || { echo "FAIL: no stop message"; fails=$((fails+1)); }

# A size with a unit: the capacity is enforced.
start_server --capacity 1KiB
run info;                      check "capacity 1KiB" "capacity: 1024" "$(echo "$out" | sed -n 3p)"
head -c 2000 /dev/zero > "$work/2k"
run set /big --file "$work/2k"; check "over capacity rc" 1 "$rc"; check "over capacity msg" "kvmem: No space left on device" "$err"
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=

# Issue 15: values from files and streams are held to the server's
# max_batch_bytes before they are read whole; a closed standard input says so.
start_server --max-batch-bytes 1KiB
run set /big --file "$work/2k"; check "file over max_batch_bytes rc" 2 "$rc"
check "file over max_batch_bytes msg" "kvmem: cannot read $work/2k: it holds 2000 bytes, more than 1024 bytes, the most the store takes in one write (max_batch_bytes)" "$err"
out=$(timeout 60 "${K[@]}" set /big - < /dev/zero 2>&1); rc=$?
check "endless stream rc" 2 "$rc"
check "endless stream msg" "kvmem: cannot read standard input: more than 1024 bytes, the most the store takes in one write (max_batch_bytes)" "$out"
out=$(timeout 60 "${K[@]}" set /a - <&- 2>&1); rc=$?
check "closed stdin rc" 2 "$rc"; check "closed stdin msg" "kvmem: cannot read standard input: it is closed" "$out"
head -c 1000 /dev/zero > "$work/1k"
run set /fits --file "$work/1k"; check "a value within the limit rc" 0 "$rc"
run exists /big;               check "nothing written" absent "$out"
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=

# Item 10: a server killed under the shell: said in words, naming the server.
start_server
mkfifo "$work/fifo"
( timeout 60 "${K[@]}" < "$work/fifo" > "$work/sh.out" 2> "$work/sh.err"; echo $? > "$work/sh.rc" ) &
helpers+=($!)
exec 7> "$work/fifo"
echo "set /k v" >&7
for _ in $(seq 100); do [ "$("${K[@]}" exists /k 2>/dev/null)" = value ] && break; sleep 0.05; done
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
echo "get /k" >&7; exec 7>&-
wait "${helpers[-1]}"
check "shell after server death rc" 3 "$(cat "$work/sh.rc")"
has "shell after server death names the server" "^kvmem: Store unavailable: .*\(server 127\.0\.0\.1:$port\)$" "$(cat "$work/sh.err")"
hasnt "no raw CAF codes" '[a-z_]+\([a-z_]+\)' "$(cat "$work/sh.err")"

# A server killed while a client waits: the client fails, in bounded time.
start_server
"${K[@]}" set /k v
kill -STOP "$server_pid"                 # requests now wait unanswered
( timeout 60 "${K[@]}" get /k > "$work/wait.out" 2> "$work/wait.err"; echo $? > "$work/wait.rc" ) &
waiter=$!
sleep 0.5
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null; server_pid=
wait "$waiter"
check "waiting client fails" 3 "$(cat "$work/wait.rc")"
hasnt "waiting client: no raw CAF codes" '[a-z_]+\([a-z_]+\)' "$(cat "$work/wait.err")"

# Items 7 and 10: peers that are not kvmem stores. One accepts and never
# answers: connecting gives up after --connect-timeout (or --timeout).
# One answers in HTTP: the message says what happened, not "refused".
if command -v python3 > /dev/null; then
  peer() { # peer MODE: a TCP listener on a free port; sets peer_port
    python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept(); conns.append(c)
    if sys.argv[1] == "http":
        c.sendall(b"HTTP/1.0 400 Bad Request\r\nContent-Length: 0\r\n\r\n" * 4); c.close()
' "$1" > "$work/peer.port" &
    helpers+=($!)
    for _ in $(seq 100); do [ -s "$work/peer.port" ] && break; sleep 0.05; done
    peer_port=$(cat "$work/peer.port"); rm -f "$work/peer.port"
  }
  peer silent
  bare --connect "127.0.0.1:$peer_port" --connect-timeout 1000 get /x
  check "silent peer rc (connect timeout)" 3 "$rc"; check "silent peer one line" 1 "$(echo "$err" | wc -l)"
  has "silent peer msg" "^kvmem: .*127\.0\.0\.1:$peer_port" "$err"
  bare --connect "127.0.0.1:$peer_port" --timeout 1000 get /x
  check "silent peer rc (--timeout bounds connecting)" 3 "$rc"
  peer http
  bare --connect "127.0.0.1:$peer_port" get /x
  check "HTTP peer rc" 3 "$rc"; check "HTTP peer one line" 1 "$(echo "$err" | wc -l)"
  hasnt "HTTP peer is not 'refused'" "refused" "$err"
  hasnt "HTTP peer: no raw CAF codes" '[a-z_]+\([a-z_]+\)' "$err"
fi

# Non-loopback binds need the explicit option.
bare serve --port 0 --bind 0.0.0.0
check "non-loopback refused rc" 2 "$rc"
has "bind message" "authentication" "$err"

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "cli: all checks passed"
