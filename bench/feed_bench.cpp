// FEED: change feeds (issue 11).
// - Latency from just before a blocking client::set is sent to the
//   subscriber receiving the delivery of that write, next to the set's own
//   round trip measured on the same operations; for a subscriber actor on
//   CAF's scheduler and for a blocking watcher (client::watch) on a thread of
//   its own; in-process and over loopback (the store served by a child
//   process, as the NET rows do). The writer waits for each delivery before
//   the next write, so every delivery carries one event.
// - Write throughput of one blocking writer with 0, 1, 10 and 100 subscriber
//   actors, whose prefixes match none of the writes or all of them; the clock
//   stops when the writes are done and every subscriber got the last version.
#include <thread>

#include <fmt/format.h>

#include "feed_probe.hpp"
#include "net_node.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

using namespace std::chrono_literals;

struct latencies {
  std::vector<double> delivery, round_trip; // us
  int failures = 0;
};

double us_between(clock_type::time_point a, clock_type::time_point b) {
  return std::chrono::duration<double, std::micro>(b - a).count();
}

// n writes under `prefix`, each waiting for its delivery at `probe`.
void write_and_wait(kvmem::client& c, feed_probe& probe, const std::string& prefix, std::size_t n,
                    const kvmem::bytes& value, latencies& out) {
  for (std::size_t i = 0; i < n; ++i) {
    auto k = kvmem::key::v(fmt::format("{}/k{}", prefix, i % 100));
    auto t0 = clock_type::now();
    auto r = c.set(k, value);
    auto t1 = clock_type::now();
    if (!r) {
      ++out.failures;
      continue;
    }
    auto t2 = probe.wait_for(c.last_version(), 5s);
    if (!t2) {
      ++out.failures;
      continue;
    }
    out.delivery.push_back(us_between(t0, *t2));
    out.round_trip.push_back(us_between(t0, t1));
  }
}

// A blocking watcher on its own thread, reporting to a probe.
class watcher_thread {
public:
  watcher_thread(kvmem::client& c, const std::string& prefix) {
    auto w = c.watch(kvmem::key::v(prefix));
    if (!w) {
      probe_->started(0, false);
      return;
    }
    probe_->started(w->start_version(), true);
    w_.emplace(std::move(*w));
    t_ = std::thread([this] {
      while (!stop_) {
        auto d = w_->next(100ms);
        if (!d)
          break;
        if (*d)
          probe_->delivered((*d)->to, (*d)->events.size());
      }
    });
  }
  ~watcher_thread() {
    stop_ = true;
    if (w_)
      w_->interrupt();
    if (t_.joinable())
      t_.join();
  }
  feed_probe& probe() { return *probe_; }

private:
  std::shared_ptr<feed_probe> probe_ = std::make_shared<feed_probe>();
  std::optional<kvmem::watcher> w_;
  std::atomic<bool> stop_{false};
  std::thread t_;
};

// Latency rows for one setting (in-process or loopback): a subscriber actor
// and a blocking watcher, in interleaved blocks.
void latency(const options& o, report& rep, caf::actor_system& sys, const kvmem::store& s,
             const std::string& where, std::size_t n) {
  rep.progress(fmt::format("FEED commit -> delivery latency, {}", where));
  kvmem::client c{sys, s};
  const kvmem::bytes value{std::string(100, 'v')};
  auto probe = std::make_shared<feed_probe>();
  auto sub = spawn_subscriber(sys, s.actor(), kvmem::key::v("/fa"), probe);
  watcher_thread wt{c, "/fb"};
  if (!probe->wait_started(10s) || !wt.probe().wait_started(10s)) {
    fmt::print("FEED: a subscription did not start ({}); latency rows skipped\n", where);
    caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
    return;
  }
  latencies actor_lat, watcher_lat;
  for (int r = 0; r < (o.full ? 9 : 3); ++r) {
    for (int j = 0; j < 2; ++j) {
      if ((j + r) % 2 == 0)
        write_and_wait(c, *probe, "/fa", n, value, actor_lat);
      else
        write_and_wait(c, wt.probe(), "/fb", n, value, watcher_lat);
    }
  }
  caf::anon_send_exit(sub, caf::exit_reason::user_shutdown);
  auto add = [&](const char* who, const latencies& l) {
    if (l.delivery.empty())
      return;
    for (double p : {0.5, 0.99}) {
      auto d = percentile(l.delivery, p), rt = percentile(l.round_trip, p);
      rep.add({"FEED",
               fmt::format("set -> delivery p{:.0f}, {}, {}", p * 100, who, where), "us", d,
               "blocking set round trip", rt, d / rt,
               "delivery latency / the same sets' round trip", goal::none, 0,
               fmt::format("{} writes; {} failed or timed out; from just before the set is "
                           "sent to the subscriber receiving the delivery",
                           l.delivery.size(), l.failures)});
    }
  };
  add("subscriber actor", actor_lat);
  add("blocking watcher", watcher_lat);
}

struct config {
  int subscribers = 0;
  bool shared = false; // the subscribers' prefix matches the writes
  std::string name() const {
    if (subscribers == 0)
      return "no subscribers";
    return fmt::format("{} subscriber{}, {}", subscribers, subscribers > 1 ? "s" : "",
                       shared ? "shared prefix (each gets every write)" : "disjoint prefixes");
  }
};

