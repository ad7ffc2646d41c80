#!/usr/bin/python3
"""RESP with a real client library: Debian's python3-redis (redis-py) against
`kvmem serve --resp-port P`. Usage: resp_python_test.py PORT (run by
resp_client_run.sh, which starts the server). Pipelining, MULTI/EXEC with
WATCH across connections, INCR from several processes with no lost update,
binary keys and values, values of several MB, MGET/MSET, SCAN, errors, and
RESP3 (through redis-py if it speaks it, else on a raw socket)."""

import inspect
import multiprocessing
import os
import socket
import sys
import time

try:
    import redis
except ImportError:
    print("FAIL: no module redis (Debian: python3-redis; run with /usr/bin/python3)")
    sys.exit(1)

PORT = int(sys.argv[1])
failures = []


def conn(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=20, **kw)


def check(name, cond, detail=""):
    if not cond:
        failures.append(name)
        print(f"FAIL: {name}" + (f": {detail}" if detail else ""), flush=True)


def expect_error(name, prefix, f, *args):
    """f(*args) must raise a ResponseError whose text begins with prefix."""
    try:
        got = f(*args)
    except redis.exceptions.ResponseError as e:
        check(name, str(e).startswith(prefix), f"error {str(e)!r}, expected {prefix!r}...")
        return
    check(name, False, f"no error; answered {got!r}")


def section(name, f):
    t = time.monotonic()
    try:
        f()
    except Exception as e:  # a failure of the section, not of the whole run
        failures.append(name)
        print(f"FAIL: {name}: {type(e).__name__}: {e}", flush=True)
    print(f"  {name}: {time.monotonic() - t:.2f} s", flush=True)


# -- pipelining ------------------------------------------------------------------
def pipelining():
    r = conn()
    r.flushall()
    p = r.pipeline(transaction=False)
    expected = []
    for i in range(250):  # 1000 commands in one pipeline, mixed reads and writes
        p.set(f"pipe/{i}", f"v{i}"); expected.append(True)
        p.get(f"pipe/{i}"); expected.append(f"v{i}".encode())
        p.incr("pipe-count"); expected.append(i + 1)
        p.get(f"pipe/{i + 1}"); expected.append(None)  # not yet set
    got = p.execute()
    check("pipeline: 1000 replies", len(got) == 1000, f"{len(got)} replies")
    bad = [i for i, (g, e) in enumerate(zip(got, expected)) if g != e]
    check("pipeline: replies in order", not bad,
          f"first difference at {bad[0]}: {got[bad[0]]!r} != {expected[bad[0]]!r}" if bad else "")
    check("pipeline: counter", r.get("pipe-count") == b"250")
    # 20000 commands (about 700 KB: more than one read of the server's) in one pipeline.
    p = r.pipeline(transaction=False)
    for i in range(10000):
        p.set(f"big-pipe/{i % 100}", f"{i:08d}")
        p.incr("big-pipe-count")
    got = p.execute()
    check("pipeline of 20000: replies in order",
          got == [x for i in range(10000) for x in (True, i + 1)], f"{len(got)} replies")
    check("pipeline of 20000: last values", r.mget("big-pipe/99", "big-pipe-count") == [b"00009999", b"10000"])
    # A pipeline with an error in its middle: the others still answer, in order.
    r.set("pipe-dict/x", "1")
    p = r.pipeline(transaction=False)
    p.set("pe/1", "a"); p.get("pipe-dict"); p.get("pe/1")
    got = p.execute(raise_on_error=False)
    check("pipeline with an error", got[0] is True and got[2] == b"a"
          and isinstance(got[1], redis.exceptions.ResponseError)
          and str(got[1]).startswith("WRONGTYPE"), repr(got))


