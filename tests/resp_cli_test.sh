#!/usr/bin/env bash
# RESP with Redis's own clients: scripted redis-cli sessions over every
# command the server answers (docs/resp.md is the contract), the inline
# protocol over a bare socket, and redis-benchmark. Takes the kvmem binary as
# $1; starts `kvmem serve --resp-port 0` and waits for its port to answer PING.
source "$(dirname "$0")/resp_lib.sh"

command -v redis-cli > /dev/null && command -v redis-benchmark > /dev/null ||
  { echo "FAIL: redis-cli and redis-benchmark are needed (Debian: redis-tools)"; exit 1; }
start_resp_server

RC=(timeout 20 redis-cli -p "$rport")
r() { out=$("${RC[@]}" --no-raw "$@" 2>&1); }   # one command, formatted output
raw() { out=$("${RC[@]}" --raw "$@" 2>&1); }    # one command, raw output

# session NAME < SCRIPT: the lines of SCRIPT that begin with "> " are
# commands, sent in order on one redis-cli connection (--no-raw); the other
# non-empty lines are the output expected, line by line; one that begins with
# "~" is an extended regex the whole line must match.
session() {
  local name=$1 l cmds=() exp=() got gl=() i ok=1 shown=()
  while IFS= read -r l; do
    case "$l" in
      '> '*) cmds+=("${l#> }") ;;
      '') ;;
      *) exp+=("$l") ;;
    esac
  done
  got=$(printf '%s\n' "${cmds[@]}" | "${RC[@]}" --no-raw 2>&1)
  [ -n "$got" ] && mapfile -t gl <<< "$got"
  [ "${#gl[@]}" -eq "${#exp[@]}" ] || ok=0
  for ((i = 0; i < ${#exp[@]}; i++)); do # shown: what is expected, a matched regex as its match
    shown+=("${exp[i]}")
    if [ "${exp[i]:0:1}" = "~" ]; then
      if [[ ${gl[i]-} =~ ^(${exp[i]:1})$ ]]; then shown[i]=${gl[i]}; else ok=0; fi
    else
      [ "${gl[i]-}" = "${exp[i]}" ] || ok=0
    fi
  done
  if ((!ok)); then
    echo "FAIL: session '$name': commands, then expected and actual output:"
    printf '  $ %s\n' "${cmds[@]}"
    diff <(printf '%s\n' "${shown[@]}") <(printf '%s\n' "${gl[@]}") | sed 's/^/  /'
    fails=$((fails + 1))
  fi
}

# -- connection ---------------------------------------------------------------
session "connection" <<'EOF'
> PING
PONG
> PING "hello world"
"hello world"
> ECHO "a b"
"a b"
> SELECT 0
OK
> SELECT 1
~\(error\) ERR .*
> SELECT 0
OK
> CLIENT SETNAME resp-test
OK
> CLIENT GETNAME
"resp-test"
> CLIENT ID
~\(integer\) [0-9]+
> CLIENT SETINFO lib-name kvmem-test
OK
> CLIENT SETINFO lib-ver 1.0
OK
> CONFIG GET save
1) "save"
2) ""
> CONFIG GET appendonly
1) "appendonly"
2) "no"
> foo bar baz
(error) ERR unknown command 'foo', with args beginning with: 'bar' 'baz' 
> foo
(error) ERR unknown command 'foo', with args beginning with: 
> foo "x\r\ny" z
(error) ERR unknown command 'foo', with args beginning with: 'x  y' 'z' 
> foo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b c
(error) ERR unknown command 'foo', with args beginning with: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' 'b' 'c' 
> GET
(error) ERR wrong number of arguments for 'get' command
> SET k
(error) ERR wrong number of arguments for 'set' command
> PING
PONG
EOF

