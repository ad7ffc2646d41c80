// The RESP endpoint in-process (resp.hpp): its request parser on every
// prefix and every kind of bad length, pipelining, limits, authentication,
// WATCH against a writer on the CAF side, and a bounded, seeded fuzz of a
// live server after which a well-formed client is served and earlier keys
// are intact. The real clients (redis-cli, redis-benchmark, python3-redis,
// hiredis) are in resp_cli_test.sh, resp_python_test.py, resp_hiredis_test.c.
#include <catch2/catch.hpp>

#include <random>

#include <poll.h>

#include "kvmem/client.hpp"
#include "kvmem/resp.hpp"
#include "net_fixture.hpp"
#include "resp/request_parser.hpp"

namespace {

using kvmem::detail::resp::parse_limits;
using kvmem::detail::resp::parse_request;
using kvmem::detail::resp::parse_status;
using kvmem::detail::resp::parsed;

parsed parse(const std::string& s, std::vector<std::string>& out, parse_limits lim = {}) {
  std::vector<std::string_view> args;
  std::vector<std::string> words;
  auto r = parse_request(s.data(), s.size(), lim, args, words);
  out.assign(args.begin(), args.end());
  return r;
}

std::string mbulk(std::initializer_list<std::string_view> args) {
  std::string s = "*" + std::to_string(args.size()) + "\r\n";
  for (auto a : args)
    s += "$" + std::to_string(a.size()) + "\r\n" + std::string{a} + "\r\n";
  return s;
}

// The end of the first complete RESP reply in s at `from`, or npos.
std::size_t reply_end(const std::string& s, std::size_t from) {
  if (from >= s.size())
    return std::string::npos;
  auto eol = s.find("\r\n", from);
  if (eol == std::string::npos)
    return eol;
  char t = s[from];
  auto n = std::atoll(s.c_str() + from + 1);
  switch (t) {
    case '$':
      if (n < 0)
        return eol + 2;
      return s.size() >= eol + 2 + static_cast<std::size_t>(n) + 2 ? eol + 2 + static_cast<std::size_t>(n) + 2
                                                                   : std::string::npos;
    case '*':
    case '%':
    case '~':
    case '>': {
      auto at = eol + 2;
      auto count = t == '%' ? 2 * n : n;
      for (long long i = 0; i < count; ++i) {
        at = reply_end(s, at);
        if (at == std::string::npos)
          return at;
      }
      return at;
    }
    default: return eol + 2;
  }
}

// A raw RESP connection with a deadline on every read.
struct conn {
  int fd;
  std::string in;
  explicit conn(std::uint16_t port) : fd(test::tcp_to(port)) { REQUIRE(fd >= 0); }
  ~conn() { ::close(fd); }
  bool send(const std::string& s) { return test::send_all(fd, s); }
  // The next n replies, each as its raw text; fewer if the server closed
  // or 10 s passed.
  std::vector<std::string> replies(std::size_t n) {
    std::vector<std::string> out;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out.size() < n) {
      auto end = reply_end(in, 0);
      if (end != std::string::npos) {
        out.push_back(in.substr(0, end));
        in.erase(0, end);
        continue;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !test::readable(fd, left))
        break;
      char buf[65536];
      auto got = ::recv(fd, buf, sizeof buf, 0);
      if (got <= 0)
        break;
      in.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }
  std::string call(std::initializer_list<std::string_view> args) {
    if (!send(mbulk(args)))
      return "(send failed)";
    auto r = replies(1);
    return r.empty() ? "(no reply)" : r[0];
  }
};

struct resp_fixture {
  test::node n;
  kvmem::scoped_store st{kvmem::spawn_store(n.sys, kvmem::system_clock{}, test::served)};
  std::vector<std::string> log;
  std::mutex log_m;
  kvmem::resp_server server;
  explicit resp_fixture(kvmem::resp_options o = {}) {
    o.log = [this](const std::string& line) {
      std::lock_guard g{log_m};
      log.push_back(line);
    };
    server = kvmem::serve_resp(n.sys, st.get(), std::move(o)).value();
  }
  ~resp_fixture() { server.close(); }
  std::uint16_t port() const { return server.port(); }
};

} // namespace

TEST_CASE("the RESP parser takes multibulk and inline requests, and only complete ones") {
  std::vector<std::string> a;
  auto req = mbulk({"SET", "a/b", std::string_view{"x\r\n\0y", 5}});
  auto r = parse(req, a);
  REQUIRE(r.status == parse_status::complete);
  CHECK(r.consumed == req.size());
  CHECK(a == std::vector<std::string>{"SET", "a/b", std::string{"x\r\n\0y", 5}});
  for (std::size_t cut = 0; cut < req.size(); ++cut) {
    INFO(cut);
    CHECK(parse(req.substr(0, cut), a).status == parse_status::incomplete);
  }
  CHECK(parse("PING\r\n", a).status == parse_status::complete);
  CHECK(a == std::vector<std::string>{"PING"});
  CHECK(parse("set k \"a b\\x41\\n\" 'it''\n", a).status == parse_status::error); // '' glued to a word
  r = parse("set k \"a b\\x41\\n\" 'c d'\r\n", a);
  REQUIRE(r.status == parse_status::complete);
  CHECK(a == std::vector<std::string>{"set", "k", "a bA\n", "c d"});
  CHECK(parse("\r\n", a).status == parse_status::empty);
  CHECK(parse("*0\r\n", a).status == parse_status::empty);
  CHECK(parse("*-1\r\n", a).status == parse_status::empty);
  CHECK(parse("get \"open\r\n", a).error == "Protocol error: unbalanced quotes in request");
}

