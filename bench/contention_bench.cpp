// T7: contention: 2-8 blocking clients running read-increment-write batches
// on disjoint keys and on one hot key, against a store validating commits by
// their reads (the default) and one validating by the store's version, in
// interleaved rounds. Reports commits/s, retries per commit, the share of
// batches ending in too_many_retries, and lost updates (which must be zero);
// with read-set validation, batches on disjoint keys must never re-run.
#include <thread>

#include <fmt/format.h>

#include "harness.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

struct outcome {
  std::vector<double> rate, retries, too_many; // per round
  long lost = 0, other = 0;
};

// One round: `clients` threads, `per_client` batches each; prefix unique to
// the round, so that every round starts from absent counters.
void round(store_env& env, const kvmem::store& s, int clients, bool hot, int per_client,
           const std::string& prefix, outcome& out) {
  std::atomic<long> commits{0}, failures{0}, runs{0}, other{0};
  std::vector<std::thread> ts;
  auto key_of = [&](int t) {
    return kvmem::key::v(hot ? prefix + "/hot" : fmt::format("{}/t{}", prefix, t));
  };
  auto t0 = clock_type::now();
  for (int t = 0; t < clients; ++t)
    ts.emplace_back([&, t] {
      kvmem::client c{env.sys, s};
      auto k = key_of(t);
      for (int b = 0; b < per_client; ++b) {
        auto r = c.batch([&](kvmem::batch_view& v) {
          ++runs;
          auto cur = v.get(k);
          long n = cur ? std::stol(cur->str()) : 0;
          (void)v.set(k, std::to_string(n + 1));
        });
        if (r)
          ++commits;
        else if (r.error().code == kvmem::errc::too_many_retries)
          ++failures;
        else
          ++other;
      }
    });
  for (auto& th : ts)
    th.join();
  double secs = seconds_since(t0);
  // Lost updates: what the counters hold vs what the batches reported.
  kvmem::client check{env.sys, s};
  long stored = 0;
  for (int t = 0; t < (hot ? 1 : clients); ++t)
    if (auto v = check.get(key_of(t)))
      stored += std::stol(v->str());
  out.lost += commits.load() - stored;
  out.other += other.load();
  out.rate.push_back(static_cast<double>(commits) / secs);
  out.retries.push_back(commits ? static_cast<double>(runs - commits) / static_cast<double>(commits)
                                : 0.0);
  out.too_many.push_back(100.0 * static_cast<double>(failures) / (clients * per_client));
}

} // namespace

void run_contention(const options& o, report& rep) {
  store_env env;
  kvmem::store_options by_version;
  by_version.validation = kvmem::validation::by_version;
  const kvmem::store stores[] = {env.spawn(), env.spawn(kvmem::tree{}, by_version)};
  const char* mode_name[] = {"read-set validation", "version validation"};
  const int per_client = 200 * o.scale();
  const int rounds = o.full ? 5 : 3;
  std::vector<series> plots;
  for (int m = 0; m < 2; ++m)
    for (bool hot : {false, true})
      plots.push_back({"contention", fmt::format("{}, {}", hot ? "one hot key" : "disjoint keys",
                                                 m == 0 ? "by reads" : "by version"), {}});
  for (int clients : o.full ? std::vector<int>{2, 4, 8, 16} : std::vector<int>{2, 4, 8}) {
    for (bool hot : {false, true}) {
      rep.progress(fmt::format("T7 contention: {} clients, {}, both validations",
                               clients, hot ? "hot key" : "disjoint keys"));
      outcome out[2];
      for (int r = 0; r < rounds; ++r)
        for (int j = 0; j < 2; ++j) {
          int m = (j + r) % 2; // alternate which mode goes first
          round(env, stores[m], clients, hot, per_client,
                fmt::format("/c{}{}r{}", clients, hot ? "h" : "d", r), out[m]);
        }
      const char* keys = hot ? "one hot key" : "disjoint keys";
      for (int m = 0; m < 2; ++m) {
        auto rate = median(out[m].rate), retries = median(out[m].retries);
        auto too_many = median(out[m].too_many);
        plots[m * 2 + (hot ? 1 : 0)].points.emplace_back(clients, rate);
        auto figures = fmt::format("{:.0f} commits/s, {:.2f} retries per commit, {:.1f}% "
                                   "too_many_retries (medians of {} rounds of {} batches per "
                                   "client); {} other errors",
                                   rate, retries, too_many, rounds, per_client, out[m].other);
        rep.add({"T7", fmt::format("{} batch clients, {}, {}: lost updates", clients, keys,
                                   mode_name[m]),
                 "updates", static_cast<double>(out[m].lost), "none lost", 0,
                 static_cast<double>(out[m].lost), "lost updates (all rounds)", goal::at_most, 0,
                 figures});
        rep.add({"T7", fmt::format("{} batch clients, {}, {}: retries per commit", clients, keys,
                                   mode_name[m]),
                 "retries", retries, "no retry", 0, retries, "retries per commit",
                 (m == 0 && !hot) ? goal::at_most : goal::none, 0, figures});
      }
    }
  }
  for (auto& p : plots)
    rep.add(std::move(p));
}

} // namespace bench
