/* RESP with a client from another language: hiredis (Debian: libhiredis-dev)
 * against `kvmem serve --resp-port P`. Usage: resp_hiredis_test PORT (run by
 * resp_client_run.sh, which starts the server). Pipelined SET/GET, binary
 * values, INCR, error replies (WRONGTYPE, unknown command), nil for missing
 * keys. Plain C that is also valid C++ (so it can be compiled as either).
 * Exits 1 with a line per failed check. */
#include <hiredis.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;
static redisContext *current = NULL; /* for the text of a connection error */

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("FAIL: ");
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
  failures++;
}

/* No reply: the connection failed (hiredis cannot go on with it). */
static void no_reply(const char *what) {
  printf("FAIL: %s: no reply: %s; stopping (%d check(s) failed before)\n", what,
         current && current->err ? current->errstr : "connection error", failures);
  exit(1);
}

static const char *type_name(int t) {
  switch (t) {
  case REDIS_REPLY_STRING: return "string";
  case REDIS_REPLY_ARRAY: return "array";
  case REDIS_REPLY_INTEGER: return "integer";
  case REDIS_REPLY_NIL: return "nil";
  case REDIS_REPLY_STATUS: return "status";
  case REDIS_REPLY_ERROR: return "error";
  default: return "other";
  }
}

/* The reply r must be of type t, and (for strings, statuses and errors) hold
 * the len bytes of s (s NULL: any); frees r. Returns 1 if it is. */
static int expect(const char *what, redisReply *r, int t, const char *s, size_t len) {
  int ok = 1;
  if (r == NULL) no_reply(what);
  if (r->type != t) {
    fail("%s: a %s reply (%.*s), expected a %s", what, type_name(r->type),
         (int)(r->str ? (r->len > 200 ? 200 : r->len) : 0), r->str ? r->str : "", type_name(t));
    ok = 0;
  } else if (s != NULL && (r->len != len || memcmp(r->str, s, len) != 0)) {
    fail("%s: %zu bytes \"%.*s\", expected %zu bytes \"%.*s\"", what, (size_t)r->len,
         (int)(r->len > 200 ? 200 : r->len), r->str, len, (int)(len > 200 ? 200 : len), s);
    ok = 0;
  }
  freeReplyObject(r);
  return ok;
}
#define EXPECT_STR(what, r, t, s) expect(what, r, t, s, strlen(s))

static void expect_int(const char *what, redisReply *r, long long n) {
  if (r == NULL) no_reply(what);
  if (r->type != REDIS_REPLY_INTEGER)
    fail("%s: a %s reply (%.*s), expected the integer %lld", what, type_name(r->type),
         (int)(r->str ? r->len : 0), r->str ? r->str : "", n);
  else if (r->integer != n)
    fail("%s: %lld, expected %lld", what, r->integer, n);
  freeReplyObject(r);
}

static redisReply *next_reply(redisContext *c) {
  void *r = NULL;
  if (redisGetReply(c, &r) != REDIS_OK) return NULL;
  return (redisReply *)r;
}