r CLIENT LIST;            has "CLIENT LIST has this client" '^"?id=[0-9]+ .*addr=127\.0\.0\.1:[0-9]+' "$out"
r CLIENT NOSUCH;          has "CLIENT with an unknown subcommand" '^\(error\) ERR ' "$out"
r COMMAND COUNT;          has "COMMAND COUNT" '^\(integer\) [1-9][0-9]*$' "$out"
r COMMAND INFO get;       has "COMMAND INFO get" '^1\) +1\) "get"$' "$out"
r COMMAND DOCS get;       has "COMMAND DOCS get" '^1\) "get"$' "$out"
r COMMAND;                has "COMMAND lists commands" '"(get|set|incr)"' "$out"
raw INFO
info=$(echo "$out" | tr -d '\r' | grep -E '^(redis_version|loading|# )')
has "INFO redis_version" '^redis_version:[0-9]+\.[0-9]+\.[0-9]+$' "$info"
has "INFO loading:0" '^loading:0$' "$info"
has "INFO has a # kvmem section" '^# kvmem$' "$info"
has "INFO has a # Server section" '^# Server$' "$info"
raw AUTH secret;          has "AUTH without a password" '^ERR .*password' "$out"
# HELLO: a map (RESP2: an array of pairs); after HELLO 3, replies are RESP3.
r HELLO 2;                has "HELLO 2 proto" '"proto"' "$out"
session "HELLO 3, then RESP3 replies" <<'EOF'
> HELLO 3
~1# "server" => ".*"
~2# "version" => ".*"
3# "proto" => (integer) 3
~4# "id" => \(integer\) [0-9]+
~5# "mode" => ".*"
~6# "role" => ".*"
~7# "modules" => .*
> SET h3 v
OK
> GET h3
"v"
> GET h3-nope
(nil)
> HELLO 2
~ 1\) "server"
~ 2\) ".*"
~ 3\) "version"
~ 4\) ".*"
 5) "proto"
 6) (integer) 2
 7) "id"
~ 8\) \(integer\) [0-9]+
 9) "mode"
~10\) ".*"
11) "role"
~12\) ".*"
13) "modules"
~14\) .*
> HELLO 4
~\(error\) NOPROTO .*
> DEL h3
(integer) 1
EOF

# -- strings --------------------------------------------------------------------
session "strings" <<'EOF'
> FLUSHALL
OK
> DBSIZE
(integer) 0
> SET k v
OK
> GET k
"v"
> GET /k
"v"
> SET k w NX
(nil)
> SET k2 w XX
(nil)
> GET k2
(nil)
> SET k w2 XX GET
"v"
> GET k
"w2"
> SET k3 z NX
OK
> SET k3 zz GET
"z"
> SET k3 new KEEPTTL
OK
> GET k3
"new"
> SET k4 x NX XX
(error) ERR syntax error
> MSET m1 1 m2 2 /m3 3
OK
> MGET m1 m2 m3 nope /m1
1) "1"
2) "2"
3) "3"
4) (nil)
5) "1"
> MSET m1
(error) ERR wrong number of arguments for 'mset' command
> MSETNX m1 x m4 y
(integer) 0
> GET m4
(nil)
> MSETNX m4 x m5 y
(integer) 1
> MGET m4 m5
1) "x"
2) "y"
> SETNX m4 z
(integer) 0
> SETNX m6 z
(integer) 1
> GETSET m6 zz
"z"
> GETSET m7 a
(nil)
> GETDEL m7
"a"
> GETDEL m7
(nil)
> STRLEN m6
(integer) 2
> STRLEN nope
(integer) 0
> SET s "Hello World"
OK
> GETRANGE s 0 4
"Hello"
> GETRANGE s -5 -1
"World"
> GETRANGE s 100 200
""
> GETRANGE nope 0 -1
""
> SETRANGE s 6 Redis
(integer) 11
> GET s
"Hello Redis"
> SETRANGE pad 3 ab
(integer) 5
> GET pad
"\x00\x00\x00ab"
> APPEND s "!!"
(integer) 13
> GET s
"Hello Redis!!"
> APPEND newk abc
(integer) 3
> SET empty ""
OK
> GET empty
""
> STRLEN empty
(integer) 0
> SET bin "a\x00b\r\nc"
OK
> GET bin
"a\x00b\r\nc"
> STRLEN bin
(integer) 6
EOF

session "counters" <<'EOF'
> INCR c
(integer) 1
> INCRBY c 10
(integer) 11
> DECR c
(integer) 10
> DECRBY c 3
(integer) 7
> INCRBY c -10
(integer) -3
> GET c
"-3"
> DECR fresh
(integer) -1
> INCR s
(error) ERR value is not an integer or out of range
> INCRBY c abc
(error) ERR value is not an integer or out of range
> SET big 9223372036854775807
OK
> INCR big
(error) ERR increment or decrement would overflow
> GET big
"9223372036854775807"
> SET sp " 1"
OK
> INCR sp
(error) ERR value is not an integer or out of range
> INCRBYFLOAT f 1.5
"1.5"
> INCRBYFLOAT f 0.25
"1.75"
> INCRBYFLOAT c 1
"-2"
> INCRBYFLOAT s 1
(error) ERR value is not a valid float
> SET fl 10.50
OK
> INCRBYFLOAT fl 0.1
"10.6"
> INCRBYFLOAT fl -5
"5.6"
> SET fl 5.0e3
OK
> INCRBYFLOAT fl 2.0e2
"5200"
EOF

