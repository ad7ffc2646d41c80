// Where a blocking watcher's deliveries arrive (internal): a companion
// (companion.hpp) that subscribes (so the store monitors it: the
// subscription ends with it) and hands every (changes_atom, changes) message
// to a queue the watching thread waits on, and marks the inbox gone when
// the store terminates.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include <caf/actor_system.hpp>

#include "blocking/companion.hpp"
#include "kvmem/messages.hpp"
#include "kvmem/result.hpp"

namespace kvmem::detail {

class watch_inbox {
public:
  /// `local`: the store is in this process (the watch's start and its
  /// deliveries then come with the store's root).
  /// `run_inline`: acknowledgements run an idle local store here (inline_unit.hpp).
  watch_inbox(caf::actor_system& sys, caf::strong_actor_ptr store, bool local, bool run_inline);
  ~watch_inbox(); // unsubscribes, then stops the companion
  watch_inbox(const watch_inbox&) = delete;
  watch_inbox& operator=(const watch_inbox&) = delete;

  /// Subscribes (once), waiting at most `timeout` for the reply (0: no limit).
  result<watch_started> subscribe(const watch_request& req, std::chrono::milliseconds timeout);

  /// Acknowledges the deliveries taken so far once they are half the
  /// window (cumulatively, one ack for all), then returns the next one, or
  /// nullopt at the deadline; unavailable once the store is gone (and
  /// nothing is left to deliver).
  result<std::optional<changes>> take(std::chrono::steady_clock::time_point deadline);

  /// `to` of the delivery taken last (the start version before any).
  version_t last_version() const noexcept { return last_; }

  /// Makes a waiting (or the next) take() return nullopt at once. Thread-safe.
  void interrupt() noexcept;

  /// The subscription's start (valid after subscribe).
  const watch_started& started() const noexcept { return started_; }
  /// The store's root at the start (a local store), until the first take().
  const std::optional<tree>& start_root() const noexcept { return start_root_; }
  /// The store's root at the `to` of the delivery taken last, if that
  /// delivery came with one (a local store; until the next take()).
  const std::optional<tree>& delivery_root() const noexcept { return delivery_root_; }

  struct shared; // what the companion's handler and the store's watch share

private:
  bool local_;
  std::shared_ptr<shared> s_;
  companion companion_;
  watch_started started_;
  std::optional<tree> start_root_;
  std::optional<tree> delivery_root_;
  bool subscribed_ = false;
  std::uint32_t window_ = 1; // the subscription's
  std::uint64_t taken_ = 0;  // seq of the delivery taken last
  std::uint64_t acked_ = 0;  // the highest seq acknowledged
  version_t last_ = 0;
};

} // namespace kvmem::detail
