// NET: a store served by another process (kvmem_bench --serve-child, set up
// as `kvmem serve`), reached over loopback TCP by a blocking client, against
// (1) the same operation on a local store with default options, and (2)
// Redis, started by the benchmark, reached by a minimal blocking RESP client
// (resp_client.hpp): get/set latency on random keys of 10^6, an optimistic
// batch, and server memory per key with the same 10^6 keys and values.
#include <fmt/format.h>
#include <kvmem/remote.hpp>

#include "child_process.hpp"
#include "net_node.hpp"
#include "data.hpp"
#include "redis_server.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

constexpr std::size_t load_chunk = 1000; // keys per batch / per pipeline

// Loads every key of `d` (one batch per 1000 keys); false on an error.
bool load(kvmem::client& c, const dataset& d) {
  for (std::size_t b = 0; b < d.size(); b += load_chunk) {
    auto r = c.batch([&](kvmem::batch_view& v) {
      for (std::size_t i = b; i < std::min(b + load_chunk, d.size()); ++i)
        (void)v.set(d.keys[i], d.value_bytes);
    });
    if (!r) {
      fmt::print("NET: loading the served store failed: {}\n", r.error());
      return false;
    }
  }
  return true;
}

// The same into Redis (pipelines of 1000 SETs); false on an error.
bool load(resp_client& c, const dataset& d) { return c.set_all(d.paths, d.value, load_chunk); }

// Redis's optimistic transaction, the counterpart of a kvmem batch that
// reads one key and writes 100: WATCH, GET, then MULTI + 100 SET + EXEC in
// one write (3 round trips; EXEC fails if the watched key changed).
bool redis_batch(resp_client& c, const dataset& d, std::size_t read, std::size_t first) {
  if (auto w = c.call({"WATCH", d.paths[read]}); !w || w->type != '+')
    return false;
  if (!c.get(d.paths[read]))
    return false;
  c.queue({"MULTI"});
  for (std::size_t i = 0; i < 100; ++i)
    c.queue({"SET", d.paths[first + i], d.value});
  c.queue({"EXEC"});
  if (!c.send_queued())
    return false;
  for (int i = 0; i < 101; ++i)
    if (!c.read_reply())
      return false;
  auto exec = c.read_reply();
  return exec && exec->type == '*' && exec->elems.size() == 100;
}

struct figures {
  std::vector<double> get, set, batch; // us/op per round
  std::vector<double> guarded, unguarded; // the guard's cost: get + set pairs
};

} // namespace

