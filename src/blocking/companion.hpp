// A hidden actor companion for a thread that is not an actor (internal): the
// one piece of CAF 0.17.6 internals that blocking callers (caller.hpp) and
// blocking watchers (watch_inbox.hpp) share.
//
// It sends to a target actor in its own name, hands every message it
// receives to `deliver` on the sender's thread (an actor_companion has no
// mailbox and no thread), and calls `gone` when the target terminates (an
// attachable on the target, so no request pays for a timeout and nothing
// waits forever). Destroying it stops both, and first waits for deliveries
// already in progress: the companion's enqueue holds a non-yielding
// spinlock while `deliver` runs, and tearing the companion down takes that
// lock exclusively; waiting first avoids spinning a whole time slice when
// the deliverer was preempted by the owner's own wake-up (~0.4 ms measured
// per blocking batch). After destruction neither callback runs again.
//
// With `run_inline`, the owner's sends run a local target that they wake
// (a store on CAF's scheduler with nothing else to do) on the owner's
// thread (inline_unit.hpp): its reply is then delivered before send returns.
//
// Not thread-safe: one owner thread (the callbacks run on other threads and
// must synchronise with it themselves).
#pragma once

#include <atomic>
#include <functional>
#include <memory>

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_companion.hpp>
#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>

#include "blocking/inline_unit.hpp"

namespace kvmem::detail {

class companion {
public:
  using deliver_fn = std::function<void(caf::mailbox_element_ptr)>;
  using gone_fn = std::function<void(const caf::error&)>;

  companion(caf::actor_system& sys, caf::strong_actor_ptr target, deliver_fn deliver, gone_fn gone,
            bool run_inline = false);
  ~companion();
  companion(const companion&) = delete;
  companion& operator=(const companion&) = delete;

  /// A new request id (for a reply to match), or use caf::make_message_id()
  /// for a message that wants none.
  caf::message_id new_request_id() {
    return self_->new_request_id(caf::message_priority::normal);
  }

  /// Sends xs... to the target as this companion, with id `mid`; with
  /// run_inline, runs the target here if this send woke it.
  template <class... Ts>
  void send(caf::message_id mid, Ts&&... xs) {
    auto m = caf::make_mailbox_element(caf::actor_cast<caf::strong_actor_ptr>(handle_), mid, {},
                                       std::forward<Ts>(xs)...);
    if (!unit_) {
      target_->enqueue(std::move(m), nullptr);
      return;
    }
    unit_->arm();
    target_->enqueue(std::move(m), unit_.get());
    unit_->run_woken();
  }

  /// The companion as an actor handle (to name it as an owner, say).
  const caf::actor& handle() const noexcept { return handle_; }

  struct callbacks; // shared with the companion's handler and the target's watch

private:
  caf::strong_actor_ptr target_;
  std::unique_ptr<inline_unit> unit_; // with run_inline
  std::shared_ptr<callbacks> cb_;
  caf::actor handle_;
  caf::actor_companion* self_ = nullptr;
  caf::attachable* watch_ = nullptr;
};

} // namespace kvmem::detail
