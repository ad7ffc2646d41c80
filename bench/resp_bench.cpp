// RESP: kvmem's Redis-protocol endpoint (kvmem::serve_resp) against Redis.
//
// The kvmem side is a store served by a child process set up as `kvmem
// serve` (kvmem_bench --serve-child: the sharing scheduler, the store on the
// scheduler, 127.0.0.1), which serves the same store over BASP and over RESP
// (default resp_options). The baseline is Debian's redis-server started by
// the benchmark without persistence (redis_server.hpp). Both are measured in
// the same process run, in interleaved rounds (the server that goes first
// alternates), and every figure is a median over the rounds:
//
//   1. memory per key: 10^6 keys (/d<i>/k<j>) with 100-byte values loaded
//      into each over RESP (pipelines of 1000 SETs): resident growth of each
//      server process (/proc/<pid>/statm, i.e. VmRSS), and Redis's INFO
//      used_memory growth;
//   2. redis-benchmark itself (-t set,get -d 100 -r 100000 on a keyspace
//      both servers hold beforehand): 1 client (p50, p99 latency), 50
//      clients (throughput), 50 clients x pipeline 16 (throughput);
//   3. single-client GET/SET latency with the benchmark's own blocking RESP
//      client (resp_client.hpp), timed per request (p50, p99), and the same
//      keys through kvmem::client over BASP from the same server process.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <map>
#include <random>

#include <fmt/format.h>
#include <kvmem/client.hpp>
#include <kvmem/remote.hpp>

#include "child_process.hpp"
#include "data.hpp"
#include "net_node.hpp"
#include "redis_server.hpp"
#include "resp_client.hpp"

namespace bench {

namespace {

constexpr std::size_t load_chunk = 1000; // SETs per pipeline: the memory rows' load
constexpr std::size_t setup_chunk = 100;  // SETs per pipeline: the keyspace set-up

// One line of redis-benchmark --csv (Redis 7.0: rps and latencies in ms).
struct rb_figures {
  double rps = 0, avg = 0, min = 0, p50 = 0, p95 = 0, p99 = 0, max = 0;
};

struct rb_run {
  bool ok = false;
  int status = 0;                          // the exit status (124: timed out)
  std::map<std::string, rb_figures> tests; // "SET", "GET"
  std::vector<std::string> other;          // lines that are not result rows
};

std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (char c : line) {
    if (c == '"')
      quoted = !quoted;
    else if (c == ',' && !quoted)
      out.push_back(std::exchange(cur, {}));
    else if (c != '\r' && c != '\n')
      cur += c;
  }
  out.push_back(cur);
  return out;
}

// Runs `redis-benchmark -h 127.0.0.1 -p <port> <args> --csv` (under
// timeout(1): a stalled server ends the run, not the suite).
rb_run redis_benchmark(const std::string& exe, const std::string& timeout_exe,
                       std::uint16_t port, const std::string& args, int limit_s) {
  rb_run r;
  auto cmd = fmt::format("{}{} -h 127.0.0.1 -p {} {} --csv 2>&1",
                         timeout_exe.empty() ? std::string{}
                                             : fmt::format("{} -k 5 {} ", timeout_exe, limit_s),
                         exe, port, args);
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) {
    r.other.push_back("popen failed: " + cmd);
    return r;
  }
  char buf[4096];
  while (std::fgets(buf, sizeof buf, p)) {
    std::string line = buf;
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
      line.pop_back();
    if (line.empty())
      continue;
    auto f = csv_fields(line);
    if (line[0] == '"' && f.size() == 8 && f[0] != "test") {
      try {
        rb_figures x{std::stod(f[1]), std::stod(f[2]), std::stod(f[3]), std::stod(f[4]),
                     std::stod(f[5]), std::stod(f[6]), std::stod(f[7])};
        r.tests[f[0]] = x;
        continue;
      } catch (const std::exception&) {
      }
    }
    if (line.rfind("\"test\"", 0) != 0)
      r.other.push_back(line);
  }
  int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  r.ok = r.status == 0 && r.tests.count("SET") && r.tests.count("GET") &&
         r.tests["SET"].rps > 0 && r.tests["GET"].rps > 0;
  return r;
}

