// The cost of a remote operation (over loopback TCP, CAF's middleman)
// against the same operation on a local store, measured in the same run.
#include <fmt/format.h>
#include <kvmem/remote.hpp>

#include "data.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

struct net_node {
  static caf::actor_system_config& init(caf::actor_system_config& cfg, const char* policy) {
    kvmem::enable_remote(cfg).value();
    cfg.set("scheduler.policy", caf::atom_from_string(policy));
    return cfg;
  }
  explicit net_node(const char* policy) : sys(init(cfg, policy)) {}
  caf::actor_system_config cfg;
  caf::actor_system sys;
};

void run_remote(const options& o, report& rep, const char* policy, bool detached) {
  auto config = fmt::format("{}, store {}", policy, detached ? "detached" : "on the scheduler");
  rep.progress(fmt::format("remote: blocking operations over loopback vs local ({})", config));
  net_node server{policy}, client_node{policy};
  auto st = kvmem::spawn_store(server.sys, kvmem::system_clock{}, {.detached = detached});
  auto port = kvmem::publish(server.sys, st, 0).value();
  auto remote = kvmem::remote_store(client_node.sys, "127.0.0.1", port).value();
  {
    kvmem::client local{server.sys, st};
    kvmem::client far{client_node.sys, remote};
    std::vector<kvmem::key> keys;
    for (int i = 0; i < 1000; ++i)
      keys.push_back(kvmem::key{} / "r" / fmt::format("k{}", i));
    kvmem::bytes v{std::string(100, 'v')};
    for (auto& k : keys)
      (void)local.set(k, v);
    const std::size_t n = 2000 * o.scale();
    std::vector<double> lg, rg, ls, rs, lb, rb;
    for (int r = 0; r < 5; ++r) {
      lg.push_back(ns_per_op(n, [&](std::size_t i) { (void)local.get(keys[i % 1000]); }) / 1e3);
      rg.push_back(ns_per_op(n, [&](std::size_t i) { (void)far.get(keys[i % 1000]); }) / 1e3);
      ls.push_back(ns_per_op(n, [&](std::size_t i) { (void)local.set(keys[i % 1000], v); }) / 1e3);
      rs.push_back(ns_per_op(n, [&](std::size_t i) { (void)far.set(keys[i % 1000], v); }) / 1e3);
      auto batch = [&](kvmem::client& c) {
        return ns_per_op(20, [&](std::size_t) {
                 (void)c.batch([&](kvmem::batch_view& b) {
                   auto x = b.get(keys[0]);
                   for (int i = 0; i < 100; ++i)
                     (void)b.set(keys[i], v);
                   return x ? x->size() : 0;
                 });
               }) /
               1e3;
      };
      lb.push_back(batch(local));
      rb.push_back(batch(far));
    }
    auto row = [&](const char* what, double kv, double base, const char* note) {
      rep.add({"NET", fmt::format("{}, {}", what, config), "us/op", kv,
               "same op, local", base, kv / base, "remote time / local time", goal::none, 0,
               note});
    };
    row("remote get (loopback)", median(rg), median(lg),
        "local: the published root, no message; remote: a request and reply over TCP");
    row("remote set (loopback)", median(rs), median(ls),
        "both are messages to the store; remote adds serialization and TCP");
    row("remote batch, 1 read + 100 sets", median(rb), median(lb),
        "remote: pin + pinned read + commit (100 writes) + unpin messages");
  }
  kvmem::unpublish(server.sys, st, port);
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}

} // namespace

void run_remote(const options& o, report& rep) {
  // Served stores on the scheduler (what `kvmem serve` does): faster for
  // remote clients than a detached store, and CAF 0.17 can hang at shutdown
  // with a detached actor the middleman referenced (docs/remote.md).
  if (o.full)
    run_remote(o, rep, "stealing", false); // CAF's default scheduler
  run_remote(o, rep, "sharing", false);    // what `kvmem serve` uses
}

} // namespace bench
