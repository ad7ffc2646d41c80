#!/usr/bin/env bash
# resp_client_run.sh KVMEM PROGRAM [ARGS...]: starts `kvmem serve
# --resp-port 0` (resp_lib.sh), runs PROGRAM ARGS... PORT with the RESP port
# it serves on (within 120 s), and exits with PROGRAM's code; fails too if
# the server died meanwhile. Runs the client-library tests
# (resp_python_test.py, resp_hiredis_test).
source "$(dirname "$0")/resp_lib.sh"
shift
start_resp_server
timeout 120 "$@" "$rport"; rc=$?
[ "$rc" -ne 124 ] || echo "FAIL: $* did not finish within 120 s"
if [ "$rc" -ne 0 ] && [ -s "$work/serve.err" ]; then
  echo "kvmem serve's standard error:"; sed 's/^/  /' "$work/serve.err" | head -50
fi
if ! kill -0 "$server_pid" 2>/dev/null; then
  echo "FAIL: kvmem serve died: $(cat "$work/serve.err")"; rc=1
fi
exit "$rc"
