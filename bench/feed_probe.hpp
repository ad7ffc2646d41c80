// A subscriber actor for the change-feed benchmarks: it watches a prefix,
// acknowledges deliveries cumulatively (one ack per half window), and
// records (for the thread that drives the writes) the highest version
// delivered and when it arrived.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <kvmem/store.hpp>

#include "harness.hpp"

namespace bench {

class feed_probe {
public:
  /// Called by the subscriber actor.
  void started(kvmem::version_t v, bool ok);
  void delivered(kvmem::version_t to, std::size_t events);

  /// Waits until the subscription started; false if it failed or did not
  /// start within `timeout`.
  bool wait_started(std::chrono::milliseconds timeout);
  /// Waits until a delivery reached version `v`; returns when it arrived,
  /// or nullopt after `timeout`.
  std::optional<clock_type::time_point> wait_for(kvmem::version_t v,
                                                 std::chrono::milliseconds timeout);
  kvmem::version_t seen() const { return seen_.load(); }
  std::uint64_t deliveries() const { return deliveries_.load(); }
  std::uint64_t events() const { return events_.load(); }

private:
  std::mutex m_;
  std::condition_variable cv_;
  bool started_ = false, failed_ = false;
  std::atomic<kvmem::version_t> seen_{0};
  std::atomic<std::uint64_t> deliveries_{0}, events_{0};
  clock_type::time_point last_at_{};
};

/// Spawns an actor on `sys`'s scheduler that watches `prefix` on `store`
/// (window 16) and reports to `probe`. Ends (and with it the subscription)
/// when sent an exit message.
caf::actor spawn_subscriber(caf::actor_system& sys, const kvmem::store_actor& store,
                            kvmem::key prefix, std::shared_ptr<feed_probe> probe);

} // namespace bench