# -- MULTI/EXEC and WATCH ------------------------------------------------------------
def transactions():
    r, other = conn(), conn()
    r.set("w", "0")
    # A second connection changes the watched key: EXEC fails, nothing written.
    with r.pipeline() as p:
        p.watch("w")
        check("WATCH: immediate read", p.get("w") == b"0")
        other.set("w", "changed")
        p.multi()
        p.set("w", "mine")
        p.set("w-side", "effect")
        try:
            res = p.execute()
            check("WATCH: EXEC after a change fails", False, f"EXEC answered {res!r}")
        except redis.exceptions.WatchError:
            pass
    check("WATCH: the other's write stands", r.get("w") == b"changed", repr(r.get("w")))
    check("WATCH: a failed EXEC wrote nothing", r.get("w-side") is None)
    # Nothing changed: EXEC succeeds.
    with r.pipeline() as p:
        p.watch("w")
        v = p.get("w")
        p.multi()
        p.set("w", v + b"+mine")
        p.incr("w-count")
        check("WATCH: EXEC without a change", p.execute() == [True, 1])
    check("WATCH: EXEC wrote", r.get("w") == b"changed+mine")
    # Another key in the same dictionary changes: not the watched key, no conflict.
    r.set("wd/x", "1")
    with r.pipeline() as p:
        p.watch("wd/x")
        other.set("wd/y", "sibling")
        p.multi()
        p.set("wd/x", "2")
        try:
            p.execute()
        except redis.exceptions.WatchError:
            check("WATCH: a sibling's change is not a conflict", False, "EXEC failed")
    # The watched key moves away (RENAME by another connection): a change.
    with r.pipeline() as p:
        p.watch("wd/x")
        other.rename("wd/x", "wd/z")
        p.multi()
        p.set("wd/q", "1")
        try:
            res = p.execute()
            check("WATCH: the watched key renamed away fails EXEC", False, repr(res))
        except redis.exceptions.WatchError:
            pass
    # A watched key that was absent and is created by another connection.
    with r.pipeline() as p:
        p.watch("w-new")
        other.set("w-new", "1")
        p.multi()
        p.set("w-new", "2")
        try:
            p.execute()
            check("WATCH: an absent key created fails EXEC", False)
        except redis.exceptions.WatchError:
            pass
    # redis-py's transaction() helper: the optimistic read-modify-write loop.
    r.set("tx", "10")

    def double(pipe):
        v = int(pipe.get("tx"))
        pipe.multi()
        pipe.set("tx", v * 2)
    r.transaction(double, "tx")
    check("transaction() helper", r.get("tx") == b"20")
    # MULTI with a runtime error: the other commands run (Redis's EXEC).
    r.set("tv", "v")
    p = r.pipeline()
    p.set("tr", "1"); p.incr("tv"); p.incr("tr")
    got = p.execute(raise_on_error=False)
    check("EXEC with a failing command", got[0] is True and got[2] == 2
          and isinstance(got[1], redis.exceptions.ResponseError), repr(got))


# -- INCR from several processes ---------------------------------------------------
def incr_worker(n):
    r = conn()
    return [r.incr("counter") for _ in range(n)]


def cas_worker(n):
    """n optimistic increments with WATCH/MULTI/EXEC, retried on WatchError."""
    r = conn()
    retries = 0
    for _ in range(n):
        while True:
            with r.pipeline() as p:
                try:
                    p.watch("cas")
                    v = int(p.get("cas") or 0)
                    p.multi()
                    p.set("cas", v + 1)
                    p.execute()
                    break
                except redis.exceptions.WatchError:
                    retries += 1
    return retries


def concurrency():
    r = conn()
    r.delete("counter", "cas")
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(4) as pool:
        results = pool.map(incr_worker, [500] * 4)
    seen = sorted(x for res in results for x in res)
    check("INCR from 4 processes: final 2000", r.get("counter") == b"2000", repr(r.get("counter")))
    check("INCR from 4 processes: each reply unique", seen == list(range(1, 2001)),
          f"{len(set(seen))} distinct of {len(seen)}")
    with ctx.Pool(4) as pool:
        retries = pool.map(cas_worker, [100] * 4)
    check("WATCH increments from 4 processes: final 400", r.get("cas") == b"400",
          f"{r.get('cas')!r} ({sum(retries)} retries)")


# -- binary keys and values, large values ----------------------------------------------
def binary():
    r = conn()
    every_byte = bytes(range(256))
    values = [b"", b"\x00", b"\r\n", b"a\r\nb\x00c\r\n", b"$5\r\nhello\r\n", b"*1\r\n$4\r\nPING\r\n",
              every_byte * 3, "h\u00e9llo w\u00f6rld \U0001F600".encode()]
    for i, v in enumerate(values):
        r.set(f"bin/v{i}", v)
        got = r.get(f"bin/v{i}")
        check(f"binary value {i} round-trips", got == v, f"{got!r} != {v!r}")
        check(f"binary value {i} STRLEN", r.strlen(f"bin/v{i}") == len(v))
    keys = [b"bin/k\x00nul", b"bin/k\r\ncrlf", b"bin/k \"quoted\" 'and' spaces",
            b"bin/k\xff\xfe\x80", "bin/k\u00e9\U0001F600".encode(), b"bin/k\t\x01\x7f"]
    for i, k in enumerate(keys):
        try:
            r.set(k, b"val" + bytes([i]))
        except redis.exceptions.ResponseError as e:
            check(f"binary key {k!r}: SET", False, f"refused: {e}")
            continue
        check(f"binary key {k!r}: GET", r.get(k) == b"val" + bytes([i]), repr(r.get(k)))
        check(f"binary key {k!r}: in KEYS", k in r.keys("bin/k*"), repr(r.keys("bin/k*")))
    r.set("bin/app", b"\x00")
    r.append("bin/app", b"\r\n\x00")
    check("APPEND binary", r.get("bin/app") == b"\x00\r\n\x00")
    r.setrange("bin/app", 1, b"\xff")
    check("SETRANGE binary", r.get("bin/app") == b"\x00\xff\n\x00")
    check("GETRANGE binary", r.getrange("bin/app", 1, 2) == b"\xff\n")


