// Where a blocking client waits for its one outstanding reply (internal).
//
// The caller's companion (companion.hpp) hands every message it receives to
// deliver(), on the sender's thread, and calls fail() when the target (the
// store, or a remote store's proxy) terminates, so a target that dies while
// holding the request does not leave the caller waiting forever; the
// calling thread waits in wait().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <caf/error.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>

#include "core/cpu_relax.hpp"

namespace kvmem::detail {

class reply_slot {
public:
  /// Prepares for the reply to request `mid`. Returns the previous reply, for
  /// the caller to drop once the request is on its way (off the round trip).
  [[nodiscard]] caf::mailbox_element_ptr expect(caf::message_id mid) {
    std::lock_guard g{m_};
    expected_ = mid.response_id();
    failure_ = caf::error{};
    ready_.store(false, std::memory_order_relaxed);
    return std::move(reply_);
  }

  /// Companion side: accepts the reply if it is the one awaited.
  void deliver(caf::mailbox_element_ptr p) {
    std::lock_guard g{m_};
    if (ready_.load(std::memory_order_relaxed) || p->mid != expected_)
      return; // a stale reply (after a timeout) or not a reply at all
    reply_ = std::move(p);
    signal();
  }

  /// Watch side: the target is gone; the pending request (if any) and every
  /// later one will get no reply.
  void fail(caf::error why) {
    std::lock_guard g{m_};
    down_.store(true, std::memory_order_release);
    if (ready_.load(std::memory_order_relaxed))
      return;
    failure_ = std::move(why);
    signal();
  }

  bool down() const noexcept { return down_.load(std::memory_order_acquire); }
  void mark_down() noexcept { down_.store(true, std::memory_order_release); }

  /// Waits for the reply: spins for `spin`, then sleeps. Returns false on
  /// timeout (zero = none). Afterwards, exactly one of reply()/failure() is set.
  bool wait(std::chrono::microseconds spin, std::chrono::milliseconds timeout) {
    auto start = std::chrono::steady_clock::now();
    if (spin.count() > 0) {
      auto until = start + spin;
      do {
        for (int i = 0; i < 16; ++i) {
          if (ready_.load(std::memory_order_acquire))
            return true;
          // Yield the pipeline to a sibling hyperthread (often the store's).
          cpu_relax();
        }
        // If the store's thread was woken onto this CPU, let it run now.
        std::this_thread::yield();
      } while (std::chrono::steady_clock::now() < until);
    }
    std::unique_lock g{m_};
    sleeping_ = true;
    auto pred = [this] { return ready_.load(std::memory_order_relaxed); };
    bool ok = true;
    if (timeout.count() > 0)
      ok = cv_.wait_until(g, start + timeout, pred);
    else
      cv_.wait(g, pred);
    sleeping_ = false;
    return ok;
  }

  caf::mailbox_element_ptr& reply() noexcept { return reply_; }
  caf::error& failure() noexcept { return failure_; }

private:
  void signal() {
    ready_.store(true, std::memory_order_release);
    if (sleeping_)
      cv_.notify_one();
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> down_{false};
  bool sleeping_ = false;
  caf::message_id expected_;
  caf::mailbox_element_ptr reply_;
  caf::error failure_;
};

} // namespace kvmem::detail
