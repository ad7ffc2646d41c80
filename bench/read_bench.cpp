// T2: reads through the blocking client cost no message: against a raw tree
// get, and scaling from 1 to 2 (and more) reader threads; std::map behind a
// std::shared_mutex as the lock-based baseline.
#include <shared_mutex>
#include <thread>

#include <fmt/format.h>

#include "data.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

// Runs `threads` threads, each calling op(thread, i) n times; returns the
// aggregate operations per second.
template <class Make>
double throughput(int threads, std::size_t n, Make make_worker) {
  std::vector<std::thread> ts;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> secs(threads);
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] {
      auto op = make_worker(t);
      ++ready;
      while (!go)
        std::this_thread::yield();
      auto t0 = clock_type::now();
      for (std::size_t i = 0; i < n; ++i)
        op(i);
      secs[t] = seconds_since(t0);
    });
  while (ready < threads)
    std::this_thread::yield();
  go = true;
  for (auto& t : ts)
    t.join();
  double wall = *std::max_element(secs.begin(), secs.end());
  return static_cast<double>(n) * threads / wall;
}

} // namespace

void run_reads(const options& o, report& rep) {
  rep.progress("T2 reads: blocking client vs raw tree get, 1..N threads");
  const auto& d = dataset::nested(o);
  const kvmem::tree& t = d.tree();
  store_env env;
  auto s = env.spawn(t);
  auto m = d.build_map();
  std::shared_mutex mtx;
  const std::size_t n = 300'000 * o.scale();
  const int rounds = 5;
  auto idx = [&](int thread, std::size_t i) { return d.order[(i * 7 + thread * 100'003) % d.order.size()]; };
  std::vector<double> raw, cli1, cli2, map1, map2;
  std::map<int, std::vector<double>> cli_n, map_n;
  std::atomic<std::size_t> sink{0};
  for (int r = 0; r < rounds; ++r) {
    raw.push_back(throughput(1, n, [&](int th) {
      return [&, th](std::size_t i) { sink += t.get(d.keys[idx(th, i)])->size(); };
    }));
    for (int threads : o.full ? std::vector<int>{1, 2, 3, 4} : std::vector<int>{1, 2}) {
      cli_n[threads].push_back(throughput(threads, n, [&](int th) {
        auto c = std::make_shared<kvmem::client>(env.sys, s);
        return [&, th, c](std::size_t i) { sink += c->get(d.keys[idx(th, i)])->size(); };
      }));
      map_n[threads].push_back(throughput(threads, n, [&](int th) {
        return [&, th](std::size_t i) {
          std::shared_lock g{mtx};
          sink += m.find(d.paths[idx(th, i)])->second.size();
        };
      }));
    }
  }
  auto tr = median(raw), c1 = median(cli_n[1]), c2 = median(cli_n[2]);
  auto m1 = median(map_n[1]), m2 = median(map_n[2]);
  rep.add({"T2", "read via blocking client vs raw tree get (1 thread)", "reads/s", c1,
           "tree get", tr, c1 / tr, "kvmem client throughput / tree throughput", goal::at_least,
           0.5, "the client checks the published version, then reads the tree: no message"});
  rep.add({"T2", "2 reader threads vs 1 (blocking clients)", "reads/s", c2, "kvmem 1 thread", c1,
           c2 / c1, "2-thread throughput / 1-thread throughput", goal::at_least, 1.6,
           fmt::format("std::map + shared_mutex: 1 thread {:.3g}/s, 2 threads {:.3g}/s ({:.2f}x)",
                       m1, m2, m2 / m1)});
  series ks{"readers", "kvmem blocking clients", {}}, ms{"readers", "std::map + shared_mutex", {}};
  for (auto& [th, v] : cli_n)
    ks.points.emplace_back(th, median(v));
  for (auto& [th, v] : map_n)
    ms.points.emplace_back(th, median(v));
  rep.add(std::move(ks));
  rep.add(std::move(ms));
}

} // namespace bench