def large():
    r = conn()
    big = os.urandom(5 << 20)
    r.set("large/a", big)
    got = r.get("large/a")
    check("5 MB value round-trips", got == big, f"{len(got) if got else got} bytes back")
    check("5 MB STRLEN", r.strlen("large/a") == len(big))
    check("GETRANGE in a 5 MB value", r.getrange("large/a", 3 << 20, (3 << 20) + 99) == big[3 << 20:(3 << 20) + 100])
    r.append("large/a", big[:1 << 20])
    check("APPEND 1 MB to 5 MB", r.strlen("large/a") == 6 << 20)
    two = [os.urandom(2 << 20), os.urandom(3 << 20)]
    r.mset({"large/m1": two[0], "large/m2": two[1]})
    check("MSET/MGET of 2 and 3 MB", r.mget("large/m1", "large/m2") == two)
    p = r.pipeline(transaction=False)  # several MB in flight each way, pipelined
    for i in range(8):
        p.set(f"large/p{i}", big[i:i + (1 << 20)])
        p.get(f"large/p{i}")
    got = p.execute()
    check("pipelined 1 MB SET/GET x8", all(got[2 * i + 1] == big[i:i + (1 << 20)] for i in range(8)))
    r.delete("large/a", "large/m1", "large/m2", *[f"large/p{i}" for i in range(8)])


# -- MGET/MSET, keys, errors ----------------------------------------------------------
def strings_and_keys():
    r = conn()
    r.flushall()
    kv = {f"m/{i // 10}/{i}": str(i) for i in range(100)}
    check("MSET 100 keys", r.mset(kv) is True)
    names = list(kv) + ["m/none", "/m/0/5"]
    got = r.mget(names)
    check("MGET in order, nil for missing, leading slash", got == [v.encode() for v in kv.values()] + [None, b"5"], repr(got))
    check("MSETNX with an existing key", r.msetnx({"m/0/1": "x", "m/new": "y"}) is False)
    check("MSETNX wrote nothing", r.get("m/new") is None)
    check("DBSIZE", r.dbsize() == 100, repr(r.dbsize()))
    check("KEYS m/1/*", sorted(r.keys("m/1/*")) == sorted(k.encode() for k in kv if k.startswith("m/1/")))
    scanned = sorted(r.scan_iter(match="m/*", count=7))
    check("SCAN via scan_iter", scanned == sorted(k.encode() for k in kv), f"{len(scanned)} keys")
    check("TYPE value / dict / none", (r.type("m/0/1"), r.type("m/0"), r.type("m/x")) == (b"string", b"dict", b"none"))
    expect_error("GET a dictionary", "WRONGTYPE Operation against a key holding the wrong kind of value", r.get, "m/0")
    expect_error("unknown command", "unknown command 'FOO', with args beginning with: 'x' ", r.execute_command, "FOO", "x")
    expect_error("SET EX refused", "", r.set, "e", "v", 10)  # any error; the text is checked below
    try:
        r.set("e", "v", ex=10)
    except redis.exceptions.ResponseError as e:
        check("SET EX: the error mentions expiry", "xpir" in str(e), str(e))
    check("SET EX wrote nothing", r.get("e") is None)
    expect_error("EXPIRE refused", "", r.expire, "m/0/1", 10)
    check("TTL of a key", r.ttl("m/0/1") == -1)
    check("TTL of no key", r.ttl("m/none") == -2)
    check("INCRBYFLOAT", r.incrbyfloat("fl", 2.5) == 2.5)
    check("GETDEL", r.getdel("m/0/1") == b"1" and r.get("m/0/1") is None)
    check("SET GET", r.set("m/0/2", "new", get=True) == b"2")
    check("SET NX on existing", r.set("m/0/2", "z", nx=True) is None)
    name = conn(client_name="py-test").client_getname()
    check("client_name (CLIENT SETNAME on connecting)", name in ("py-test", b"py-test"), repr(name))
    info = r.info()
    check("INFO parsed: redis_version", "redis_version" in info and info.get("loading") == 0, repr(list(info)[:10]))
    check("PING", r.ping() is True)
    check("ECHO", r.echo(b"a\x00b") == b"a\x00b")
    check("FLUSHDB", r.flushdb() is True and r.dbsize() == 0)


