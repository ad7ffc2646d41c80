#!/usr/bin/env bash
# Scripted sessions with the kvmem CLI: a server in the background, commands
# against it, their output and exit codes; the shell; Ctrl-C; a killed server.
set -u
KVMEM="$1"
work=$(mktemp -d)
fails=0
server_pid=
cleanup() { [ -n "$server_pid" ] && kill -9 "$server_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

check() { # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1"; echo "  expected: $(printf %q "$2")"; echo "  actual:   $(printf %q "$3")"
    fails=$((fails + 1))
  fi
}

start_server() {
  "$KVMEM" serve --port 0 "$@" > "$work/serve.out" 2> "$work/serve.err" &
  server_pid=$!
  for _ in $(seq 100); do
    grep -q "serving on" "$work/serve.out" 2>/dev/null && break
    sleep 0.05
  done
  port=$(sed -n 's/^kvmem: serving on .*:\([0-9]*\)$/\1/p' "$work/serve.out")
  [ -n "$port" ] || { echo "FAIL: server did not start: $(cat "$work/serve.err")"; exit 1; }
  K=("$KVMEM" --connect "127.0.0.1:$port")
}

run() { # run ARGS...: sets out, err, rc
  out=$("${K[@]}" "$@" 2> "$work/err"); rc=$?; err=$(cat "$work/err")
}

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
check "stat kind" "kind: value" "$(echo "$out" | sed -n 2p)"
check "stat size" "size: 5" "$(echo "$out" | sed -n 3p)"
echo "$out" | grep -Eq '^last_modified: [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$' || { echo "FAIL: stat time: $out"; fails=$((fails+1)); }
run mv /a/b /c;                check "mv rc" 0 "$rc"
run get /c;                    check "get after mv" hello "$out"
run rm /c;                     check "rm rc" 0 "$rc"
run rm /c;                     check "rm absent is fine" 0 "$rc"

# Errors: one line on stderr, non-zero exit code.
run get /a;                    check "get dict rc" 1 "$rc"; check "get dict msg" "kvmem: Expecting a value for the key /a" "$err"
run get /missing;              check "not found msg" "kvmem: Cannot find the key /missing" "$err"
run mv /a /a/x;                check "prefix msg" "kvmem: Rename: source /a is prefix of destination /a/x" "$err"
run frobnicate /x;             check "unknown command rc" 2 "$rc"; check "unknown command lines" 1 "$(echo "$err" | wc -l)"
run get a/b;                   check "bad key rc" 2 "$rc"
run set /x;                    check "bad args rc" 2 "$rc"
out=$("$KVMEM" --connect 127.0.0.1:1 get /x 2> "$work/err"); rc=$?
check "refused rc" 3 "$rc"; check "refused one line" 1 "$(wc -l < "$work/err")"
grep -q "connection refused" "$work/err" || { echo "FAIL: refused message: $(cat "$work/err")"; fails=$((fails+1)); }

# Binary values, from stdin and from a file, round-trip exactly.
head -c 4096 /dev/urandom > "$work/blob"
"${K[@]}" set /bin/stdin - < "$work/blob"; check "set stdin rc" 0 "$?"
"${K[@]}" get /bin/stdin > "$work/blob.out"
cmp -s "$work/blob" "$work/blob.out"; check "binary via stdin" 0 "$?"
"${K[@]}" set /bin/file --file "$work/blob"; check "set file rc" 0 "$?"
"${K[@]}" get /bin/file > "$work/blob.out2"
cmp -s "$work/blob" "$work/blob.out2"; check "binary via file" 0 "$?"
run set /x --file "$work/no-such-file"; check "missing file rc" 2 "$rc"

# The shell, scripted through a pipe.
out=$(printf 'set /s "two words"\nget /s\nexists /s\nhelp\nquit\nget /never\n' | "${K[@]}" 2>&1)
check "shell get" "two words" "$(echo "$out" | sed -n 1p)"
check "shell exists" value "$(echo "$out" | sed -n 2p)"
echo "$out" | grep -q "^commands:" || { echo "FAIL: shell help"; fails=$((fails+1)); }
echo "$out" | grep -q never && { echo "FAIL: shell did not quit"; fails=$((fails+1)); }

# Ctrl-C stops the server cleanly.
kill -INT "$server_pid"; wait "$server_pid"; rc=$?; server_pid=
check "serve exits 0 on SIGINT" 0 "$rc"
grep -q "SIGINT received, stopping" "$work/serve.out" || { echo "FAIL: no stop message"; fails=$((fails+1)); }

# A server killed while a client waits: the client fails, in bounded time.
start_server
"${K[@]}" set /k v
kill -STOP "$server_pid"                 # requests now wait unanswered
( "${K[@]}" get /k > "$work/wait.out" 2> "$work/wait.err"; echo $? > "$work/wait.rc" ) &
waiter=$!
sleep 0.5
kill -9 "$server_pid"; server_pid=
start=$(date +%s)
wait "$waiter"
elapsed=$(( $(date +%s) - start ))
check "waiting client fails" 3 "$(cat "$work/wait.rc")"
[ "$elapsed" -le 10 ] || { echo "FAIL: waiting client took ${elapsed}s"; fails=$((fails+1)); }

# Non-loopback binds need the explicit option.
"$KVMEM" serve --port 0 --bind 0.0.0.0 > /dev/null 2> "$work/bind.err"; rc=$?
check "non-loopback refused rc" 2 "$rc"
grep -q "authentication" "$work/bind.err" || { echo "FAIL: bind message: $(cat "$work/bind.err")"; fails=$((fails+1)); }

if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "cli: all checks passed"
