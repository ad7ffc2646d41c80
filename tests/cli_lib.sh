# Shared by the CLI test scripts: setup and cleanup, checks, a server in the
# background and commands against it, and background watches. Sourced after
# KVMEM is set to the kvmem binary.
set -u
export LC_ALL=C   # bytes are bytes: no locale-dependent printf or grep
KVMEM="$1"
work=$(mktemp -d)
fails=0
server_pid=
helpers=()
cleanup() { # reaps what it kills, so that bash reports no "Killed" jobs
  for p in $server_pid "${helpers[@]}"; do kill -9 "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT

check() { # check NAME EXPECTED ACTUAL
  if [ "$2" != "$3" ]; then
    echo "FAIL: $1"; echo "  expected: $(printf %q "$2")"; echo "  actual:   $(printf %q "$3")"
    fails=$((fails + 1))
  fi
}
has() { # has NAME PATTERN TEXT: TEXT matches the extended regex PATTERN
  echo "$3" | grep -Eq -- "$2" || { echo "FAIL: $1: no /$2/ in $(printf %q "$3")"; fails=$((fails + 1)); }
}
hasnt() { # hasnt NAME PATTERN TEXT
  echo "$3" | grep -Eq -- "$2" && { echo "FAIL: $1: /$2/ in $(printf %q "$3")"; fails=$((fails + 1)); }
}

start_server() {
  # A fresh file: with the old one, a check made before the new server
  # truncates it would find the old server's port.
  rm -f "$work/serve.out"
  "$KVMEM" serve --port 0 "$@" > "$work/serve.out" 2> "$work/serve.err" &
  server_pid=$!
  for _ in $(seq 600); do
    grep -q "serving on" "$work/serve.out" 2>/dev/null && break
    sleep 0.05
  done
  port=$(sed -n 's/^kvmem: serving on .*:\([0-9]*\)$/\1/p' "$work/serve.out")
  [ -n "$port" ] || { echo "FAIL: server did not start: $(cat "$work/serve.err")"; exit 1; }
  K=("$KVMEM" --connect "127.0.0.1:$port")
}

# run ARGS...: a command against the server; sets out, err, rc. `timeout`:
# a regression must fail the check, not hang the test.
run() { out=$(timeout 60 "${K[@]}" "$@" 2> "$work/err"); rc=$?; err=$(cat "$work/err"); }
# bare ARGS...: the same without --connect (option errors, serve).
bare() { out=$(timeout 20 "$KVMEM" "$@" 2> "$work/err" < /dev/null); rc=$?; err=$(cat "$work/err"); }

field() { echo "$out" | sed -n "s/^$1: //p"; }   # field NAME: from stat or info in $out
store_version() { run info; field version; }
# shell LINES: LINES (printf format) into the interactive shell; sets out, err, rc.
shell() { out=$(printf "$1" | timeout 60 "${K[@]}" 2> "$work/err"); rc=$?; err=$(cat "$work/err"); }
wait_for() { # wait_for NAME FILE PATTERN: up to 15 s for a line of FILE to match
  for _ in $(seq 300); do grep -Eq -- "$3" "$2" 2>/dev/null && return 0; sleep 0.05; done
  echo "FAIL: $1: no /$3/ in $(printf %q "$(cat "$2" 2>/dev/null)")"; fails=$((fails + 1)); return 1
}
watch_bg() { # watch_bg FILE ARGS...: kvmem watch ARGS > FILE, 2> FILE.err; sets wpid
  local f=$1; shift
  "${K[@]}" watch "$@" > "$f" 2> "$f.err" & wpid=$!; helpers+=($wpid)
  wait_for "watch $* started" "$f" '^(watching |\{"type":"start")'
}
stop_watch() { # stop_watch SIGNAL: stops $wpid; sets rc (124 if it would not stop)
  [ "$1" = none ] || kill -"$1" "$wpid"
  for _ in $(seq 300); do kill -0 "$wpid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$wpid" 2>/dev/null && { kill -9 "$wpid"; wait "$wpid"; rc=124; return; }
  wait "$wpid"; rc=$?
}
