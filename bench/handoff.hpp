// T3's baselines: a client thread hands a request to a server thread and
// blocks until the server answers, which is what a blocking write to a store
// owned by one thread costs at the least. Three ways to build it, from the
// textbook one to kvmem's own technique; the verdict is taken against the
// fastest of them in each run (docs/benchmarks.md, "T3").
//
// Each hand-off runs `work(arg)` on the server thread for every request
// (nothing, or a std::map write for the random-keys row). One client thread
// at a time; the server thread lives as long as the object.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace bench {

class handoff {
public:
  using work_fn = std::function<void(std::size_t)>;
  virtual ~handoff() = default;
  /// Sends `arg` to the server thread and waits until its work is done.
  virtual void round_trip(std::size_t arg) = 0;
};

/// The textbook version: one mutex, one condition variable for both
/// directions, notify while holding the lock, never spin.
std::unique_ptr<handoff> make_cv_naive(handoff::work_fn work);

/// The careful condition-variable version: one condition variable per
/// direction (no wake-up of the wrong side) and notify after unlocking (the
/// woken thread does not block on the mutex the notifier still holds).
std::unique_ptr<handoff> make_cv_split(handoff::work_fn work);

/// kvmem's own technique, with kvmem's default budgets: the waiting client
/// spins (pause, then sched_yield) for up to `spin_us` before sleeping on a
/// condition variable; the server, after answering, polls for the next
/// request with sched_yield for up to `linger_us` before sleeping; the side
/// that posts notifies only if the other one sleeps. Both back off
/// exponentially when a yield lost the CPU (a wait overran its budget 8x),
/// as kvmem's spin_advisor and store linger do.
std::unique_ptr<handoff> make_spin_sleep(handoff::work_fn work, std::uint32_t spin_us,
                                         std::uint32_t linger_us);

/// One hand-off variant: its name in the table and how to build it.
struct handoff_kind {
  std::string name;
  std::string short_name; // for "<short name> + std::map"
  std::function<std::unique_ptr<handoff>(handoff::work_fn)> make;
};

/// The three variants above, in that order, with kvmem's default budgets.
std::vector<handoff_kind> handoff_kinds();

} // namespace bench
