# Shared by the RESP test scripts: cli_lib.sh's checks and cleanup (sourced
# with the kvmem binary as $1), and a `kvmem serve` with a RESP port.
source "$(dirname "${BASH_SOURCE[0]}")/cli_lib.sh"

# start_resp_server [SERVE ARGS...]: `kvmem serve --port 0 --resp-port 0`
# in the background; sets rport to the RESP port it printed, once that port
# answers PING (redis-cli), within 30 s. The port is read from the first line
# of its output that names RESP: "...:PORT", or "... resp PORT", "port PORT".
start_resp_server() {
  rm -f "$work/serve.out"
  "$KVMEM" serve --port 0 --resp-port 0 "$@" > "$work/serve.out" 2> "$work/serve.err" &
  server_pid=$!
  local deadline=$((SECONDS + 30)) line
  rport=
  while :; do
    line=$(grep -i -m1 'resp' "$work/serve.out" 2>/dev/null)
    if [ -n "$line" ]; then
      rport=$(echo "$line" | grep -oE ':[0-9]+' | tail -1 | tr -d :)
      [ -n "$rport" ] || rport=$(echo "$line" | grep -oiE '(resp|port) [0-9]+' | grep -oE '[0-9]+$' | tail -1)
      [ -n "$rport" ] && [ "$(timeout 5 redis-cli -p "$rport" PING 2>/dev/null)" = PONG ] && return 0
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
      echo "FAIL: kvmem serve exited: $(cat "$work/serve.err")"; exit 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "FAIL: no RESP port answering PING within 30 s; serve printed:"
      cat "$work/serve.out" "$work/serve.err"; exit 1
    fi
    sleep 0.05
  done
}
