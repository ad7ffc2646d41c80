// T3: a blocking single write against the OS floor for any blocking round
// trip, a condition-variable ping-pong between two threads, measured in the
// same process, interleaved, on an idle machine and with the vCPUs kept busy.
// T5: a batch of 1000 sets against 1000 blocking sets.
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <condition_variable>
#include <thread>

#include <fmt/format.h>

#include "data.hpp"
#include "store_env.hpp"

namespace bench {

namespace {

// The baseline: one round trip = wake the server thread, wait to be woken.
class cv_pingpong {
public:
  cv_pingpong()
    : t_([this] {
        std::unique_lock g{m_};
        for (;;) {
          cv_.wait(g, [&] { return turn_ == 1 || stop_; });
          if (stop_)
            return;
          turn_ = 0;
          cv_.notify_one();
        }
      }) {}
  ~cv_pingpong() {
    {
      std::lock_guard g{m_};
      stop_ = true;
    }
    cv_.notify_one();
    t_.join();
  }
  void round_trip() {
    std::unique_lock g{m_};
    turn_ = 1;
    cv_.notify_one();
    cv_.wait(g, [&] { return turn_ == 0; });
  }

private:
  std::mutex m_;
  std::condition_variable cv_;
  int turn_ = 0;
  bool stop_ = false;
  std::thread t_;
};

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

void blocking_writes(const options& o, report& rep, store_env& env, const kvmem::store& s,
                     bool busy, bool random_keys) {
  const auto& d = dataset::nested(o);
  const char* cond = busy ? "busy" : "idle";
  rep.progress(fmt::format("T3 blocking write vs cv round trip, {} vCPUs, {}", cond,
                           random_keys ? "random keys over 10^6" : "1000 hot keys"));
  spinner spin{busy};
  cv_pingpong cv;
  kvmem::client c{env.sys, s};
  const std::size_t n = (busy ? 4000 : 1000) * o.scale();
  const int rounds = o.full ? 9 : 5;
  std::vector<double> cv_us, kv_us, cv_lat, kv_lat;
  for (int r = 0; r < rounds; ++r) {
    if (!busy)
      std::this_thread::sleep_for(std::chrono::milliseconds(100)); // let the vCPUs idle
    cv_us.push_back(block(n, cv_lat, [&](std::size_t) { cv.round_trip(); }));
    if (!busy)
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    kv_us.push_back(block(n, kv_lat, [&](std::size_t i) {
      auto k = random_keys ? d.order[(i + r * n) % d.order.size()] : (i * 7) % 1000;
      (void)c.set(d.keys[k], d.value_bytes);
    }));
  }
  auto cvm = median(cv_us), kvm = median(kv_us);
  rep.add({"T3",
           fmt::format("blocking set, {} vCPUs, {}", cond,
                       random_keys ? "random keys over 10^6" : "1000 hot keys of 10^6"),
           "us/op", kvm, "cv ping-pong", cvm, kvm / cvm, "kvmem time / cv round trip",
           random_keys ? goal::none : goal::at_most, 1.2,
           fmt::format("p50/p99 us: kvmem {:.1f}/{:.1f}, cv {:.1f}/{:.1f}", percentile(kv_lat, 0.5),
                       percentile(kv_lat, 0.99), percentile(cv_lat, 0.5),
                       percentile(cv_lat, 0.99))});
  if (!random_keys) {
    rep.add(cdf(fmt::format("kvmem blocking set ({})", cond), kv_lat));
    rep.add(cdf(fmt::format("cv ping-pong ({})", cond), cv_lat));
  }
}

void batch_vs_blocking(const options& o, report& rep, store_env& env, const kvmem::store& s) {
  rep.progress("T5 a batch of 1000 sets vs 1000 blocking sets");
  const auto& d = dataset::nested(o);
  kvmem::client c{env.sys, s};
  std::vector<double> single, batched;
  for (int r = 0; r < (o.full ? 9 : 5); ++r) {
    auto t0 = clock_type::now();
    for (std::size_t i = 0; i < 1000; ++i)
      (void)c.set(d.keys[1000 + i], d.value_bytes); // /d1/k0 .. /d1/k999
    single.push_back(seconds_since(t0) * 1e6);
    t0 = clock_type::now();
    auto ok = c.batch([&](kvmem::batch_view& v) {
      for (std::size_t i = 0; i < 1000; ++i)
        (void)v.set(d.keys[2000 + i], d.value_bytes); // /d2/k0 .. /d2/k999
    });
    batched.push_back(seconds_since(t0) * 1e6);
    if (!ok)
      fmt::print("batch failed: {}\n", ok.error());
  }
  auto sm = median(single), bm = median(batched);
  rep.add({"T5", "1000 sets: one batch vs 1000 blocking sets", "us", bm, "1000 blocking sets", sm,
           sm / bm, "blocking time / batch time", goal::at_least, 30,
           "the batch: its actor (a companion spawned for it), f buffering 1000 sets, one commit "
           "applying them to a copy of the root, publishing"});
}

} // namespace

void run_blocking(const options& o, report& rep) {
  store_env env;
  auto s = env.spawn(dataset::nested(o).tree());
  blocking_writes(o, rep, env, s, false, false);
  blocking_writes(o, rep, env, s, true, false);
  blocking_writes(o, rep, env, s, true, true);
}

void run_batches(const options& o, report& rep) {
  store_env env;
  auto s = env.spawn(dataset::nested(o).tree());
  batch_vs_blocking(o, rep, env, s);
}

} // namespace bench