# Expiry is refused: no key ever expires; TTL says so.
session "expiry" <<'EOF'
> SET e v
OK
> SET e v2 EX 10
~\(error\) .*[Ee]xpir.*
> SET e v2 PX 10
~\(error\) .*[Ee]xpir.*
> GET e
"v"
> EXPIRE e 10
~\(error\) .*[Ee]xpir.*
> PEXPIRE e 10
~\(error\) .*[Ee]xpir.*
> TTL e
(integer) -1
> TTL nope
(integer) -2
> GET e
"v"
EOF

# -- keys: paths, dictionaries, types -----------------------------------------
session "keys and dictionaries" <<'EOF'
> FLUSHALL
OK
> SET a/b x
OK
> GET a/b
"x"
> GET /a/b
"x"
> GET a
(error) WRONGTYPE Operation against a key holding the wrong kind of value
> GET /a
(error) WRONGTYPE Operation against a key holding the wrong kind of value
> TYPE a
dict
> TYPE /a/b
string
> TYPE nope
none
> STRLEN a
(error) WRONGTYPE Operation against a key holding the wrong kind of value
> INCR a
(error) WRONGTYPE Operation against a key holding the wrong kind of value
> APPEND a z
(error) WRONGTYPE Operation against a key holding the wrong kind of value
> SET a/c y
OK
> SET top t
OK
> DBSIZE
(integer) 3
> EXISTS a/b /a/b nope top
(integer) 3
> MGET a/b a a/c
1) "x"
2) (nil)
3) "y"
> TTL a/b
(integer) -1
> RENAME a/c d/e
OK
> GET d/e
"y"
> GET a/c
(nil)
> TYPE d
dict
> RENAME nope x
(error) ERR no such key
> RENAMENX d/e top
(integer) 0
> RENAMENX d/e f
(integer) 1
> GET f
"y"
> SET g gv
OK
> RENAME g f
OK
> GET f
"gv"
> RENAME f a
(error) WRONGTYPE Operation against a key holding the wrong kind of value
> GET f
"gv"
> RENAME f f
OK
> DEL a/b nope f
(integer) 2
> UNLINK top
(integer) 1
> UNLINK top
(integer) 0
> DBSIZE
(integer) 0
EOF