static redisReply *cmd(redisContext *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  void *r = redisvCommand(c, fmt, ap);
  va_end(ap);
  return (redisReply *)r;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: resp_hiredis_test PORT\n");
    return 2;
  }
  struct timeval tv = {30, 0};
  redisContext *c = redisConnectWithTimeout("127.0.0.1", atoi(argv[1]), tv);
  if (c == NULL || c->err) {
    printf("FAIL: cannot connect: %s\n", c ? c->errstr : "out of memory");
    return 1;
  }
  redisSetTimeout(c, tv);
  current = c;
  EXPECT_STR("PING", cmd(c, "PING"), REDIS_REPLY_STATUS, "PONG");

  /* Pipelined SET/GET: 10000 commands (about 300 KB) written, then 10000
   * replies read in order. */
  enum { N = 5000 };
  char key[64], val[64];
  for (int i = 0; i < N; i++) {
    snprintf(key, sizeof key, "hr/p/%d", i);
    snprintf(val, sizeof val, "value-%d", i);
    redisAppendCommand(c, "SET %s %s", key, val);
    redisAppendCommand(c, "GET %s", key);
  }
  for (int i = 0; i < N; i++) {
    char what[64];
    snprintf(val, sizeof val, "value-%d", i);
    snprintf(what, sizeof what, "pipelined SET #%d", i);
    if (!EXPECT_STR(what, next_reply(c), REDIS_REPLY_STATUS, "OK")) break;
    snprintf(what, sizeof what, "pipelined GET #%d", i);
    if (!EXPECT_STR(what, next_reply(c), REDIS_REPLY_STRING, val)) break;
  }
  /* A pipeline with an error reply in its middle: the replies stay in order. */
  redisAppendCommand(c, "SET hr/d/x 1");
  redisAppendCommand(c, "GET hr/d");
  redisAppendCommand(c, "GET hr/d/x");
  EXPECT_STR("pipeline with an error: SET", next_reply(c), REDIS_REPLY_STATUS, "OK");
  EXPECT_STR("pipeline with an error: GET a dictionary", next_reply(c), REDIS_REPLY_ERROR,
             "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_STR("pipeline with an error: GET after", next_reply(c), REDIS_REPLY_STRING, "1");

  /* Binary values: NUL bytes, CR LF, every byte value; and a binary key. */
  static const char bin[] = "a\0b\r\nc\0\r\n$3\r\n*1\r\n";
  const size_t binlen = sizeof bin - 1;
  EXPECT_STR("SET binary", cmd(c, "SET %s %b", "hr/bin", bin, binlen), REDIS_REPLY_STATUS, "OK");
  expect("GET binary", cmd(c, "GET %s", "hr/bin"), REDIS_REPLY_STRING, bin, binlen);
  expect_int("STRLEN binary", cmd(c, "STRLEN %s", "hr/bin"), (long long)binlen);
  size_t biglen = (size_t)3 << 20;
  char *big = (char *)malloc(biglen);
  for (size_t i = 0; i < biglen; i++) big[i] = (char)(i * 7 + (i >> 8));
  EXPECT_STR("SET 3 MB binary", cmd(c, "SET hr/big %b", big, biglen), REDIS_REPLY_STATUS, "OK");
  expect("GET 3 MB binary", cmd(c, "GET hr/big"), REDIS_REPLY_STRING, big, biglen);
  free(big);
  static const char binkey[] = "hr/k\0\r\n\xff";
  EXPECT_STR("SET a binary key", cmd(c, "SET %b v", binkey, sizeof binkey - 1), REDIS_REPLY_STATUS, "OK");
  EXPECT_STR("GET a binary key", cmd(c, "GET %b", binkey, sizeof binkey - 1), REDIS_REPLY_STRING, "v");
  EXPECT_STR("SET an empty value", cmd(c, "SET hr/empty %b", "", (size_t)0), REDIS_REPLY_STATUS, "OK");
  expect("GET an empty value", cmd(c, "GET hr/empty"), REDIS_REPLY_STRING, "", 0);

  /* INCR and friends: integer replies. */
  for (int i = 1; i <= 100; i++) {
    char what[64];
    snprintf(what, sizeof what, "INCR #%d", i);
    expect_int(what, cmd(c, "INCR hr/n"), i);
  }
  expect_int("INCRBY", cmd(c, "INCRBY hr/n %lld", -1000LL), -900);
  expect_int("DECR", cmd(c, "DECR hr/n"), -901);
  EXPECT_STR("GET a counter", cmd(c, "GET hr/n"), REDIS_REPLY_STRING, "-901");
  EXPECT_STR("INCR a non-number", cmd(c, "INCR hr/bin"), REDIS_REPLY_ERROR,
             "ERR value is not an integer or out of range");

  /* Errors: a dictionary where a value is expected; an unknown command. */
  EXPECT_STR("SET a/b", cmd(c, "SET a/b x"), REDIS_REPLY_STATUS, "OK");
  EXPECT_STR("GET a (a dictionary)", cmd(c, "GET a"), REDIS_REPLY_ERROR,
             "WRONGTYPE Operation against a key holding the wrong kind of value");
  EXPECT_STR("GET /a/b", cmd(c, "GET /a/b"), REDIS_REPLY_STRING, "x");
  EXPECT_STR("TYPE a", cmd(c, "TYPE a"), REDIS_REPLY_STATUS, "dict");
  EXPECT_STR("TYPE a/b", cmd(c, "TYPE a/b"), REDIS_REPLY_STATUS, "string");
  EXPECT_STR("TYPE missing", cmd(c, "TYPE hr/none"), REDIS_REPLY_STATUS, "none");
  EXPECT_STR("unknown command", cmd(c, "FOO bar"), REDIS_REPLY_ERROR,
             "ERR unknown command 'FOO', with args beginning with: 'bar' ");
  EXPECT_STR("wrong arity", cmd(c, "GET"), REDIS_REPLY_ERROR,
             "ERR wrong number of arguments for 'get' command");

  /* nil for missing keys: GET, and inside MGET's array. */
  expect("GET missing", cmd(c, "GET hr/none"), REDIS_REPLY_NIL, NULL, 0);
  expect("GETDEL missing", cmd(c, "GETDEL hr/none"), REDIS_REPLY_NIL, NULL, 0);
  redisReply *r = cmd(c, "MGET a/b hr/none a");
  if (r == NULL) no_reply("MGET");
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
    fail("MGET: not an array of 3 (a %s)", type_name(r->type));
  } else {
    if (r->element[0]->type != REDIS_REPLY_STRING || strcmp(r->element[0]->str, "x") != 0)
      fail("MGET [0]: a %s, expected \"x\"", type_name(r->element[0]->type));
    if (r->element[1]->type != REDIS_REPLY_NIL)
      fail("MGET [1] (missing): a %s, expected nil", type_name(r->element[1]->type));
    if (r->element[2]->type != REDIS_REPLY_NIL)
      fail("MGET [2] (a dictionary): a %s, expected nil", type_name(r->element[2]->type));
  }
  freeReplyObject(r);

  /* A transaction through hiredis: EXEC's array of replies. */
  EXPECT_STR("MULTI", cmd(c, "MULTI"), REDIS_REPLY_STATUS, "OK");
  EXPECT_STR("queued SET", cmd(c, "SET hr/tx 1"), REDIS_REPLY_STATUS, "QUEUED");
  EXPECT_STR("queued INCR", cmd(c, "INCR hr/tx"), REDIS_REPLY_STATUS, "QUEUED");
  r = cmd(c, "EXEC");
  if (r == NULL) no_reply("EXEC");
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
      r->element[0]->type != REDIS_REPLY_STATUS || r->element[1]->type != REDIS_REPLY_INTEGER ||
      r->element[1]->integer != 2)
    fail("EXEC: not [OK, 2]");
  freeReplyObject(r);

  /* Two connections: a write on one is read on the other. */
  redisContext *c2 = redisConnectWithTimeout("127.0.0.1", atoi(argv[1]), tv);
  if (c2 == NULL || c2->err) {
    fail("second connection: %s", c2 ? c2->errstr : "out of memory");
  } else {
    redisSetTimeout(c2, tv);
    current = c2;
    EXPECT_STR("SET on the second connection", cmd(c2, "SET hr/c2 two"), REDIS_REPLY_STATUS, "OK");
    current = c;
    EXPECT_STR("GET on the first", cmd(c, "GET hr/c2"), REDIS_REPLY_STRING, "two");
    redisFree(c2);
  }
  EXPECT_STR("QUIT", cmd(c, "QUIT"), REDIS_REPLY_STATUS, "OK");
  redisFree(c);
  if (failures) {
    printf("%d check(s) failed\n", failures);
    return 1;
  }
  printf("resp_hiredis: all checks passed\n");
  return 0;
}