TEST_CASE("the RESP parser refuses bad lengths with Redis's words, before allocating by them") {
  std::vector<std::string> a;
  parse_limits lim;
  lim.max_bulk = 1000;
  lim.max_args = 10;
  lim.max_inline = 100;
  CHECK(parse("*x\r\n", a, lim).error == "Protocol error: invalid multibulk length");
  CHECK(parse("*11\r\n", a, lim).error == "Protocol error: invalid multibulk length");
  CHECK(parse("*99999999999999999999\r\n", a, lim).error == "Protocol error: invalid multibulk length");
  CHECK(parse("*1\r\n$-1\r\n", a, lim).error == "Protocol error: invalid bulk length");
  CHECK(parse("*1\r\n$1001\r\n", a, lim).error == "Protocol error: invalid bulk length");
  CHECK(parse("*1\r\n$1x\r\n", a, lim).error == "Protocol error: invalid bulk length");
  CHECK(parse("*1\r\n:1\r\n", a, lim).error == "Protocol error: expected '$', got ':'");
  CHECK(parse("*1\r\n*1\r\n$1\r\na\r\n", a, lim).error == "Protocol error: expected '$', got '*'"); // no nesting
  CHECK(parse("*1\r\n$1\r\nab\r\n", a, lim).error == "Protocol error: expected CRLF after a bulk string");
  CHECK(parse(std::string(101, 'a'), a, lim).error == "Protocol error: too big inline request");
  CHECK(parse("*1" + std::string(200, '1'), a, lim).error == "Protocol error: too big mbulk count string");
  // A declared 1000-byte argument with nothing after it waits, holding nothing.
  CHECK(parse("*1\r\n$1000\r\n", a, lim).status == parse_status::incomplete);
}

