// DUR: persistence (persistence.hpp). Every file of the group (kvmem store
// directories, the LMDB environment, the Redis directories) lives under one
// directory of the build tree, created and removed here, so that all three
// write to the same disk.
//   1. durable write throughput, fresh keys, 100-byte values, 1 and 8 writer
//      threads: kvmem sync=always against LMDB with its default durable
//      commits (MDB_NOTLS only) and Redis with appendfsync always; kvmem
//      sync=interval against Redis appendfsync everysec and against kvmem
//      without persistence. Interleaved rounds, medians.
//   2. a checkpoint of 10^6 entries: its time, its size, and the p99 of one
//      writer's blocking sets while it runs against a window of the same
//      length without one; Redis BGSAVE of the same keys beside it.
//   3. recovery of 10^6 entries + 10^5 journal records (open_store) against
//      Redis loading an RDB of the same keys.
//   4. crash trials: a child writing with sync=always (dur_crash_writer, a
//      build of tests/crash_writer.cpp) is SIGKILLed after a random number
//      of acknowledgements; every acknowledged write must be recovered.
#include <lmdb.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include <caf/scoped_actor.hpp>
#include <fmt/format.h>

#include <kvmem/batch.hpp>
#include <kvmem/persistence.hpp>

#include "../tests/crash_values.hpp"
#include "child_process.hpp"
#include "harness.hpp"
#include "redis_server.hpp"
#include "store_env.hpp"

#ifndef KVMEM_DUR_CRASH_WRITER
#error "KVMEM_DUR_CRASH_WRITER (the path of dur_crash_writer) must be defined"
#endif
#ifndef KVMEM_BENCH_BINARY_DIR
#error "KVMEM_BENCH_BINARY_DIR must be defined"
#endif

namespace bench {

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr std::size_t big_n = 1'000'000;  // entries checkpointed / recovered
constexpr std::size_t extra_n = 100'000;  // journal records after the checkpoint
constexpr std::size_t load_chunk = 1000;  // sets per batch / per pipeline

// The group's directory, in the build tree (the repository's file system).
struct work_dir {
  fs::path root;
  work_dir() : root(fs::path{KVMEM_BENCH_BINARY_DIR} / fmt::format("bench-dur-{}", getpid())) {
    std::error_code ec;
    fs::remove_all(root, ec);
    fs::create_directories(root);
  }
  ~work_dir() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
  std::string sub(const std::string& name) const {
    auto p = root / name;
    fs::create_directories(p);
    return p.string();
  }
};

// 100 pseudo-random letters: the same value everywhere, incompressible
// within itself (Redis's RDB compresses each string on its own).
std::string make_value() {
  std::mt19937 rng{4242};
  std::string v(100, ' ');
  for (auto& c : v)
    c = static_cast<char>('a' + rng() % 26);
  return v;
}

kvmem::key big_key(std::size_t i) {
  return kvmem::key{} / fmt::format("d{}", i % 1000) / fmt::format("k{}", i);
}
std::string big_path(std::size_t i) { return fmt::format("d{}/k{}", i % 1000, i); }

kvmem::store_options persistent(const std::string& dir, kvmem::sync_policy p) {
  kvmem::store_options o;
  o.persistence.dir = dir;
  o.persistence.sync = p;
  o.persistence.checkpoint_bytes = 0; // checkpoints only when the benchmark asks
  return o;
}

std::optional<kvmem::scoped_store> open(store_env& env, const kvmem::store_options& o,
                                        kvmem::recovery_report* rep = nullptr) {
  auto s = kvmem::open_store(env.sys, {}, o, rep);
  if (!s) {
    fmt::print("DUR: open_store({}) failed: {}\n", o.persistence.dir, s.error().message());
    return std::nullopt;
  }
  return kvmem::scoped_store{*s};
}

// Shuts the store down and waits until its actor is gone (files closed,
// directory lock released).
void close(store_env& env, std::optional<kvmem::scoped_store>& s) {
  if (!s)
    return;
  auto a = (*s)->actor();
  s.reset();
  caf::scoped_actor self{env.sys};
  self->wait_for(a);
}

void lmdb_check(int rc, const char* what) {
  if (rc != 0)
    throw std::runtime_error(fmt::format("lmdb {}: {}", what, mdb_strerror(rc)));
}

// LMDB with its default durability: mdb_env_open flags MDB_NOTLS only (no
// MDB_NOSYNC, MDB_NOMETASYNC, MDB_WRITEMAP, MDB_MAPASYNC): every commit
// syncs its data and its meta page.
struct lmdb_durable {
  explicit lmdb_durable(const std::string& dir) {
    lmdb_check(mdb_env_create(&env), "env_create");
    lmdb_check(mdb_env_set_mapsize(env, std::size_t{4} << 30), "set_mapsize");
    lmdb_check(mdb_env_set_maxreaders(env, 126), "set_maxreaders");
    lmdb_check(mdb_env_open(env, dir.c_str(), MDB_NOTLS, 0644), "env_open");
    MDB_txn* txn;
    lmdb_check(mdb_txn_begin(env, nullptr, 0, &txn), "txn_begin");
    lmdb_check(mdb_dbi_open(txn, nullptr, 0, &dbi), "dbi_open");
    lmdb_check(mdb_txn_commit(txn), "commit");
  }
  ~lmdb_durable() { mdb_env_close(env); }
  lmdb_durable(const lmdb_durable&) = delete;
  lmdb_durable& operator=(const lmdb_durable&) = delete;
  MDB_env* env = nullptr;
  MDB_dbi dbi = 0;
};

using op_fn = std::function<bool(long)>;

// Runs `threads` threads, each doing the op make(t) returns (made on its own
// thread) back to back, for `secs` once all are ready: ops/s over the time
// they ran, or -1 if an op failed.
double run_writers(int threads, double secs, const std::function<op_fn(int)>& make) {
  std::atomic<bool> go{false}, stop{false}, failed{false};
  std::atomic<int> ready{0};
  std::atomic<long> total{0};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      op_fn op;
      try {
        op = make(t);
      } catch (const std::exception& e) {
        fmt::print("DUR: {}\n", e.what());
      }
      if (!op)
        failed = true;
      ++ready;
      while (!go.load())
        std::this_thread::yield();
      long n = 0;
      if (op)
        while (!stop.load(std::memory_order_relaxed)) {
          bool ok = false;
          try {
            ok = op(n);
          } catch (const std::exception& e) {
            fmt::print("DUR: {}\n", e.what());
          }
          if (!ok) {
            failed = true;
            break;
          }
          ++n;
        }
      total += n;
      op = nullptr; // its client / connection goes here, on its thread
    });
  while (ready.load() < threads)
    std::this_thread::sleep_for(1ms);
  auto t0 = clock_type::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(secs));
  stop = true;
  for (auto& t : ts)
    t.join();
  double ran = seconds_since(t0);
  return failed ? -1 : static_cast<double>(total.load()) / ran;
}