# KEYS and SCAN name value keys only, without a leading slash.
r FLUSHALL
r MSET a/b 1 a/c 2 /x/y/z 3 top 4 a/d/e 5
check "MSET paths" OK "$out"
raw KEYS '*';             check "KEYS *" "$(printf 'a/b\na/c\na/d/e\ntop\nx/y/z')" "$(echo "$out" | sort)"
raw KEYS 'a/*';           check "KEYS a/*" "$(printf 'a/b\na/c\na/d/e')" "$(echo "$out" | sort)"
raw KEYS 'a/?';           check "KEYS a/?" "$(printf 'a/b\na/c')" "$(echo "$out" | sort)"
raw KEYS 'nomatch*';      check "KEYS nothing" "" "$out"
r KEYS 'nomatch*';        check "KEYS nothing (formatted)" "(empty array)" "$out"
# scan ARGS...: every key of SCAN cursor ARGS..., the cursor followed on one
# connection (a bare socket: redis-cli 7.0's --scan has no COUNT); sorted.
scan() {
  local cursor=0 n l keys=() i rounds=0
  exec 4<>"/dev/tcp/127.0.0.1/$rport"
  while :; do
    local cmd=(SCAN "$cursor" "$@") req
    req="*${#cmd[@]}"$'\r\n'
    for a in "${cmd[@]}"; do req+="\$${#a}"$'\r\n'"$a"$'\r\n'; done
    printf '%s' "$req" >&4
    IFS= read -r -t 10 l <&4; [ "${l%$'\r'}" = '*2' ] || { echo "bad SCAN reply: $l"; break; }
    IFS= read -r -t 10 l <&4; IFS= read -r -t 10 cursor <&4; cursor=${cursor%$'\r'}
    IFS= read -r -t 10 l <&4; n=${l%$'\r'}; n=${n#\*}
    for ((i = 0; i < n; i++)); do
      IFS= read -r -t 10 l <&4; IFS= read -r -t 10 l <&4; keys+=("${l%$'\r'}")
    done
    [ "$cursor" = 0 ] && break
    rounds=$((rounds + 1)); [ "$rounds" -lt 1000 ] || { echo "SCAN did not end"; break; }
  done
  exec 4>&-
  [ "${#keys[@]}" -eq 0 ] || printf '%s\n' "${keys[@]}" | sort
}
check "SCAN" "$(printf 'a/b\na/c\na/d/e\ntop\nx/y/z')" "$(scan)"
check "SCAN COUNT 1" "$(printf 'a/b\na/c\na/d/e\ntop\nx/y/z')" "$(scan COUNT 1)"
check "SCAN MATCH" "$(printf 'a/b\na/c\na/d/e')" "$(scan MATCH 'a/*' COUNT 2)"
check "SCAN MATCH /-form" "$(printf '/a/b\n/a/c\n/a/d/e')" "$(scan MATCH '/a/*' COUNT 2)"
check "SCAN MATCH nothing" "" "$(scan MATCH 'zz*' COUNT 2)"
check "redis-cli --scan" "$(printf 'a/b\na/c\na/d/e')" "$("${RC[@]}" --scan --pattern 'a/*' | sort)"
session "SCAN TYPE" <<'EOS'
> SCAN 0 COUNT 1000 TYPE string
1) "0"
2) 1) "a/b"
   2) "a/c"
   3) "a/d/e"
   4) "top"
   5) "x/y/z"
> SCAN 0 COUNT 1000 TYPE hash
1) "0"
2) (empty array)
> SCAN 0 MATCH x* COUNT 1000
1) "0"
2) 1) "x/y/z"
EOS
# Redis's cursors are stateless: one may be continued on another connection.
# kvmem's are per connection (src/resp/commands.hpp): reported, not failed.
cur=$("${RC[@]}" --raw SCAN 0 COUNT 1 | head -1)
r SCAN "$cur" COUNT 1
[[ $out == *error* ]] && echo "note: a SCAN cursor ($cur) continued on another connection answers: $out"
r SCAN 0 COUNT 0;         has "SCAN COUNT 0" '^\(error\) ERR syntax error' "$out"
r SCAN notanumber;        has "SCAN bad cursor" '^\(error\) ERR invalid cursor' "$out"

# A key through a value, a value over a dictionary: errors, nothing written.
r SET a/b/c x;            has "SET under a value" '^\(error\) ' "$out"
r GET a/b;                check "value under which SET failed" '"1"' "$out"
r SET a x;                has "SET over a dictionary" '^\(error\) ' "$out"
r TYPE a;                 check "dictionary SET failed on" dict "$out"
r SET '' x;               has "SET on the root" '^\(error\) ' "$out"
r SET / x;                has "SET on /" '^\(error\) ' "$out"
r GET 'a//b';             echo "note: GET a//b answers $out"
r EXISTS a;               echo "note: EXISTS on a dictionary answers $out"
r DEL a;                  echo "note: DEL on a dictionary answers $out"
r FLUSHDB;                check "FLUSHDB" OK "$out"
r DBSIZE;                 check "DBSIZE after FLUSHDB" "(integer) 0" "$out"

# -- transactions ---------------------------------------------------------------
session "MULTI/EXEC/DISCARD" <<'EOF'
> MULTI
OK
> SET t 1
QUEUED
> INCR t
QUEUED
> GET t
QUEUED
> EXEC
1) OK
2) (integer) 2
3) "2"
> MULTI
OK
> SET t 5
QUEUED
> DISCARD
OK
> GET t
"2"
> EXEC
(error) ERR EXEC without MULTI
> DISCARD
(error) ERR DISCARD without MULTI
> MULTI
OK
> MULTI
(error) ERR MULTI calls can not be nested
> WATCH t
(error) ERR WATCH inside MULTI is not allowed
> INCR t
QUEUED
> EXEC
1) (integer) 3
> MULTI
OK
> nosuchcommand
(error) ERR unknown command 'nosuchcommand', with args beginning with: 
> INCR t
QUEUED
> EXEC
(error) EXECABORT Transaction discarded because of previous errors.
> GET t
"3"
> MULTI
OK
> SET t/x 1
QUEUED
> INCR t
QUEUED
> EXEC
~1\) \(error\) .*
2) (integer) 4
> MULTI
OK
> EXEC
(empty array)
EOF

