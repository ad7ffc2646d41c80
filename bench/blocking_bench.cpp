// T3: a blocking single write against the fastest of three ways to hand a
// request to another thread and wait for the answer (handoff.hpp), measured
// in the same process, in interleaved blocks, with idle and with busy
// vCPUs; on 1000 hot keys (pure hand-off as the baseline) and on random keys
// over 10^6 (hand-off + the server thread writing the same key of a
// std::map of 10^6 full paths).
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <thread>

#include <fmt/format.h>

#include "data.hpp"
#include "handoff.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

// Keeps the vCPUs awake with a lowest-priority busy loop (the "busy" case).
class spinner {
public:
  explicit spinner(bool on) {
    if (on)
      t_ = std::thread([this] {
        setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
        while (!stop_.load(std::memory_order_relaxed))
          ;
      });
  }
  ~spinner() {
    stop_ = true;
    if (t_.joinable())
      t_.join();
  }

private:
  std::atomic<bool> stop_{false};
  std::thread t_;
};

// Mean microseconds per op of a block of n ops; per-op latencies appended.
template <class F>
double block(std::size_t n, std::vector<double>& lat, F&& op) {
  auto t0 = clock_type::now();
  auto prev = t0;
  for (std::size_t i = 0; i < n; ++i) {
    op(i);
    auto now = clock_type::now();
    lat.push_back(std::chrono::duration<double, std::micro>(now - prev).count());
    prev = now;
  }
  return seconds_since(t0) * 1e6 / static_cast<double>(n);
}

series cdf(std::string name, std::vector<double> lat) {
  std::sort(lat.begin(), lat.end());
  series s{"latency", std::move(name), {}};
  for (int i = 1; i <= 100; ++i) {
    auto k = std::min(lat.size() - 1, lat.size() * i / 100);
    s.points.emplace_back(lat[k], i / 100.0);
  }
  return s;
}

struct timings {
  std::vector<double> block_us, lat;
};

void blocking_writes(const options& o, report& rep, store_env& env, const kvmem::store& s,
                     std::map<std::string, std::string>* map, bool busy) {
  const auto& d = dataset::nested(o);
  const bool random_keys = map != nullptr;
  const char* cond = busy ? "busy" : "idle";
  const char* keys = random_keys ? "random keys of 10^6" : "1000 hot keys of 10^6";
  rep.progress(fmt::format("T3 blocking write vs hand-offs, {} vCPUs, {}", cond, keys));
  spinner spin{busy};
  auto kinds = handoff_kinds();
  handoff::work_fn work = [](std::size_t) {};
  if (random_keys)
    work = [map, &d](std::size_t k) { (*map)[d.paths[k]] = d.value; };
  std::vector<std::unique_ptr<handoff>> hs;
  for (auto& k : kinds)
    hs.push_back(k.make(work));
  kvmem::client c{env.sys, s};
  const std::size_t n = (busy ? 4000 : 1000) * o.scale();
  const int rounds = o.full ? 9 : 5;
  std::vector<timings> t(hs.size() + 1); // the hand-offs, then kvmem
  for (int r = 0; r < rounds; ++r) {
    auto key_at = [&](std::size_t i) {
      return random_keys ? d.order[(i + r * n) % d.order.size()] : (i * 7) % 1000;
    };
    // Rotate the order of the blocks from round to round.
    for (std::size_t j = 0; j < t.size(); ++j) {
      auto which = (j + static_cast<std::size_t>(r)) % t.size();
      if (!busy)
        std::this_thread::sleep_for(std::chrono::milliseconds(100)); // let the vCPUs idle
      auto& tm = t[which];
      if (which < hs.size())
        tm.block_us.push_back(block(n, tm.lat, [&](std::size_t i) { hs[which]->round_trip(key_at(i)); }));
      else
        tm.block_us.push_back(block(n, tm.lat, [&](std::size_t i) {
          (void)c.set(d.keys[key_at(i)], d.value_bytes);
        }));
    }
  }
  hs.clear();
  auto name = [&](std::size_t i) {
    return random_keys ? kinds[i].short_name + " + std::map" : kinds[i].name;
  };
  std::size_t best = 0;
  for (std::size_t i = 1; i < kinds.size(); ++i)
    if (median(t[i].block_us) < median(t[best].block_us))
      best = i;
  auto& kv = t.back();
  auto kvm = median(kv.block_us);
  auto p = [](const timings& x) {
    return fmt::format("{:.1f}/{:.1f}", percentile(x.lat, 0.5), percentile(x.lat, 0.99));
  };
  auto scenario = fmt::format("blocking set, {} vCPUs, {}", cond, keys);
  auto what = random_keys ? "hand-off + std::map write of the same key on the server thread"
                          : "pure hand-off, no work";
  rep.add({"T3", scenario, "us/op", kvm, name(best), median(t[best].block_us),
           kvm / median(t[best].block_us), "kvmem time / fastest hand-off time", goal::at_most, 1.2,
           fmt::format("baseline: the fastest of 3 hand-offs ({}); p50/p99 us: kvmem {}, {} {}",
                       what, p(kv), name(best), p(t[best]))});
  for (std::size_t i = 0; i < kinds.size(); ++i) {
    if (i == best)
      continue;
    auto b = median(t[i].block_us);
    rep.add({"T3", fmt::format("{} (other baseline)", scenario), "us/op", kvm, name(i), b, kvm / b,
             "kvmem time / this hand-off's time", goal::none, 0,
             fmt::format("p50/p99 us: {}", p(t[i]))});
  }
  if (!random_keys) {
    rep.add(cdf(fmt::format("kvmem blocking set ({})", cond), kv.lat));
    for (std::size_t i = 0; i < kinds.size(); ++i)
      rep.add(cdf(fmt::format("{} ({})", kinds[i].name, cond), t[i].lat));
  }
}

} // namespace

void run_blocking(const options& o, report& rep) {
  store_env env;
  const auto& d = dataset::nested(o);
  auto s = env.spawn(d.tree());
  blocking_writes(o, rep, env, s, nullptr, false);
  blocking_writes(o, rep, env, s, nullptr, true);
  rep.progress("T3 building the std::map of 10^6 full paths (random-keys baseline)");
  auto m = d.build_map();
  blocking_writes(o, rep, env, s, &m, false);
  blocking_writes(o, rep, env, s, &m, true);
}

} // namespace bench