// One writer thread doing blocking sets back to back, recording when each
// began and how long it took, until stopped.
class latency_probe {
public:
  using make_fn = std::function<std::function<bool(std::uint64_t)>()>;
  explicit latency_probe(make_fn make) : base_(clock_type::now()) {
    samples_.reserve(std::size_t{1} << 22);
    t_ = std::thread([this, make] {
      auto op = make();
      ready_ = true;
      for (std::uint64_t i = 0; !stop_.load(std::memory_order_relaxed); ++i) {
        auto a = clock_type::now();
        if (!op(i)) {
          failed_ = true;
          break;
        }
        auto b = clock_type::now();
        samples_.push_back({std::chrono::duration<double>(a - base_).count(),
                            std::chrono::duration<double, std::micro>(b - a).count()});
      }
    });
    while (!ready_.load())
      std::this_thread::sleep_for(1ms);
  }
  ~latency_probe() { stop(); }
  double now() const { return seconds_since(base_); }
  void stop() {
    stop_ = true;
    if (t_.joinable())
      t_.join();
  }
  bool failed() const { return failed_.load(); }
  /// Latencies (us) of the sets that began in [from, to) (after stop()).
  std::vector<double> between(double from, double to) const {
    std::vector<double> out;
    for (auto& [t, us] : samples_)
      if (t >= from && t < to)
        out.push_back(us);
    return out;
  }

private:
  clock_type::time_point base_;
  std::vector<std::pair<double, double>> samples_;
  std::atomic<bool> stop_{false}, ready_{false}, failed_{false};
  std::thread t_;
};