# WATCH: a change to a watched key, this client's own included, fails EXEC
# (a null reply); UNWATCH and EXEC forget the watch.
session "WATCH" <<'EOF'
> SET w 1
OK
> WATCH w
OK
> SET w 2
OK
> MULTI
OK
> SET w 3
QUEUED
> EXEC
(nil)
> GET w
"2"
> WATCH w
OK
> MULTI
OK
> SET w 4
QUEUED
> EXEC
1) OK
> WATCH w
OK
> UNWATCH
OK
> SET w 5
OK
> MULTI
OK
> GET w
QUEUED
> EXEC
1) "5"
> WATCH absent
OK
> SET absent now
OK
> MULTI
OK
> GET absent
QUEUED
> EXEC
(nil)
> WATCH w absent2
OK
> MULTI
OK
> INCR w
QUEUED
> EXEC
1) (integer) 6
EOF

# -- kvmem's own commands ---------------------------------------------------------
session "kvmem commands" <<'EOF'
> FLUSHALL
OK
> SET kv/a/x hello
OK
> SET kv/b world
OK
> KV.LS kv
1) "a/"
2) "b"
> KV.LS /kv
1) "a/"
2) "b"
> KV.LS /
1) "kv/"
> KV.LS
1) "kv/"
> KV.LS nope
(nil)
> KV.LS kv/b
~\(error\) .*
> KV.STAT kv/b
 1) "kind"
 2) "value"
 3) "size"
 4) (integer) 5
 5) "last_modified"
~ 6\) "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"
 7) "created"
~ 8\) \(integer\) [1-9][0-9]*
 9) "modified"
~10\) \(integer\) [1-9][0-9]*
11) "subtree"
~12\) \(integer\) [0-9]+
13) "entries"
14) (integer) 0
> KV.STAT kv
 1) "kind"
 2) "dictionary"
 3) "size"
~ 4\) \(integer\) [0-9]+
 5) "last_modified"
~ 6\) "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"
 7) "created"
~ 8\) \(integer\) [1-9][0-9]*
 9) "modified"
~10\) \(integer\) [1-9][0-9]*
11) "subtree"
~12\) \(integer\) [1-9][0-9]*
13) "entries"
14) (integer) 2
> KV.STAT nope
(nil)
> KV.DIGEST kv/a/x
"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
> KV.DIGEST nope
(nil)
> KV.DIGEST kv
~"[0-9a-f]{64}"
> KV.LASTMOD kv/b
~"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z"
> KV.LASTMOD nope
(nil)
> KV.VERSION
~\(integer\) [1-9][0-9]*
> KV.MV kv/a kv/moved
OK
> GET kv/moved/x
"hello"
> TYPE kv/a
none
> KV.MV kv/b kv/moved
OK
> GET kv/moved/b
"world"
> KV.MV kv/nope kv/z
~\(error\) .*
> KV.MV kv kv/moved/deeper
~\(error\) .*
> KV.DIFF 1 2
~\(error\) .*
EOF
r SET kv/c 1;             r KV.VERSION; v1=$out
r SET kv/c 2;             r KV.VERSION
check "KV.VERSION after a write" "(integer) $(( ${v1#(integer) } + 1 ))" "$out"
r KV.DIGEST kv/moved;     d1=$out
r SET kv/moved/b world;   r KV.DIGEST kv/moved
check "KV.DIGEST of a dictionary: contents only, not versions" "$d1" "$out"

# -- the inline protocol, on a bare socket -----------------------------------------
exec 3<>"/dev/tcp/127.0.0.1/$rport"
printf 'PING\r\nSET "inline key" '"'"'v w'"'"'\r\nGET "inline key"\r\nECHO "a\\x41b"\r\n' >&3
inline=
for _ in 1 2 3 4 5 6; do IFS= read -r -t 10 l <&3 && inline+="$l"$'\n'; done
exec 3>&-
check "inline protocol" "$(printf '+PONG\r\n+OK\r\n$3\r\nv w\r\n$3\r\naAb\r')" "$(printf '%s' "${inline%$'\n'}")"