void run_remote(const options& o, report& rep) {
  const auto& d = dataset::nested(o);
  rep.progress("NET: starting the served store (kvmem_bench --serve-child) and redis-server");
  auto served = start_served_store("NET");
  if (!served)
    return;
  auto* server = &served->process;
  auto port = served->port;
  std::string why;
  auto redis = redis_server::start(why);
  if (!redis)
    fmt::print("NET: no Redis rows: {}\n", why);
  auto rc = redis ? redis->connect() : std::nullopt;
  if (redis && !rc)
    fmt::print("NET: no Redis rows: cannot connect to redis-server\n");

  net_node node;
  auto remote = kvmem::remote_store(node.sys, "127.0.0.1", port);
  if (!remote) {
    fmt::print("NET: cannot reach the server process: {}; NET rows skipped\n", remote.error());
    return;
  }
  kvmem::client far{node.sys, *remote};
  // The same store through its unguarded port, from a node of its own.
  net_node bare_node;
  std::optional<kvmem::client> bare;
  if (served->unguarded_port != 0)
    if (auto r = kvmem::remote_store(bare_node.sys, "127.0.0.1", served->unguarded_port))
      bare.emplace(bare_node.sys, *r);

  // Memory per key: resident growth of each server process while 10^6 keys
  // are loaded through its own protocol.
  rep.progress("NET: loading 10^6 keys into the served store and into Redis");
  long k0 = server->rss_bytes();
  bool kv_loaded = load(far, d);
  long k1 = server->rss_bytes();
  long r0 = -1, r1 = -1, u0 = -1, u1 = -1;
  if (rc) {
    r0 = redis->process().rss_bytes();
    u0 = redis_server::info_number(*rc, "memory", "used_memory");
    if (!load(*rc, d)) {
      fmt::print("NET: loading Redis failed; no Redis rows\n");
      rc.reset();
    }
    r1 = redis->process().rss_bytes();
    u1 = redis_server::info_number(*rc, "memory", "used_memory");
  }

  store_env env; // the local baseline: a default store in this process
  auto local_store = env.spawn(d.tree());
  kvmem::client local{env.sys, local_store};

  rep.progress("NET: get/set/batch latency, local vs served store vs Redis, interleaved");
  const std::size_t n = 2000 * o.scale();
  const std::size_t nb = 20 * o.scale();
  figures fl, fk, fr;
  bool far_ok = true, local_ok = true;
  bool redis_ok = rc.has_value();
  for (int r = 0; r < (o.full ? 9 : 5); ++r) {
    auto key = [&](std::size_t i) { return d.order[(i + r * n) % d.order.size()]; };
    auto dict = [&](std::size_t i) { return key(i) / 1000 * 1000; }; // first key of a dictionary
    auto us = [&](std::size_t count, auto f) { return ns_per_op(count, f) / 1e3; };
    fl.get.push_back(us(n, [&](std::size_t i) { (void)local.get(d.keys[key(i)]); }));
    fk.get.push_back(us(n, [&](std::size_t i) { far_ok &= far.get(d.keys[key(i)]).has_value(); }));
    if (redis_ok)
      fr.get.push_back(us(n, [&](std::size_t i) { redis_ok &= rc->get(d.paths[key(i)]).has_value(); }));
    fl.set.push_back(us(n, [&](std::size_t i) { (void)local.set(d.keys[key(i)], d.value_bytes); }));
    fk.set.push_back(us(n, [&](std::size_t i) { far_ok &= far.set(d.keys[key(i)], d.value_bytes).has_value(); }));
    if (redis_ok)
      fr.set.push_back(us(n, [&](std::size_t i) { redis_ok &= rc->set(d.paths[key(i)], d.value); }));
    auto kv_batch = [&](kvmem::client& c, bool& ok) {
      return us(nb, [&](std::size_t i) {
        ok &= c.batch([&](kvmem::batch_view& b) {
          auto x = b.get(d.keys[key(i)]);
          for (std::size_t j = 0; j < 100; ++j)
            (void)b.set(d.keys[dict(i) + j], d.value_bytes);
          return x ? x->size() : 0;
        }).has_value();
      });
    };
    if (bare) {
      // Guarded and unguarded, alternating in short runs, same keys.
      auto pair = [&](kvmem::client& c, bool& ok) {
        return us(n / 2, [&](std::size_t i) {
          ok &= c.get(d.keys[key(i)]).has_value();
          ok &= c.set(d.keys[key(i)], d.value_bytes).has_value();
        });
      };
      bool bare_ok = true;
      fk.unguarded.push_back(pair(*bare, bare_ok));
      fk.guarded.push_back(pair(far, far_ok));
      if (!bare_ok) {
        fmt::print("NET: a request to the unguarded port failed; no guard row\n");
        bare.reset();
        fk.guarded.clear();
        fk.unguarded.clear();
      }
    }
    fl.batch.push_back(kv_batch(local, local_ok));
    fk.batch.push_back(kv_batch(far, far_ok));
    if (redis_ok)
      fr.batch.push_back(us(nb, [&](std::size_t i) { redis_ok &= redis_batch(*rc, d, key(i), dict(i)); }));
  }
  if (rc && !redis_ok)
    fmt::print("NET: a Redis request failed; no Redis latency rows\n");
  if (!far_ok || !local_ok || !kv_loaded) {
    // Timings of failed requests measure nothing: no kvmem rows.
    fmt::print("NET: a request to the served store failed; no NET rows\n");
    return;
  }

  auto add = [&](const char* what, const std::vector<double>& kv, const std::vector<double>& base,
                 const std::string& base_name, const std::string& ratio_is, std::string note) {
    rep.add({"NET", what, "us/op", median(kv), base_name, median(base), median(kv) / median(base),
             ratio_is, goal::none, 0, std::move(note)});
  };
  const auto rv = redis ? "Redis " + redis->version() : std::string{};
  if (redis_ok) {
    add("remote get, random key of 10^6, server process", fk.get, fr.get, rv + " GET",
        "kvmem time / Redis time",
        "one request, one reply over loopback TCP; kvmem: kvmem::client, CAF's middleman; Redis: "
        "blocking RESP client");
    add("remote set, random key of 10^6, server process", fk.set, fr.set, rv + " SET",
        "kvmem time / Redis time", "100-byte values");
    add("remote batch, 1 read + 100 sets, server process", fk.batch, fr.batch, rv + " MULTI",
        "kvmem time / Redis time",
        "kvmem: pin, pinned get, commit of 100 writes, unpin; Redis: WATCH, GET, "
        "MULTI + 100 SET + EXEC pipelined");
  }
  add("remote get vs local get, random key of 10^6", fk.get, fl.get, "same op, local",
      "remote time / local time",
      "local: a default store in this process, read from its published root (no message)");
  add("remote set vs local set, random key of 10^6", fk.set, fl.set, "same op, local",
      "remote time / local time", "local: a message to a default store (run by the calling thread when idle)");
  add("remote batch vs local batch, 1 read + 100 sets", fk.batch, fl.batch, "same op, local",
      "remote time / local time", "local: a default store in this process");
  if (!fk.guarded.empty() && fk.guarded.size() == fk.unguarded.size())
    add("remote get + set, guarded vs unguarded port, same store", fk.guarded, fk.unguarded,
        "serve_options::guard = false", "guarded time / unguarded time",
        "the guard's per-request cost: its frame, schema and identity checks and output "
        "accounting; two clients of the same server process, alternating runs");
  if (kv_loaded && redis_ok && k0 > 0 && k1 > 0 && r0 > 0 && r1 > 0) {
    double kb = static_cast<double>(k1 - k0) / static_cast<double>(d.size());
    double rb = static_cast<double>(r1 - r0) / static_cast<double>(d.size());
    rep.add({"NET", "server memory per key, 10^6 keys (1000 x 1000), 100-byte values", "B/key", kb,
             rv, rb, kb / rb, "kvmem bytes / Redis bytes", goal::none, 0,
             fmt::format("resident growth of each server process (/proc/<pid>/statm) while the "
                         "keys were loaded over its protocol; Redis INFO used_memory grew by "
                         "{:.0f} B/key",
                         static_cast<double>(u1 - u0) / static_cast<double>(d.size()))});
  }
}

} // namespace bench