// Per-request latency samples (µs) of n calls of f(i), which returns false
// on a failed request.
template <class F>
std::vector<double> sample_us(std::size_t n, bool& ok, F&& f) {
  std::vector<double> out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    auto t0 = clock_type::now();
    bool good = f(i);
    out.push_back(std::chrono::duration<double, std::micro>(clock_type::now() - t0).count());
    ok &= good;
  }
  return out;
}

struct pct {
  std::vector<double> p50, p99; // one per round
  void add(const std::vector<double>& samples) {
    p50.push_back(percentile(samples, 0.5));
    p99.push_back(percentile(samples, 0.99));
  }
};

// The configurations redis-benchmark runs, the same for both servers.
struct rb_config {
  const char* name; // as the rows say it
  std::string args;
};

// Per server and configuration: one rb_figures per round and test.
using rb_series = std::map<std::string, std::vector<rb_figures>>; // by test

double med(const std::vector<rb_figures>& xs, double rb_figures::*field) {
  std::vector<double> v;
  for (auto& x : xs)
    v.push_back(x.*field);
  return median(v);
}

} // namespace

void run_resp(const options& o, report& rep) {
  auto rb_exe = [] {
    if (const char* e = std::getenv("KVMEM_BENCH_REDIS_BENCHMARK"))
      return std::string{e};
    return find_program("redis-benchmark");
  }();
  if (rb_exe.empty()) {
    fmt::print("RESP: redis-benchmark not found (apt-get install redis-tools, or set "
               "KVMEM_BENCH_REDIS_BENCHMARK); RESP rows skipped\n");
    return;
  }
  auto timeout_exe = find_program("timeout");
  const auto& d = dataset::nested(o);
  rep.progress("RESP: starting the served store (kvmem_bench --serve-child) and redis-server");
  auto served = start_served_store("RESP");
  if (!served)
    return;
  if (served->resp_port == 0) {
    fmt::print("RESP: the server process serves no RESP port (ports {} {} {}; see its stderr); "
               "RESP rows skipped\n",
               served->port, served->unguarded_port, served->resp_port);
    return;
  }
  std::string why;
  auto redis = redis_server::start(why);
  if (!redis) {
    fmt::print("RESP: no Redis to compare with: {}; RESP rows skipped\n", why);
    return;
  }
  const auto rv = "Redis " + redis->version();
  auto kc = resp_client::connect(served->resp_port, std::chrono::milliseconds(10000));
  auto rc = resp_client::connect(redis->port(), std::chrono::milliseconds(10000));
  if (!kc || !rc) {
    fmt::print("RESP: cannot connect to {}; RESP rows skipped\n", !kc ? "kvmem's RESP port" : "Redis");
    return;
  }
  if (auto pong = kc->call({"PING"}); !pong || pong->text != "PONG") {
    fmt::print("RESP: kvmem's RESP port does not answer PING (got {:?}); RESP rows skipped\n",
               pong ? std::string(1, pong->type) + pong->text : std::string{"nothing"});
    return;
  }

  // 1. Memory per key: resident growth while 10^6 keys are loaded.
  rep.progress("RESP: loading 10^6 keys into kvmem (over RESP) and into Redis");
  auto& kproc = served->process;
  long k0 = kproc.rss_bytes();
  long ku0 = redis_server::info_number(*kc, "memory", "used_memory"); // -1 if kvmem has none
  auto t0 = clock_type::now();
  bool kv_loaded = kc->set_all(d.paths, d.value, load_chunk);
  double kv_load_s = seconds_since(t0);
  long k1 = kproc.rss_bytes();
  long ku1 = redis_server::info_number(*kc, "memory", "used_memory");
  long r0 = redis->process().rss_bytes();
  long u0 = redis_server::info_number(*rc, "memory", "used_memory");
  t0 = clock_type::now();
  bool r_loaded = rc->set_all(d.paths, d.value, load_chunk);
  double r_load_s = seconds_since(t0);
  long r1 = redis->process().rss_bytes();
  long u1 = redis_server::info_number(*rc, "memory", "used_memory");
  if (!kv_loaded) {
    fmt::print("RESP: loading kvmem over RESP failed (after {:.1f} s); no memory rows\n",
               kv_load_s);
    kc.reset(); // a fresh connection for what follows
    if (auto again = resp_client::connect(served->resp_port, std::chrono::milliseconds(10000)))
      kc.emplace(std::move(*again));
    if (!kc) {
      fmt::print("RESP: cannot reconnect to kvmem's RESP port; RESP rows skipped\n");
      return;
    }
  }
  if (!r_loaded)
    fmt::print("RESP: loading Redis failed; no memory row\n");
  if (kv_loaded && r_loaded && k0 > 0 && k1 > 0 && r0 > 0 && r1 > 0 && u0 >= 0 && u1 >= 0) {
    const double n = static_cast<double>(d.size());
    double kb = static_cast<double>(k1 - k0) / n;
    double rb = static_cast<double>(r1 - r0) / n;
    double ub = static_cast<double>(u1 - u0) / n;
    std::string kinfo = ku0 >= 0 && ku1 >= 0
                            ? fmt::format("; kvmem's INFO used_memory (the tree's own count) grew by "
                                          "{:.0f} B/key",
                                          static_cast<double>(ku1 - ku0) / n)
                            : std::string{};
    rep.add({"RESP", "memory per key, 10^6 keys (1000 x 1000), 100 B values, vs RSS", "B/key", kb,
             rv + " RSS", rb, kb / rb, "kvmem bytes / Redis bytes", goal::none, 0,
             fmt::format("resident growth (/proc/<pid>/statm = VmRSS) of each server process "
                         "while the keys were loaded over RESP, pipelines of {} SETs{}",
                         load_chunk, kinfo)});
    rep.add({"RESP", "memory per key, 10^6 keys (1000 x 1000), 100 B values, vs used_memory",
             "B/key", kb, rv + " used_memory", ub, kb / ub, "kvmem bytes / Redis bytes",
             goal::none, 0,
             "kvmem: the same resident growth; Redis: its INFO used_memory growth (its "
             "allocator's count, without fragmentation or freed pages it keeps)"});
    rep.add({"RESP", fmt::format("load of 10^6 keys, pipelines of {} SETs, 1 client", load_chunk),
             "keys/s", n / kv_load_s,
             rv, n / r_load_s, r_load_s / kv_load_s, "kvmem rate / Redis rate", goal::none, 0,
             fmt::format("the memory rows' load: kvmem {:.2f} s, Redis {:.2f} s", kv_load_s,
                         r_load_s)});
  }

  // 2. redis-benchmark. Both servers hold the keyspace first (so that GETs
  // hit), with values of the size redis-benchmark writes (-d 100), set up
  // in shorter pipelines than the load above (set-up, not a measurement).
  const std::size_t keyspace = 100'000;
  std::vector<std::string> kkeys;
  kkeys.reserve(keyspace);
  for (std::size_t i = 0; i < keyspace; ++i)
    kkeys.push_back(fmt::format("key:{:012}", i)); // redis-benchmark's key:__rand_int__
  const std::string xvalue(100, 'x');
  if (!kc->set_all(kkeys, xvalue, setup_chunk) || !rc->set_all(kkeys, xvalue, setup_chunk)) {
    fmt::print("RESP: loading the benchmark's keyspace failed; RESP rows skipped\n");
    return;
  }
  const int rounds = o.full ? 9 : 5;
  const std::size_t s = static_cast<std::size_t>(o.scale());
  const std::string common = fmt::format("-t set,get -r {} -d 100", keyspace);
  const rb_config configs[] = {
      {"1 client", fmt::format("{} -n {} -c 1", common, 4'000 * s)},
      {"50 clients", fmt::format("{} -n {} -c 50", common, 15'000 * s)},
      {"50 clients x pipeline 16", fmt::format("{} -n {} -c 50 -P 16", common, 60'000 * s)}};
  constexpr std::size_t nconf = std::size(configs);
  const int limit_s = o.full ? 300 : 60;
  std::array<rb_series, nconf> kvs, rds; // kvmem, Redis
  std::array<bool, nconf> kv_ok{}, rd_ok{};
  kv_ok.fill(true);
  rd_ok.fill(true);
  std::map<std::string, int> kv_odd, rd_odd; // other output lines, counted
  auto run_one = [&](std::uint16_t port, const rb_config& c, rb_series& out, bool& ok,
                     std::map<std::string, int>& odd, const char* who) {
    auto r = redis_benchmark(rb_exe, timeout_exe, port, c.args, limit_s);
    for (auto& l : r.other)
      ++odd[l];
    if (!r.ok) {
      if (ok)
        fmt::print("RESP: redis-benchmark {} against {} failed (exit status {}{}); its rows "
                   "are left out\n",
                   c.args, who, r.status, r.status == 124 ? ", timed out" : "");
      ok = false;
      return;
    }
    for (auto& [test, f] : r.tests)
      out[test].push_back(f);
  };
  // Warm-up (not counted): connections, pages, caches.
  redis_benchmark(rb_exe, timeout_exe, served->resp_port, common + " -n 20000 -c 50 -P 16", limit_s);
  redis_benchmark(rb_exe, timeout_exe, redis->port(), common + " -n 20000 -c 50 -P 16", limit_s);
  for (int r = 0; r < rounds; ++r) {
    rep.progress(fmt::format("RESP: redis-benchmark round {} of {}", r + 1, rounds));
    for (std::size_t c = 0; c < nconf; ++c) {
      bool kv_first = (r + static_cast<int>(c)) % 2 == 0;
      for (int side = 0; side < 2; ++side) {
        if ((side == 0) == kv_first)
          run_one(served->resp_port, configs[c], kvs[c], kv_ok[c], kv_odd, "kvmem");
        else
          run_one(redis->port(), configs[c], rds[c], rd_ok[c], rd_odd, "Redis");
      }
    }
  }
  for (auto* odd : {&kv_odd, &rd_odd})
    for (auto& [line, count] : *odd)
      fmt::print("RESP: redis-benchmark against {} printed ({}x): {}\n",
                 odd == &kv_odd ? "kvmem" : "Redis", count, line);

  for (std::size_t c = 0; c < nconf; ++c) {
    if (!kv_ok[c] || !rd_ok[c])
      continue;
    for (const char* test : {"GET", "SET"}) {
      auto& k = kvs[c][test];
      auto& b = rds[c][test];
      if (k.empty() || b.empty())
        continue;
      auto detail = fmt::format(
          "redis-benchmark {} --csv, medians of {} rounds: kvmem {:.0f} ops/s, avg {:.3f} / p50 "
          "{:.3f} / p99 {:.3f} / max {:.3f} ms; Redis {:.0f} ops/s, avg {:.3f} / p50 {:.3f} / "
          "p99 {:.3f} / max {:.3f} ms",
          configs[c].args, k.size(), med(k, &rb_figures::rps), med(k, &rb_figures::avg),
          med(k, &rb_figures::p50), med(k, &rb_figures::p99), med(k, &rb_figures::max),
          med(b, &rb_figures::rps), med(b, &rb_figures::avg), med(b, &rb_figures::p50),
          med(b, &rb_figures::p99), med(b, &rb_figures::max));
      if (c == 0) {
        // Latency at 1 client, in µs.
        double kp50 = med(k, &rb_figures::p50) * 1e3, bp50 = med(b, &rb_figures::p50) * 1e3;
        double kp99 = med(k, &rb_figures::p99) * 1e3, bp99 = med(b, &rb_figures::p99) * 1e3;
        rep.add({"RESP", fmt::format("{} p50 latency, 1 client, redis-benchmark", test), "us",
                 kp50, rv, bp50, kp50 / bp50, "kvmem time / Redis time", goal::at_most, 1.0,
                 detail});
        rep.add({"RESP", fmt::format("{} p99 latency, 1 client, redis-benchmark", test), "us",
                 kp99, rv, bp99, kp99 / bp99, "kvmem time / Redis time", goal::none, 0, ""});
      } else {
        double kr = med(k, &rb_figures::rps), br = med(b, &rb_figures::rps);
        rep.add({"RESP", fmt::format("{} throughput, {}, redis-benchmark", test, configs[c].name),
                 "ops/s", kr, rv, br, kr / br, "kvmem throughput / Redis throughput",
                 goal::at_least, 1.0, detail});
      }
    }
  }

  // 3. The benchmark's own blocking client, per-request latency, and the
  // same keys through kvmem::client over BASP (same server process).
  rep.progress("RESP: single-client GET/SET latency, own RESP client and BASP, interleaved");
  net_node node;
  auto remote = kvmem::remote_store(node.sys, "127.0.0.1", served->port);
  std::optional<kvmem::client> far;
  if (remote)
    far.emplace(node.sys, *remote);
  else
    fmt::print("RESP: cannot reach the server process over BASP: {}; no BASP rows\n",
               remote.error());
  std::vector<kvmem::key> bkeys;
  bkeys.reserve(keyspace);
  for (auto& k : kkeys)
    bkeys.push_back(kvmem::key::v(k));
  const kvmem::bytes xbytes{xvalue};
  const std::size_t n = 2000 * s;
  std::mt19937 rng(o.seed);
  std::vector<std::size_t> pick(n);
  pct kget, kset, rget, rset, bget, bset;
  bool k_ok = true, r_ok = true, b_ok = far.has_value();
  std::string b_error; // the first failed BASP request's error
  for (int r = 0; r < rounds; ++r) {
    for (auto& p : pick)
      p = rng() % keyspace;
    auto resp_get = [&](resp_client& c, bool& ok) {
      return sample_us(n, ok, [&](std::size_t i) { return c.get(kkeys[pick[i]]).has_value(); });
    };
    auto resp_set = [&](resp_client& c, bool& ok) {
      return sample_us(n, ok, [&](std::size_t i) { return c.set(kkeys[pick[i]], xvalue); });
    };
    // Rotate which of the three goes first.
    for (int j = 0; j < 3; ++j) {
      switch ((r + j) % 3) {
        case 0:
          kget.add(resp_get(*kc, k_ok));
          kset.add(resp_set(*kc, k_ok));
          break;
        case 1:
          rget.add(resp_get(*rc, r_ok));
          rset.add(resp_set(*rc, r_ok));
          break;
        default:
          if (b_ok) {
            auto check = [&](const auto& res) {
              if (!res && b_error.empty())
                b_error = fmt::format("{}", res.error());
              return res.has_value();
            };
            bget.add(sample_us(n, b_ok, [&](std::size_t i) {
              return check(far->get(bkeys[pick[i]]));
            }));
            bset.add(sample_us(n, b_ok, [&](std::size_t i) {
              return check(far->set(bkeys[pick[i]], xbytes));
            }));
          }
      }
    }
  }
  if (!k_ok)
    fmt::print("RESP: a request of the own client to kvmem failed; no own-client rows\n");
  if (!r_ok)
    fmt::print("RESP: a request of the own client to Redis failed; no own-client rows\n");
  if (far && !b_ok)
    fmt::print("RESP: a BASP request failed ({}); no BASP rows\n", b_error);
  if (r_ok) {
    auto add = [&](const char* what, const std::vector<double>& kv, const std::vector<double>& b,
                   goal g, std::string note) {
      rep.add({"RESP", what, "us", median(kv), rv + " (own client)", median(b),
               median(kv) / median(b), "kvmem time / Redis time", g, 0, std::move(note)});
    };
    auto rounds_note = fmt::format(
        "bench/resp_client call() per request, {} requests per round, medians of {} rounds; "
        "random keys of the {} key:<n> keys, 100-byte values",
        n, rounds, keyspace);
    if (k_ok) {
      add("GET p50 latency, 1 client, own RESP client", kget.p50, rget.p50, goal::none,
          rounds_note);
      add("GET p99 latency, 1 client, own RESP client", kget.p99, rget.p99, goal::none, "");
      add("SET p50 latency, 1 client, own RESP client", kset.p50, rset.p50, goal::none, "");
      add("SET p99 latency, 1 client, own RESP client", kset.p99, rset.p99, goal::none, "");
    }
    if (b_ok) {
      auto note = fmt::format("kvmem::client over BASP to the same server process and keys, "
                              "interleaved with the RESP rows above (NET measures the same "
                              "path on /d<i>/k<j> keys){}",
                              k_ok ? fmt::format("; kvmem over RESP: GET p50 {:.1f} us, SET "
                                                 "p50 {:.1f} us",
                                                 median(kget.p50), median(kset.p50))
                                   : std::string{});
      add("GET p50 latency, 1 client, kvmem::client over BASP", bget.p50, rget.p50, goal::none,
          note);
      add("GET p99 latency, 1 client, kvmem::client over BASP", bget.p99, rget.p99, goal::none,
          "");
      add("SET p50 latency, 1 client, kvmem::client over BASP", bset.p50, rset.p50, goal::none,
          "");
      add("SET p99 latency, 1 client, kvmem::client over BASP", bset.p99, rset.p99, goal::none,
          "");
    }
  }
}

} // namespace bench