# QUIT: +OK, then the server closes the connection. QUIT and the PING after
# it go in one write (cat of a file; bash's printf writes each line on its
# own): a PING arriving after the server closed would make the kernel answer
# it with a reset, and cat end with "Connection reset by peer".
exec 3<>"/dev/tcp/127.0.0.1/$rport"
printf '*1\r\n$4\r\nQUIT\r\n*1\r\n$4\r\nPING\r\n' > "$work/quit.req"
# (The PING may still meet a closed socket: no SIGPIPE for this script.)
( trap '' PIPE; cat "$work/quit.req" >&3 ) 2> /dev/null
quit=$(timeout 10 cat <&3); rc=$?
exec 3>&-
check "QUIT answers +OK and closes" "+OK" "$(echo "$quit" | tr -d '\r')"
check "QUIT closed the connection (cat ended)" 0 "$rc"

# -- redis-benchmark ------------------------------------------------------------
r FLUSHALL
bench() { # bench NAME ARGS...: redis-benchmark ARGS -q; one rate per test in EXPECTED
  local name=$1; shift
  out=$(timeout 120 redis-benchmark -p "$rport" "$@" -q 2>&1 | tr '\r' '\n'); rc=${PIPESTATUS[0]}
  check "$name rc" 0 "$rc"
  hasnt "$name: no errors" '(ERR|[Ee]rror|WRONGTYPE)' "$out"
  echo "$out" | grep -E 'requests per second' | sed "s/^/  $name: /"
}
bench "redis-benchmark" -t ping,get,set,incr,mset -n 20000
for t in PING_INLINE PING_MBULK SET GET INCR 'MSET \(10 keys\)'; do
  has "redis-benchmark $t rate" "^$t: [0-9.]+ requests per second" "$out"
done
bench "redis-benchmark -P 16" -t set,get -n 20000 -P 16
for t in SET GET; do has "redis-benchmark -P 16 $t rate" "^$t: [0-9.]+ requests per second" "$out"; done
r STRLEN key:__rand_int__; check "redis-benchmark's key (3 bytes: -d 3)" "(integer) 3" "$out"
r GET counter:__rand_int__; check "redis-benchmark's INCRs, none lost" '"20000"' "$out"

r PING;                   check "server still answers" PONG "$out"

# -- a password (--resp-password), RESP only (--resp-only: no CAF port) -----------
kill -9 "$server_pid"; wait "$server_pid" 2>/dev/null
start_resp_server --resp-only --resp-password s3cret
RC=(timeout 20 redis-cli -p "$rport")
has "RESP-only serve says AUTH is required" '^kvmem: serving RESP on 127\.0\.0\.1:[0-9]+ \(AUTH required\)$' "$(cat "$work/serve.out")"
hasnt "RESP-only serve has no CAF port" '^kvmem: serving on ' "$(cat "$work/serve.out")"
session "AUTH" <<'EOF'
> PING
PONG
> GET k
(error) NOAUTH Authentication required.
> HELLO 3
~\(error\) NOAUTH .*
> AUTH wrong
(error) WRONGPASS invalid username-password pair or user is disabled.
> AUTH nobody s3cret
(error) WRONGPASS invalid username-password pair or user is disabled.
> GET k
(error) NOAUTH Authentication required.
> AUTH s3cret
OK
> SET k v
OK
> AUTH default s3cret
OK
> GET k
"v"
EOF
session "HELLO 3 AUTH" <<'EOF'
> HELLO 3 AUTH default wrong
(error) WRONGPASS invalid username-password pair or user is disabled.
> HELLO 2 AUTH default s3cret SETNAME hello-auth
~ 1\) "server"
~ 2\) ".*"
~ 3\) "version"
~ 4\) ".*"
 5) "proto"
 6) (integer) 2
 7) "id"
~ 8\) \(integer\) [0-9]+
 9) "mode"
~10\) ".*"
11) "role"
~12\) ".*"
13) "modules"
~14\) .*
> CLIENT GETNAME
"hello-auth"
> GET k
"v"
EOF
out=$(timeout 20 redis-cli -p "$rport" --no-auth-warning -a s3cret --no-raw GET k 2>&1)
check "redis-cli -a" '"v"' "$out"
if [ "$fails" -ne 0 ]; then echo "$fails check(s) failed"; exit 1; fi
echo "resp_cli: all checks passed"