struct run_figures {
  std::vector<double> rate;
  double deliveries = 0, events = 0; // per subscriber, summed over rounds
  int failures = 0;
};

// One timed block: subscribe, write n keys, wait for the deliveries,
// unsubscribe (and wait until the store dropped the subscriptions).
void block(store_env& env, const kvmem::store& s, kvmem::client& c, const config& cf,
           std::size_t n, const kvmem::bytes& value, run_figures& out) {
  std::vector<std::shared_ptr<feed_probe>> probes;
  std::vector<caf::actor> subs;
  for (int i = 0; i < cf.subscribers; ++i) {
    probes.push_back(std::make_shared<feed_probe>());
    auto prefix = cf.shared ? std::string{"/w"} : fmt::format("/s{}", i);
    subs.push_back(spawn_subscriber(env.sys, s.actor(), kvmem::key::v(prefix), probes.back()));
  }
  bool ok = true;
  for (auto& p : probes)
    ok = ok && p->wait_started(10s);
  auto t0 = clock_type::now();
  for (std::size_t i = 0; ok && i < n; ++i)
    ok = c.set(kvmem::key::v(fmt::format("/w/k{}", i % 1000)), value).has_value();
  if (ok && cf.shared)
    for (auto& p : probes)
      ok = ok && p->wait_for(c.last_version(), 30s).has_value();
  auto secs = seconds_since(t0);
  if (ok)
    out.rate.push_back(static_cast<double>(n) / secs);
  else
    ++out.failures;
  for (auto& p : probes) {
    out.deliveries += static_cast<double>(p->deliveries()) / cf.subscribers;
    out.events += static_cast<double>(p->events()) / cf.subscribers;
  }
  for (auto& a : subs)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  auto deadline = clock_type::now() + 10s;
  while (clock_type::now() < deadline) {
    auto info = c.info();
    if (!info || info->subscriptions == 0)
      break;
    std::this_thread::sleep_for(1ms);
  }
}

void throughput(const options& o, report& rep) {
  rep.progress("FEED write throughput with 0/1/10/100 subscribers");
  store_env env;
  auto s = env.spawn();
  kvmem::client c{env.sys, s};
  const kvmem::bytes value{std::string(100, 'v')};
  (void)c.batch([&](kvmem::batch_view& v) {
    for (int i = 0; i < 1000; ++i)
      (void)v.set(kvmem::key::v(fmt::format("/w/k{}", i)), value);
  });
  std::vector<config> configs{{0, false}};
  for (bool shared : {false, true})
    for (int k : {1, 10, 100})
      configs.push_back({k, shared});
  std::vector<run_figures> figs(configs.size());
  const std::size_t n = 5000 * static_cast<std::size_t>(o.scale());
  const int rounds = o.full ? 7 : 3;
  for (int r = 0; r < rounds; ++r)
    for (std::size_t j = 0; j < configs.size(); ++j) {
      auto which = (j + static_cast<std::size_t>(r)) % configs.size();
      block(env, s, c, configs[which], n, value, figs[which]);
    }
  if (figs[0].rate.empty()) {
    fmt::print("FEED: the runs without subscribers failed; throughput rows skipped\n");
    return;
  }
  auto base = median(figs[0].rate);
  series shared_s{"feeds", "shared prefix", {{0, base}}}, disjoint_s{"feeds", "disjoint prefixes", {{0, base}}};
  for (std::size_t i = 1; i < configs.size(); ++i) {
    auto& cf = configs[i];
    auto& f = figs[i];
    if (f.rate.empty()) {
      fmt::print("FEED: every run of '{}' failed\n", cf.name());
      continue;
    }
    auto rate = median(f.rate);
    (cf.shared ? shared_s : disjoint_s).points.emplace_back(cf.subscribers, rate);
    rep.add({"FEED", fmt::format("write throughput, {}", cf.name()), "writes/s", rate,
             "no subscribers", base, rate / base, "throughput / throughput without subscribers",
             cf.subscribers == 100 ? goal::at_least : goal::none, 0.5,
             fmt::format("{} blocking sets per block, {} rounds; per subscriber and round: {:.0f} "
                         "deliveries, {:.0f} events{}",
                         n, rounds, f.deliveries / rounds, f.events / rounds,
                         f.failures ? fmt::format("; {} blocks failed", f.failures) : "")});
  }
  rep.add(std::move(disjoint_s));
  rep.add(std::move(shared_s));
}

} // namespace

void run_feeds(const options& o, report& rep) {
  {
    store_env env;
    auto s = env.spawn();
    latency(o, rep, env.sys, s, "in-process", 1000 * static_cast<std::size_t>(o.scale()));
  }
  throughput(o, rep);
  rep.progress("FEED: starting the served store (kvmem_bench --serve-child)");
  auto served = start_served_store("FEED");
  if (!served)
    return;
  net_node node;
  auto remote = kvmem::remote_store(node.sys, "127.0.0.1", served->port);
  if (!remote) {
    fmt::print("FEED: cannot reach the server process: {}; loopback rows skipped\n", remote.error());
    return;
  }
  latency(o, rep, node.sys, *remote, "loopback (server process)",
          300 * static_cast<std::size_t>(o.scale()));
}

} // namespace bench