TEST_CASE("a RESP server answers a pipeline in order, reads seeing the writes before them") {
  resp_fixture f;
  conn c{f.port()};
  std::string batch;
  for (int i = 0; i < 200; ++i)
    batch += mbulk({"SET", "p/" + std::to_string(i), std::to_string(i)}) + mbulk({"GET", "p/" + std::to_string(i)}) +
             mbulk({"INCR", "n"});
  REQUIRE(c.send(batch));
  auto r = c.replies(600);
  REQUIRE(r.size() == 600);
  for (int i = 0; i < 200; ++i) {
    INFO(i);
    CHECK(r[3 * i] == "+OK\r\n");
    auto v = std::to_string(i);
    CHECK(r[3 * i + 1] == "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n");
    CHECK(r[3 * i + 2] == ":" + std::to_string(i + 1) + "\r\n");
  }
  kvmem::client local{f.n.sys, f.st.get()};
  CHECK(local.get(test::K("/p/7")).value() == "7");
  CHECK(c.call({"GET", "p"}) == "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
  CHECK(c.call({"NOPE", "x"}) == "-ERR unknown command 'NOPE', with args beginning with: 'x' \r\n");
  CHECK(c.call({"GET"}) == "-ERR wrong number of arguments for 'get' command\r\n");
}

TEST_CASE("EXEC answers nil when a watched key was written by another client, even a CAF one") {
  resp_fixture f;
  conn c{f.port()};
  kvmem::client local{f.n.sys, f.st.get()};
  REQUIRE(c.call({"SET", "w", "1"}) == "+OK\r\n");
  REQUIRE(c.call({"WATCH", "w"}) == "+OK\r\n");
  REQUIRE(local.set(test::K("/w"), "2"));
  REQUIRE(c.call({"MULTI"}) == "+OK\r\n");
  REQUIRE(c.call({"SET", "w", "3"}) == "+QUEUED\r\n");
  CHECK(c.call({"EXEC"}) == "*-1\r\n");
  CHECK(local.get(test::K("/w")).value() == "2");
  // Unwatched, the same transaction runs.
  REQUIRE(c.call({"MULTI"}) == "+OK\r\n");
  REQUIRE(c.call({"INCR", "w"}) == "+QUEUED\r\n");
  REQUIRE(c.call({"GET", "w"}) == "+QUEUED\r\n");
  CHECK(c.call({"EXEC"}) == "*2\r\n:3\r\n$1\r\n3\r\n");
}

TEST_CASE("a RESP server bounds clients, query buffers and bulk lengths, and closes on protocol errors") {
  kvmem::resp_options o;
  o.max_clients = 2;
  o.max_query_buffer = 64 * 1024;
  o.max_bulk_bytes = 1024;
  resp_fixture f{o};
  conn a{f.port()}, b{f.port()};
  REQUIRE(a.call({"PING"}) == "+PONG\r\n");
  REQUIRE(b.call({"PING"}) == "+PONG\r\n");
  {
    conn third{f.port()};
    CHECK(third.replies(1) == std::vector<std::string>{"-ERR max number of clients reached\r\n"});
    CHECK(test::closed_by_peer(third.fd, std::chrono::seconds(10)));
  }
  CHECK(b.call({"SET", "k", std::string(1025, 'x')}) == "-ERR Protocol error: invalid bulk length\r\n");
  CHECK(test::closed_by_peer(b.fd, std::chrono::seconds(10)));
  // A command that never ends is held up to the query buffer limit, then dropped.
  REQUIRE(a.send("*2\r\n$3\r\nGET\r\n$1000\r\n"));
  bool sent = true;
  for (int i = 0; i < 100 && sent; ++i)
    sent = a.send(std::string(1000, 'y'));
  CHECK(test::closed_by_peer(a.fd, std::chrono::seconds(10)));
  conn d{f.port()}; // the slots are free again
  CHECK(d.call({"PING"}) == "+PONG\r\n");
}

TEST_CASE("a RESP server on a non-loopback address needs a password, and then AUTH") {
  test::node n;
  kvmem::scoped_store st{kvmem::spawn_store(n.sys, kvmem::system_clock{}, test::served)};
  CHECK(kvmem::serve_resp(n.sys, st.get(), {.bind = "0.0.0.0"}).error().code == kvmem::errc::invalid_argument);
  resp_fixture f{kvmem::resp_options{.password = "s3cret"}};
  conn c{f.port()};
  CHECK(c.call({"GET", "a"}) == "-NOAUTH Authentication required.\r\n");
  CHECK(c.call({"AUTH", "wrong"}) == "-WRONGPASS invalid username-password pair or user is disabled.\r\n");
  CHECK(c.call({"AUTH", "s3cret"}) == "+OK\r\n");
  CHECK(c.call({"GET", "a"}) == "$-1\r\n");
}

TEST_CASE("RESP3 after HELLO 3: null and map types") {
  resp_fixture f;
  conn c{f.port()};
  auto hello = c.call({"HELLO", "3"});
  CHECK(hello.rfind("%7\r\n", 0) == 0);
  CHECK(c.call({"GET", "none"}) == "_\r\n");
  CHECK(c.call({"HELLO", "4"}) == "-NOPROTO sorry, this protocol version is not supported.\r\n");
}

// Hostile bytes on many connections (random, and valid streams mutated:
// lengths made huge, negative or non-numeric, cut short, nested), then a
// well-formed client: served, and the keys written before are intact.
TEST_CASE("a RESP server survives a seeded fuzz of hostile streams and keeps serving") {
  kvmem::resp_options o;
  o.max_query_buffer = 1 << 20;
  resp_fixture f{o};
  {
    conn c{f.port()};
    REQUIRE(c.call({"MSET", "keep/a", "1", "keep/b", std::string("x\0y", 3)}) == "+OK\r\n");
  }
  auto seed = std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng{seed};
  const std::string valid = mbulk({"SET", "f/x", "v"}) + mbulk({"GET", "f/x"}) + "PING\r\n" +
                            mbulk({"MULTI"}) + mbulk({"INCR", "f/n"}) + mbulk({"EXEC"}) +
                            mbulk({"SCAN", "0", "COUNT", "5"}) + mbulk({"KV.LS", "/"});
  const char* tokens[] = {"*", "$", "\r\n", "-1", "99999999999999", "4294967296", "x", "*1\r\n*1\r\n",
                          "\"", "'", "\\x4", "\n", "0", ":", "%2\r\n", "_"};
  for (int round = 0; round < 200; ++round) {
    std::string s = valid;
    switch (rng() % 3) {
      case 0: // random bytes
        s.resize(rng() % 2000);
        for (auto& ch : s)
          ch = static_cast<char>(rng());
        break;
      case 1: // mutations of a valid stream
        for (int m = 0, ms = 1 + static_cast<int>(rng() % 8); m < ms; ++m) {
          auto at = rng() % (s.size() + 1);
          if (rng() % 2)
            s.insert(at, tokens[rng() % std::size(tokens)]);
          else
            s.erase(at, rng() % 8);
        }
        break;
      default: // truncated
        s.resize(rng() % s.size());
    }
    conn c{f.port()};
    c.send(s);
    ::shutdown(c.fd, SHUT_WR); // the server sees the end: it answers what it can and closes
    c.replies(1000);           // whatever comes, until it closes
  }
  conn good{f.port()};
  CHECK(good.call({"PING"}) == "+PONG\r\n");
  CHECK(good.call({"GET", "keep/a"}) == "$1\r\n1\r\n");
  CHECK(good.call({"GET", "keep/b"}) == std::string("$3\r\nx\0y\r\n", 9));
}
