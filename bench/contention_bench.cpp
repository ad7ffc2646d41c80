// T7: contention: 2-8 blocking clients running read-increment-write batches
// on disjoint keys and on one hot key. Reports commits/s, retries per commit,
// the share of batches ending in too_many_retries, and lost updates (which
// must be zero).
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "store_env.hpp"

namespace bench {

void run_contention(const options& o, report& rep) {
  store_env env;
  auto s = env.spawn();
  const int per_client = 200 * o.scale();
  series disjoint{"contention", "disjoint keys", {}}, hot{"contention", "one hot key", {}};
  for (int clients : o.full ? std::vector<int>{2, 4, 8, 16} : std::vector<int>{2, 4, 8}) {
    for (bool is_hot : {false, true}) {
      rep.progress(fmt::format("T7 contention: {} clients, {}", clients, is_hot ? "hot key" : "disjoint keys"));
      auto prefix = fmt::format("/c{}{}", clients, is_hot ? "h" : "d");
      std::atomic<long> commits{0}, failures{0}, runs{0}, other{0};
      std::vector<long> mine(clients, 0);
      std::vector<std::thread> ts;
      auto t0 = clock_type::now();
      for (int t = 0; t < clients; ++t)
        ts.emplace_back([&, t] {
          kvmem::client c{env.sys, s};
          auto k = kvmem::key::v(is_hot ? prefix + "/hot" : fmt::format("{}/t{}", prefix, t));
          for (int b = 0; b < per_client; ++b) {
            auto r = c.batch([&](kvmem::batch_view& v) {
              ++runs;
              auto cur = v.get(k);
              long n = cur ? std::stol(cur->str()) : 0;
              (void)v.set(k, std::to_string(n + 1));
            });
            if (r) {
              ++commits;
              ++mine[t];
            } else if (r.error().code == kvmem::errc::too_many_retries) {
              ++failures;
            } else {
              ++other;
            }
          }
        });
      for (auto& th : ts)
        th.join();
      double secs = seconds_since(t0);
      // Lost updates: what the counters hold vs what the batches reported.
      kvmem::client check{env.sys, s};
      long stored = 0;
      for (int t = 0; t < (is_hot ? 1 : clients); ++t) {
        auto k = kvmem::key::v(is_hot ? prefix + "/hot" : fmt::format("{}/t{}", prefix, t));
        if (auto v = check.get(k))
          stored += std::stol(v->str());
      }
      long lost = commits.load() - stored;
      double total = static_cast<double>(clients) * per_client;
      double rate = static_cast<double>(commits) / secs;
      (is_hot ? hot : disjoint).points.emplace_back(clients, rate);
      rep.add({"T7",
               fmt::format("{} batch clients, {}: lost updates", clients,
                           is_hot ? "one hot key" : "disjoint keys"),
               "updates", static_cast<double>(lost), "none lost", 0, static_cast<double>(lost),
               "lost updates", goal::at_most, 0,
               fmt::format("{:.0f} commits/s, {:.2f} retries per commit, {:.1f}% too_many_retries, "
                           "{} other errors",
                           rate,
                           commits ? static_cast<double>(runs - commits) / static_cast<double>(commits)
                                   : 0.0,
                           100.0 * static_cast<double>(failures) / total, other.load())});
    }
  }
  rep.add(std::move(disjoint));
  rep.add(std::move(hot));
}

} // namespace bench