double max_of(const std::vector<double>& xs) {
  return xs.empty() ? 0 : *std::max_element(xs.begin(), xs.end());
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// --- 1. durable write throughput ---------------------------------------------

void write_throughput(const options& o, report& rep, const work_dir& wd, store_env& env,
                      const std::string& value) {
  rep.progress("DUR 1: opening kvmem stores (sync always, interval, none), LMDB (durable), "
               "redis-server (appendfsync always, everysec) in " + wd.root.string());
  auto kv_always = open(env, persistent(wd.sub("kv-always"), kvmem::sync_policy::always));
  auto kv_interval = open(env, persistent(wd.sub("kv-interval"), kvmem::sync_policy::interval));
  if (!kv_always || !kv_interval)
    return;
  auto kv_memory = env.spawn(); // no persistence
  std::optional<lmdb_durable> lmdb;
  try {
    lmdb.emplace(wd.sub("lmdb"));
  } catch (const std::exception& e) {
    fmt::print("DUR: no LMDB rows: {}\n", e.what());
  }
  std::string why;
  auto redis_always = redis_server::start(
      why, {"--dir", wd.sub("redis-always"), "--appendonly", "yes", "--appendfsync", "always"});
  if (!redis_always)
    fmt::print("DUR: no Redis appendfsync always rows: {}\n", why);
  auto redis_everysec = redis_server::start(
      why, {"--dir", wd.sub("redis-everysec"), "--appendonly", "yes", "--appendfsync", "everysec"});
  if (!redis_everysec)
    fmt::print("DUR: no Redis appendfsync everysec rows: {}\n", why);
  const kvmem::bytes val{value};
  int run = 0; // makes every measurement's keys fresh
  auto kv_side = [&](const kvmem::store& s) {
    return [&env, s, &run, &val](int t) -> op_fn {
      auto c = std::make_shared<kvmem::client>(env.sys, s);
      auto dict = fmt::format("w{}t{}", run, t);
      return [c, dict, &val](long n) {
        return c->set(kvmem::key{} / dict / fmt::format("k{}", n), val).has_value();
      };
    };
  };
  auto lmdb_side = [&](int t) -> op_fn {
    auto prefix = fmt::format("w{}t{}/k", run, t);
    return [&, prefix](long n) {
      auto k = fmt::format("{}{}", prefix, n);
      MDB_txn* txn;
      lmdb_check(mdb_txn_begin(lmdb->env, nullptr, 0, &txn), "txn_begin");
      MDB_val kv{k.size(), k.data()};
      MDB_val vv{value.size(), const_cast<char*>(value.data())};
      if (int rc = mdb_put(txn, lmdb->dbi, &kv, &vv, 0); rc != 0) {
        mdb_txn_abort(txn);
        lmdb_check(rc, "put");
      }
      lmdb_check(mdb_txn_commit(txn), "commit");
      return true;
    };
  };
  auto redis_side = [&](std::optional<redis_server>& r) {
    return [&r, &run, &value](int t) -> op_fn {
      auto c = r->connect();
      if (!c)
        return nullptr;
      auto conn = std::make_shared<resp_client>(std::move(*c));
      auto prefix = fmt::format("w{}t{}/k", run, t);
      return [conn, prefix, &value](long n) { return conn->set(fmt::format("{}{}", prefix, n), value); };
    };
  };
  struct config {
    std::string name;
    std::function<op_fn(int)> make;
    std::vector<double> xs;
    bool ok = true;
  };
  const double secs = o.full ? 1.5 : 0.5;
  const int rounds = o.full ? 5 : 3;
  for (int threads : {1, 8}) {
    std::vector<config> cs;
    cs.push_back({"kvmem always", kv_side(kv_always->get()), {}});
    cs.push_back({"kvmem interval", kv_side(kv_interval->get()), {}});
    cs.push_back({"kvmem none", kv_side(kv_memory), {}});
    if (lmdb)
      cs.push_back({"LMDB", lmdb_side, {}});
    if (redis_always)
      cs.push_back({"Redis always", redis_side(redis_always), {}});
    if (redis_everysec)
      cs.push_back({"Redis everysec", redis_side(redis_everysec), {}});
    rep.progress(fmt::format("DUR 1: {} writer thread(s), {} configurations, {} rounds of {:.1f} s",
                             threads, cs.size(), rounds, secs));
    for (int r = 0; r < rounds; ++r)
      for (std::size_t j = 0; j < cs.size(); ++j) {
        auto& c = cs[(j + static_cast<std::size_t>(r)) % cs.size()];
        ++run;
        auto x = run_writers(threads, secs, c.make);
        if (x < 0)
          c.ok = false;
        else
          c.xs.push_back(x);
      }
    auto find = [&](const std::string& name) -> const config* {
      for (auto& c : cs)
        if (c.name == name && c.ok && !c.xs.empty())
          return &c;
      if (std::any_of(cs.begin(), cs.end(), [&](auto& c) { return c.name == name; }))
        fmt::print("DUR: an op of \"{}\" failed; its rows are skipped\n", name);
      return nullptr;
    };
    auto add = [&](const std::string& kv, const std::string& base, const std::string& scenario,
                   const std::string& base_name, goal g, double target, std::string note) {
      auto a = find(kv), b = find(base);
      if (!a || !b)
        return;
      auto ma = median(a->xs), mb = median(b->xs);
      rep.add({"DUR", scenario, "writes/s", ma, base_name, mb, ma / mb,
               "kvmem throughput / baseline throughput", g, target, std::move(note)});
    };
    const auto w = fmt::format("{} writer{}", threads, threads > 1 ? "s" : "");
    const goal g8 = threads == 8 ? goal::at_least : goal::none;
    const auto rv = redis_always ? "Redis " + redis_always->version() : std::string{"Redis"};
    add("kvmem always", "LMDB", fmt::format("durable set, fresh keys, {}: sync=always vs LMDB", w),
        "LMDB durable commits", g8, 1.0,
        "kvmem: blocking client::set per thread (a client each), group commit; LMDB: "
        "mdb_env_open(MDB_NOTLS), one write txn (put + commit, fsync) per set, writers serialized");
    add("kvmem always", "Redis always",
        fmt::format("durable set, fresh keys, {}: sync=always vs Redis", w),
        rv + " AOF always", g8, 1.0,
        "Redis: appendonly yes, appendfsync always; one connection per thread, blocking SET "
        "round trips (resp_client)");
    add("kvmem interval", "Redis everysec",
        fmt::format("set, fresh keys, {}: sync=interval vs Redis everysec", w),
        rv + " AOF everysec", goal::none, 0,
        "kvmem: sync every 1000 ms at most (default interval); Redis: appendfsync everysec");
    add("kvmem interval", "kvmem none",
        fmt::format("set, fresh keys, {}: sync=interval vs no persistence", w), "kvmem, no dir",
        goal::at_least, 0.7, "the same client loop on a store without persistence_options::dir");
  }
  close(env, kv_always);
  close(env, kv_interval);
}

// --- 2 and 3. checkpoint and recovery -----------------------------------------

struct p99_figures {
  std::vector<double> during, without; // p99 per round, us
  std::vector<double> took;            // snapshot time per round, s
  std::vector<double> max_during;      // longest set during it per round, us
  double n_during = 0, n_without = 0;  // samples
  bool ok = true;
};

// Rounds of: a window of `len` seconds without a checkpoint, and one
// checkpoint (`snap`, returning false on failure), in alternating order,
// while `probe` writes.
template <class Snap>
void snapshot_rounds(latency_probe& probe, int rounds, double len, p99_figures& f, Snap snap) {
  std::this_thread::sleep_for(200ms); // warm up
  for (int r = 0; r < rounds; ++r) {
    double wa = 0, wb = 0, ca = 0, cb = 0;
    auto window = [&] {
      wa = probe.now();
      std::this_thread::sleep_for(std::chrono::duration<double>(len));
      wb = probe.now();
    };
    auto checkpoint = [&] {
      ca = probe.now();
      f.ok &= snap();
      cb = probe.now();
    };
    if (r % 2 == 0) {
      window();
      std::this_thread::sleep_for(200ms);
      checkpoint();
    } else {
      checkpoint();
      std::this_thread::sleep_for(200ms);
      window();
    }
    std::this_thread::sleep_for(200ms);
    f.took.push_back(cb - ca);
    // Store the windows; latencies are read once the probe stopped.
    f.during.push_back(ca);
    f.during.push_back(cb);
    f.without.push_back(wa);
    f.without.push_back(wb);
  }
  probe.stop();
  f.ok &= !probe.failed();
  std::vector<double> during, without;
  for (std::size_t i = 0; i + 1 < f.during.size(); i += 2) {
    auto d = probe.between(f.during[i], f.during[i + 1]);
    auto w = probe.between(f.without[i], f.without[i + 1]);
    f.n_during += static_cast<double>(d.size());
    f.n_without += static_cast<double>(w.size());
    during.push_back(percentile(d, 0.99));
    without.push_back(percentile(w, 0.99));
    f.max_during.push_back(max_of(d));
  }
  f.during = std::move(during);
  f.without = std::move(without);
}

// One writer's sets on random existing keys of the big store.
latency_probe::make_fn kv_writer(store_env& env, const kvmem::store& s, const kvmem::bytes& val,
                                 std::uint32_t seed) {
  return [&env, s, &val, seed] {
    auto c = std::make_shared<kvmem::client>(env.sys, s);
    auto rng = std::make_shared<std::mt19937_64>(seed);
    return [c, rng, &val](std::uint64_t) {
      return c->set(big_key((*rng)() % big_n), val).has_value();
    };
  };
}

void add_p99_row(report& rep, const p99_figures& f, const std::string& scenario, goal g,
                 std::string note) {
  if (!f.ok || f.during.empty()) {
    fmt::print("DUR: {}: a set or a checkpoint failed; row skipped\n", scenario);
    return;
  }
  auto d = median(f.during), w = median(f.without);
  rep.add({"DUR", scenario, "us p99", d, "no checkpoint, same length", w, d / w,
           "p99 during / p99 without", g, 1.2,
           fmt::format("{}; medians of {} rounds' p99 ({:.0f} / {:.0f} sets in all); longest set "
                       "during it {:.0f} us (median over rounds)",
                       note, f.during.size(), f.n_during, f.n_without, median(f.max_during))});
}

void checkpoint_and_recovery(const options& o, report& rep, const work_dir& wd, store_env& env,
                             const std::string& value) {
  const kvmem::bytes val{value};
  const int rounds = o.full ? 5 : 3;
  const auto kdir = wd.sub("kv-big");
  const auto rdir = wd.sub("redis-rdb");
  rep.progress("DUR 2: loading 10^6 entries into kvmem (sync none, batches of 1000) and Redis");
  auto kv = open(env, persistent(kdir, kvmem::sync_policy::none));
  if (!kv)
    return;
  {
    kvmem::client c{env.sys, kv->get()};
    for (std::size_t b = 0; b < big_n; b += load_chunk)
      if (auto r = c.batch([&](kvmem::batch_view& v) {
            for (std::size_t i = b; i < b + load_chunk; ++i)
              (void)v.set(big_key(i), val);
          });
          !r) {
        fmt::print("DUR: loading kvmem failed: {}\n", r.error().message());
        return;
      }
  }
  std::string why;
  auto redis = redis_server::start(why, {"--dir", rdir, "--loglevel", "notice", "--logfile",
                                         rdir + "/redis-0.log"});
  if (!redis)
    fmt::print("DUR: no Redis rows: {}\n", why);
  auto rc = redis ? redis->connect() : std::nullopt;
  auto redis_load = [&](std::size_t from, std::size_t to) {
    for (std::size_t b = from; b < to; b += load_chunk) {
      auto end = std::min(b + load_chunk, to);
      for (std::size_t i = b; i < end; ++i)
        rc->queue({"SET", big_path(i), value});
      if (!rc->send_queued())
        return false;
      for (std::size_t i = b; i < end; ++i)
        if (auto r = rc->read_reply(); !r || r->type != '+')
          return false;
    }
    return true;
  };
  if (rc && !redis_load(0, big_n)) {
    fmt::print("DUR: loading Redis failed; no Redis rows\n");
    rc.reset();
  }

  // A first checkpoint with no writer: the length of the windows.
  kvmem::client c{env.sys, kv->get()};
  auto t0 = clock_type::now();
  auto first = c.checkpoint();
  double idle_took = seconds_since(t0);
  if (!first) {
    fmt::print("DUR: checkpoint failed: {}\n", first.error().message());
    return;
  }
  const double len = std::max(idle_took, 0.3);
  rep.progress(fmt::format("DUR 2: checkpoint of 10^6 took {:.2f} s idle; {} rounds of window + "
                           "checkpoint with one writer (sync none), and Redis BGSAVE",
                           idle_took, rounds));
  p99_figures kf, rf;
  std::vector<double> fork_us, rdb_bytes;
  std::uint64_t ckpt_bytes = 0;
  {
    latency_probe kp{kv_writer(env, kv->get(), val, o.seed)};
    snapshot_rounds(kp, rounds, len, kf, [&] { return c.checkpoint().has_value(); });
  }
  if (auto i = c.info())
    ckpt_bytes = i->checkpoint_bytes;
  if (rc) {
    auto wc = redis->connect();
    auto rng = std::make_shared<std::mt19937_64>(o.seed);
    if (!wc) {
      rf.ok = false;
    } else {
      auto conn = std::make_shared<resp_client>(std::move(*wc));
      latency_probe rp{[&] {
        return [conn, rng, &value](std::uint64_t) {
          return conn->set(big_path((*rng)() % big_n), value);
        };
      }};
      // BGSAVE of 10^6 keys takes seconds here: one round in the default suite.
      snapshot_rounds(rp, o.full ? rounds : 1, len, rf, [&] {
        auto r = rc->call({"BGSAVE"});
        if (!r || r->type != '+')
          return false;
        for (;;) {
          std::this_thread::sleep_for(5ms);
          auto busy = redis_server::info_number(*rc, "persistence", "rdb_bgsave_in_progress");
          if (busy < 0)
            return false;
          if (busy == 0)
            break;
        }
        fork_us.push_back(static_cast<double>(redis_server::info_number(*rc, "stats", "latest_fork_usec")));
        std::error_code ec;
        rdb_bytes.push_back(static_cast<double>(fs::file_size(rdir + "/dump.rdb", ec)));
        auto st = rc->call({"INFO", "persistence"});
        return st && st->text.find("rdb_last_bgsave_status:ok") != std::string::npos;
      });
    }
  }
  const bool redis_ok = rc && rf.ok && !fork_us.empty();
  const auto rv = redis ? "Redis " + redis->version() : std::string{"Redis"};
  if (kf.ok)
    rep.add({"DUR", "checkpoint of 10^6 entries (1000 x 1000): time", "s", median(kf.took),
             redis_ok ? rv + " BGSAVE" : "none", redis_ok ? median(rf.took) : 0,
             redis_ok ? median(kf.took) / median(rf.took) : 0, "kvmem time / Redis time",
             goal::none, 0,
             fmt::format("client::checkpoint() until durable, one writer running (idle: {:.2f} s); "
                         "Redis: BGSAVE until INFO rdb_bgsave_in_progress:0 (5 ms polls)",
                         idle_took)});
  if (kf.ok && ckpt_bytes > 0)
    rep.add({"DUR", "checkpoint of 10^6 entries: file size", "MB", static_cast<double>(ckpt_bytes) / 1e6,
             redis_ok ? rv + " dump.rdb" : "none", redis_ok ? median(rdb_bytes) / 1e6 : 0,
             redis_ok ? static_cast<double>(ckpt_bytes) / median(rdb_bytes) : 0,
             "kvmem bytes / Redis bytes", goal::none, 0,
             "info().checkpoint_bytes; Redis RDB with its default LZF compression (the value does "
             "not compress)"});
  add_p99_row(rep, kf, "set p99 during a checkpoint of 10^6 vs without, sync=none", goal::at_most,
              "one writer thread, blocking sets on random existing keys, no think time; the store "
              "journals with sync=none (the checkpoint's CPU and I/O, no fsync per set)");
  if (redis_ok) {
    rep.add({"DUR", "longest stall at snapshot: kvmem longest set vs Redis fork", "us",
             median(kf.max_during), rv + " latest_fork_usec", median(fork_us),
             median(kf.max_during) / median(fork_us), "kvmem time / Redis time", goal::none, 0,
             "kvmem: the longest single set during a checkpoint (median over rounds); Redis: INFO "
             "stats latest_fork_usec of BGSAVE (its main thread is stopped for the fork)"});
    rep.add({"DUR", "(reference) Redis SET p99 during BGSAVE vs without", "us p99",
             median(rf.during), "Redis, no BGSAVE", median(rf.without),
             median(rf.during) / median(rf.without), "Redis p99 during / Redis p99 without",
             goal::none, 0,
             fmt::format("both figures are Redis's: one connection, blocking SETs on random "
                         "existing keys, no AOF; {} BGSAVE round(s); longest SET during BGSAVE {:.0f} us",
                         rf.during.size(), median(rf.max_during))});
  }

  // --- 3. recovery --------------------------------------------------------
  rep.progress("DUR 3: checkpoint at 10^6, then 10^5 single sets (fresh keys); Redis SAVE of the same");
  bool built = c.checkpoint().has_value();
  for (std::size_t i = big_n; built && i < big_n + extra_n; ++i)
    built = c.set(big_key(i), val).has_value();
  auto want = c.version();
  c.disconnect();
  close(env, kv);
  if (!built || !want) {
    fmt::print("DUR: building the recovery case failed; no recovery rows\n");
    return;
  }
  bool redis_saved = false;
  if (rc && redis_load(big_n, big_n + extra_n))
    if (auto r = rc->call({"SAVE"}); r && r->type == '+')
      redis_saved = true;
  rc.reset();
  if (redis && !redis_saved)
    fmt::print("DUR: Redis SAVE failed; no Redis recovery baseline\n");
  redis.reset(); // SIGTERM: no save points, so dump.rdb stays as SAVE wrote it
  std::vector<double> k_took, k_report, r_log, r_ready;
  kvmem::recovery_report last_rep;
  std::string rfail;
  rep.progress(fmt::format("DUR 3: {} rounds: open_store of 10^6 + 10^5 records vs Redis "
                           "restarting on its RDB", rounds));
  for (int r = 0; r < rounds; ++r) {
    auto kv_round = [&] {
      kvmem::recovery_report rr;
      auto t = clock_type::now();
      auto s = open(env, persistent(kdir, kvmem::sync_policy::always), &rr);
      auto took = seconds_since(t);
      if (!s)
        return;
      if (rr.version != *want) {
        rfail = fmt::format("recovered version {} != {} written", rr.version, *want);
        return;
      }
      k_took.push_back(took);
      k_report.push_back(std::chrono::duration<double>(rr.took).count());
      last_rep = rr;
      if (r + 1 < rounds)
        close(env, s);
      else
        kv = std::move(s); // the sync=always latency rows below use it
    };
    auto redis_round = [&] {
      if (!redis_saved)
        return;
      auto log = fmt::format("{}/redis-load-{}.log", rdir, r);
      std::string w;
      auto t = clock_type::now();
      auto s = redis_server::start(w, {"--dir", rdir, "--loglevel", "notice", "--logfile", log});
      auto ready = seconds_since(t);
      if (!s) {
        fmt::print("DUR: Redis restart failed: {}\n", w);
        redis_saved = false;
        return;
      }
      auto cc = s->connect();
      auto n = cc ? cc->call({"DBSIZE"}) : std::nullopt;
      auto text = file_text(log);
      auto at = text.rfind("DB loaded from disk: ");
      if (!n || n->text != std::to_string(big_n + extra_n) || at == std::string::npos) {
        fmt::print("DUR: Redis did not load {} keys (DBSIZE {}) or logged no load time\n",
                   big_n + extra_n, n ? n->text : "?");
        redis_saved = false;
        return;
      }
      r_log.push_back(std::atof(text.c_str() + at + 21));
      r_ready.push_back(ready);
    };
    if (r % 2 == 0) {
      kv_round();
      redis_round();
    } else {
      redis_round();
      kv_round();
    }
  }
  if (!rfail.empty())
    fmt::print("DUR: recovery check failed: {}\n", rfail);
  if (!k_took.empty()) {
    auto k = median(k_took);
    auto b = r_log.empty() ? 0 : median(r_log);
    rep.add({"DUR", "recovery: open_store of 10^6 entries + 10^5 journal records", "s", k,
             r_log.empty() ? "none" : rv + " RDB load", b, b > 0 ? k / b : 0,
             "kvmem time / Redis time", r_log.empty() ? goal::none : goal::at_most, 1.0,
             fmt::format("kvmem: the whole open_store call (recovery_report took {:.3f} s; {} "
                         "records replayed); Redis: \"DB loaded from disk: X seconds\" of its log "
                         "(restart to PING answered: {:.3f} s); files in the page cache for both",
                         median(k_report), last_rep.records_replayed,
                         r_ready.empty() ? 0.0 : median(r_ready))});
  }
  if (!kv)
    return;

  // --- 2b. the same latency rows on the recovered store, sync=always --------
  rep.progress(fmt::format("DUR 2: {} rounds of window + checkpoint of 1.1 x 10^6 with one "
                           "writer, sync always", rounds));
  kvmem::client c2{env.sys, kv->get()};
  t0 = clock_type::now();
  if (!c2.checkpoint()) {
    fmt::print("DUR: checkpoint failed after recovery\n");
    return;
  }
  const double len2 = std::max(seconds_since(t0), 0.3);
  p99_figures af;
  {
    latency_probe kp{kv_writer(env, kv->get(), val, o.seed + 1)};
    snapshot_rounds(kp, rounds, len2, af, [&] { return c2.checkpoint().has_value(); });
  }
  add_p99_row(rep, af, "set p99 during a checkpoint of 1.1x10^6 vs without, sync=always",
              goal::at_most,
              fmt::format("one writer thread, blocking sets (each waits for its fdatasync) on "
                          "random existing keys; checkpoint {:.2f} s (median)",
                          median(af.took)));
  c2.disconnect();
  close(env, kv);
}

// --- 4. crash trials ------------------------------------------------------------

using test::crash_value; // what tests/crash_writer.cpp writes

void crash_trials(const options& o, report& rep, const work_dir& wd, store_env& env) {
  const int trials = o.full ? 200 : 50;
  const auto dir = wd.sub("kv-crash");
  rep.progress(fmt::format("DUR 4: {} crash trials (SIGKILL after a random number of acks, "
                           "seed {})", trials, o.seed));
  std::mt19937_64 rng{o.seed};
  std::uint64_t next = 0;
  kvmem::version_t last_acked = 0;
  std::set<std::uint64_t> acked_steps;
  int passed = 0;
  long total_acks = 0;
  std::uint64_t torn = 0;
  std::vector<std::string> failures;
  for (int trial = 0; trial < trials; ++trial) {
    const int acks = static_cast<int>(rng() % 40) + 1;
    std::vector<std::pair<std::uint64_t, kvmem::version_t>> got;
    {
      auto child = child_process::start({KVMEM_DUR_CRASH_WRITER, dir, std::to_string(next)}, true);
      if (!child) {
        failures.push_back(fmt::format("trial {}: fork failed", trial));
        break;
      }
      while (static_cast<int>(got.size()) < acks) {
        auto line = child->read_line(10s);
        unsigned long long st = 0, ver = 0;
        if (!line || std::sscanf(line->c_str(), "%llu %llu", &st, &ver) != 2)
          break;
        got.emplace_back(st, ver);
      }
      kill(child->pid(), SIGKILL);
    } // reaped here
    std::vector<std::string> why;
    if (got.empty())
      why.push_back("the writer acknowledged nothing");
    for (auto& [st, ver] : got) {
      acked_steps.insert(st);
      last_acked = std::max(last_acked, ver);
    }
    total_acks += static_cast<long>(got.size());
    kvmem::recovery_report rr;
    auto s = open(env, persistent(dir, kvmem::sync_policy::always), &rr);
    if (!s) {
      failures.push_back(fmt::format("trial {}: open_store failed", trial));
      break;
    }
    torn += rr.torn_tail ? 1 : 0;
    const std::uint64_t end = (got.empty() ? next : got.back().first) + 64;
    {
      kvmem::client c{env.sys, s->get()};
      if (rr.version < last_acked)
        why.push_back(fmt::format("recovered version {} < last acknowledged {}", rr.version,
                                  last_acked));
      for (std::uint64_t st = 0; st < end; ++st) {
        if (st % 3 == 0) {
          int present = 0;
          for (std::uint64_t j = 0; j < 4; ++j)
            if (auto v = c.get(kvmem::key::v(fmt::format("/b/{}/{}", st, j)))) {
              ++present;
              if (v->view() != crash_value(st, j))
                why.push_back(fmt::format("/b/{}/{} has a wrong value", st, j));
            }
          if (present != 0 && present != 4)
            why.push_back(fmt::format("batch {} half applied ({} of 4)", st, present));
          else if (present == 0 && acked_steps.count(st))
            why.push_back(fmt::format("acknowledged batch {} is lost", st));
        } else if (auto v = c.get(kvmem::key::v(fmt::format("/s/{}", st)))) {
          if (v->view() != crash_value(st, 0))
            why.push_back(fmt::format("/s/{} has a wrong value", st));
        } else if (acked_steps.count(st)) {
          why.push_back(fmt::format("acknowledged step {} is lost", st));
        }
      }
      if (auto v = c.version())
        last_acked = std::max(last_acked, *v);
    }
    close(env, s);
    if (why.empty())
      ++passed;
    else
      failures.push_back(fmt::format("trial {} ({}): {}", trial, to_string(rr), why.front()));
    next = end; // the next run writes new keys
  }
  rep.progress(fmt::format("DUR 4: {} of {} trials passed", passed, trials));
  for (std::size_t i = 0; i < std::min<std::size_t>(failures.size(), 5); ++i)
    fmt::print("DUR: crash trial failed: {}\n", failures[i]);
  rep.add({"DUR", fmt::format("crash trials: SIGKILL after 1-40 acks, sync=always (seed {})", o.seed),
           "trials", static_cast<double>(passed), "trials run", static_cast<double>(trials),
           static_cast<double>(passed) / trials, "trials passed / trials", goal::at_least, 1.0,
           fmt::format("every acknowledged write present with its value, no batch half applied, "
                       "version >= last acknowledged; {} acks in all, {} recoveries dropped a torn "
                       "tail; writer: dur_crash_writer (tests/crash_writer.cpp)",
                       total_acks, torn)});
}

} // namespace

void run_durability(const options& o, report& rep) {
  work_dir wd;
  store_env env;
  const auto value = make_value();
  write_throughput(o, rep, wd, env, value);
  checkpoint_and_recovery(o, rep, wd, env, value);
  crash_trials(o, rep, wd, env);
}

} // namespace bench
