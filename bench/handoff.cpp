#include "handoff.hpp"

#include <kvmem/client.hpp>
#include <kvmem/store.hpp>

namespace bench {

namespace {

using std::chrono::microseconds;
using std::chrono::steady_clock;

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

class cv_naive final : public handoff {
public:
  explicit cv_naive(work_fn work)
    : work_(std::move(work)), t_([this] {
        std::unique_lock g{m_};
        for (;;) {
          cv_.wait(g, [&] { return turn_ == 1 || stop_; });
          if (stop_)
            return;
          work_(arg_);
          turn_ = 0;
          cv_.notify_one();
        }
      }) {}
  ~cv_naive() override {
    {
      std::lock_guard g{m_};
      stop_ = true;
    }
    cv_.notify_all();
    t_.join();
  }
  void round_trip(std::size_t arg) override {
    std::unique_lock g{m_};
    arg_ = arg;
    turn_ = 1;
    cv_.notify_one();
    cv_.wait(g, [&] { return turn_ == 0; });
  }

private:
  work_fn work_;
  std::mutex m_;
  std::condition_variable cv_;
  std::size_t arg_ = 0;
  int turn_ = 0;
  bool stop_ = false;
  std::thread t_;
};

class cv_split final : public handoff {
public:
  explicit cv_split(work_fn work)
    : work_(std::move(work)), t_([this] {
        std::unique_lock g{m_};
        for (;;) {
          to_server_.wait(g, [&] { return pending_ || stop_; });
          if (stop_)
            return;
          pending_ = false;
          auto arg = arg_;
          g.unlock();
          work_(arg);
          g.lock();
          done_ = true;
          g.unlock();
          to_client_.notify_one();
          g.lock();
        }
      }) {}
  ~cv_split() override {
    {
      std::lock_guard g{m_};
      stop_ = true;
    }
    to_server_.notify_one();
    t_.join();
  }
  void round_trip(std::size_t arg) override {
    {
      std::lock_guard g{m_};
      arg_ = arg;
      pending_ = true;
    }
    to_server_.notify_one();
    std::unique_lock g{m_};
    to_client_.wait(g, [&] { return done_; });
    done_ = false;
  }

private:
  work_fn work_;
  std::mutex m_;
  std::condition_variable to_server_, to_client_;
  std::size_t arg_ = 0;
  bool pending_ = false, done_ = false, stop_ = false;
  std::thread t_;
};

// One direction of the spin-then-sleep hand-off: a sequence number the
// poster raises, and a condition variable used only when the waiter sleeps.
// The poster stores the sequence and then reads `sleeping_`; the waiter sets
// `sleeping_` (holding the mutex) and then reads the sequence; with
// sequentially consistent atomics one of them sees the other's store, so a
// wake-up is never lost and an awake waiter costs the poster no system call.
class signal_line {
public:
  void post(std::uint64_t seq) {
    seq_.store(seq);
    if (sleeping_.load()) {
      std::lock_guard g{m_};
      cv_.notify_one();
    }
  }

  // Waits until the sequence reaches `seq`: polls for `budget` first
  // (pause + yield when `pause`, yield only otherwise), then sleeps. Returns
  // whether the poll overran its budget 8x, the sign that a yield lost the
  // CPU to another thread.
  bool wait(std::uint64_t seq, microseconds budget, bool pause) {
    bool overran = false;
    if (budget.count() > 0) {
      auto start = steady_clock::now();
      auto until = start + budget;
      for (;;) {
        for (int i = 0; pause && i < 16; ++i) {
          if (seq_.load(std::memory_order_acquire) >= seq)
            return false;
          cpu_relax();
        }
        if (seq_.load(std::memory_order_acquire) >= seq)
          return false;
        std::this_thread::yield();
        auto now = steady_clock::now();
        if (now >= until) {
          overran = now - start > 8 * budget;
          break;
        }
      }
    }
    std::unique_lock g{m_};
    sleeping_.store(true);
    while (seq_.load() < seq)
      cv_.wait(g);
    sleeping_.store(false);
    return overran;
  }

private:
  std::atomic<std::uint64_t> seq_{0};
  std::atomic<bool> sleeping_{false};
  std::mutex m_;
  std::condition_variable cv_;
};

// Skips polling for exponentially more waits after a poll overran its
// budget (kvmem's store linger and client spin_advisor do the same).
class backoff {
public:
  explicit backoff(std::uint32_t budget_us) : budget_(budget_us) {}
  microseconds next() {
    if (hold_ > 0) {
      --hold_;
      return microseconds{0};
    }
    return budget_;
  }
  void record(bool overran) {
    if (overran) {
      hold_ = factor_;
      factor_ = std::min<std::uint32_t>(factor_ * 2, 4096);
    } else {
      factor_ = 1;
    }
  }

private:
  microseconds budget_;
  std::uint32_t hold_ = 0, factor_ = 1;
};

class spin_sleep final : public handoff {
public:
  spin_sleep(work_fn work, std::uint32_t spin_us, std::uint32_t linger_us)
    : work_(std::move(work)), client_spin_(spin_us), server_linger_(linger_us),
      t_([this] {
        backoff& linger = server_linger_;
        for (std::uint64_t seq = 1;; ++seq) {
          // The linger: right after answering, poll (yield only) for the
          // next request; the first wait has nothing to linger after.
          bool overran = to_server_.wait(seq, seq == 1 ? microseconds{0} : linger.next(), false);
          linger.record(overran);
          if (stop_.load())
            return;
          work_(arg_);
          to_client_.post(seq);
        }
      }) {}
  ~spin_sleep() override {
    stop_.store(true);
    to_server_.post(++seq_);
    t_.join();
  }
  void round_trip(std::size_t arg) override {
    arg_ = arg; // published by post()'s store, read after the server's load
    to_server_.post(++seq_);
    client_spin_.record(to_client_.wait(seq_, client_spin_.next(), true));
  }

private:
  work_fn work_;
  signal_line to_server_, to_client_;
  backoff client_spin_, server_linger_;
  std::uint64_t seq_ = 0; // the client's
  std::size_t arg_ = 0;
  std::atomic<bool> stop_{false};
  std::thread t_;
};

} // namespace

std::unique_ptr<handoff> make_cv_naive(handoff::work_fn work) {
  return std::make_unique<cv_naive>(std::move(work));
}

std::unique_ptr<handoff> make_cv_split(handoff::work_fn work) {
  return std::make_unique<cv_split>(std::move(work));
}

std::unique_ptr<handoff> make_spin_sleep(handoff::work_fn work, std::uint32_t spin_us,
                                         std::uint32_t linger_us) {
  return std::make_unique<spin_sleep>(std::move(work), spin_us, linger_us);
}

std::vector<handoff_kind> handoff_kinds() {
  auto spin = kvmem::client_options{}.spin_us;
  auto linger = kvmem::store_options{}.linger_us;
  return {{"cv, notify under lock", "cv naive", make_cv_naive},
          {"cv/direction, unlocked", "cv split", make_cv_split},
          {"spin+sleep hand-off", "spin+sleep", [spin, linger](handoff::work_fn w) {
             return make_spin_sleep(std::move(w), spin, linger);
           }}};
}

} // namespace bench