# -- RESP3 -----------------------------------------------------------------------------
def read_reply(f):
    """One reply from the file f, as (type byte, value): aggregates hold lists
    of replies (a map: a list of (key, value) pairs)."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise EOFError(f"connection closed or no CRLF: {line!r}")
    t, rest = line[:1], line[1:-2]
    if t in (b"+", b"-", b":", b",", b"#", b"("):
        return t, rest
    if t in (b"$", b"=", b"!"):
        n = int(rest)
        if n < 0:
            return t, None
        data = f.read(n + 2)
        return t, data[:-2]
    if t == b"_":
        return t, None
    if t in (b"*", b"~", b">"):
        n = int(rest)
        return t, None if n < 0 else [read_reply(f) for _ in range(n)]
    if t in (b"%", b"|"):
        return t, [(read_reply(f), read_reply(f)) for _ in range(int(rest))]
    raise ValueError(f"unknown reply type {line!r}")


def resp3_raw():
    """HELLO 3 on a raw socket: the reply is a RESP3 map, and so are later replies."""
    s = socket.create_connection(("127.0.0.1", PORT), timeout=30)
    f = s.makefile("rb")

    def cmd(*args):
        args = [a if isinstance(a, bytes) else str(a).encode() for a in args]
        s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
        return read_reply(f)

    t, hello = cmd("HELLO", 3)
    check("RESP3: HELLO 3 answers a map", t == b"%", f"type {t!r}")
    if t == b"%":
        fields = {k[1]: v for k, v in hello}
        check("RESP3: HELLO 3 says proto 3", fields.get(b"proto") == (b":", b"3"), repr(fields))
        check("RESP3: HELLO 3 fields", set(fields) >= {b"server", b"version", b"proto", b"id", b"mode", b"role", b"modules"},
              repr(sorted(fields)))
    check("RESP3: nil is _", cmd("GET", "resp3/none") == (b"_", None))
    check("RESP3: SET", cmd("SET", "resp3/k", "v") == (b"+", b"OK"))
    check("RESP3: GET", cmd("GET", "resp3/k") == (b"$", b"v"))
    got = cmd("CONFIG", "GET", "appendonly")
    check("RESP3: CONFIG GET is a map", got == (b"%", [((b"$", b"appendonly"), (b"$", b"no"))]), repr(got))
    got = cmd("MGET", "resp3/k", "resp3/none")
    check("RESP3: MGET", got == (b"*", [(b"$", b"v"), (b"_", None)]), repr(got))
    got = cmd("INCRBYFLOAT", "resp3/f", "1.5")
    check("RESP3: INCRBYFLOAT is a bulk string (as Redis 7)", got == (b"$", b"1.5"), repr(got))
    got = cmd("GET", "resp3")
    check("RESP3: WRONGTYPE", got[0] == b"-" and got[1].startswith(b"WRONGTYPE"), repr(got))
    cmd("WATCH", "resp3/k")
    cmd("SET", "resp3/k", "w")
    cmd("MULTI")
    cmd("GET", "resp3/k")
    got = cmd("EXEC")
    check("RESP3: a failed EXEC is _ (null)", got == (b"_", None), repr(got))
    t, _ = cmd("HELLO", 2)
    check("HELLO 2 answers an array", t == b"*", f"type {t!r}")
    check("HELLO 2: nil is $-1 again", cmd("GET", "resp3/none") == (b"$", None))
    cmd("WATCH", "resp3/k")
    cmd("SET", "resp3/k", "x")
    cmd("MULTI")
    cmd("GET", "resp3/k")
    got = cmd("EXEC")
    check("RESP2: a failed EXEC is *-1", got == (b"*", None), repr(got))
    check("QUIT", cmd("QUIT") == (b"+", b"OK"))
    check("QUIT closes the connection", f.read() == b"")
    s.close()


def resp3():
    params = inspect.signature(redis.Redis.__init__).parameters
    if "protocol" not in params:
        print(f"  note: redis-py {redis.__version__} has no protocol=3; RESP3 checked on a raw socket only")
    else:
        r = conn(protocol=3)
        r.set("resp3/py", "v")
        check("redis-py RESP3: GET", r.get("resp3/py") == b"v")
        check("redis-py RESP3: nil", r.get("resp3/nope") is None)
        check("redis-py RESP3: MGET", r.mget("resp3/py", "resp3/nope") == [b"v", None])
        check("redis-py RESP3: INCR", r.incr("resp3/n") == 1)
    resp3_raw()


if __name__ == "__main__":
    print(f"redis-py {redis.__version__} against 127.0.0.1:{PORT}", flush=True)
    section("pipelining", pipelining)
    section("transactions", transactions)
    section("concurrency", concurrency)
    section("binary", binary)
    section("large values", large)
    section("strings and keys", strings_and_keys)
    section("RESP3", resp3)
    check("server still answers", conn().ping() is True)
    if failures:
        print(f"{len(failures)} check(s) failed")
        sys.exit(1)
    print("resp_python: all checks passed")
