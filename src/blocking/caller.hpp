// A caller: how a thread that is not an actor makes blocking requests to a
// store (internal). Its companion (companion.hpp: a hidden actor without a
// thread or mailbox) hands replies straight to a reply_slot the thread waits
// on, and fails the pending and every later call when the store terminates,
// so no call waits forever and no request pays for a timeout. Blocking
// clients own one; each batch of a blocking client spawns one as its batch
// actor. Not thread-safe: one thread at a time.
#pragma once

#include <chrono>
#include <memory>
#include <optional>

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>

#include "blocking/companion.hpp"
#include "blocking/reply_slot.hpp"
#include "blocking/spin_advisor.hpp"
#include "kvmem/wire.hpp"
#include "kvmem/result.hpp"

namespace kvmem::detail {

struct caller_options {
  std::chrono::milliseconds timeout{0}; // per call; zero = none
  std::uint32_t spin_us = 50;           // see spin_advisor
  bool run_inline = false;              // see inline_unit (a local store)
};

class caller {
public:
  caller(caf::actor_system& sys, caf::strong_actor_ptr target, caller_options opts);
  /// A caller that starts from what `experienced` learned about spinning.
  caller(caf::actor_system& sys, caf::strong_actor_ptr target, caller_options opts,
         const caller& experienced)
    : caller(sys, std::move(target), opts) {
    spin_ = experienced.spin_;
  }
  caller(const caller&) = delete;
  caller& operator=(const caller&) = delete;

  /// Why a call cannot start (the target is known to be down), if it cannot.
  std::optional<error> blocked() const {
    if (slot_->down())
      return error::make(errc::unavailable, "the store actor is down");
    return std::nullopt;
  }

  /// Sends xs... to the target and waits for the reply: a T or an error.
  template <class T, class... Ts>
  result<T> call(Ts&&... xs) {
    if (auto e = blocked())
      return *e;
    auto mid = companion_.new_request_id();
    auto previous = slot_->expect(mid);
    auto t0 = std::chrono::steady_clock::now();
    companion_.send(mid, std::forward<Ts>(xs)...);
    previous.reset(); // while the store works
    bool ok = slot_->wait(spin_.next(), opts_.timeout);
    spin_.record(std::chrono::steady_clock::now() - t0);
    if (!ok)
      return error::make(errc::unavailable,
                         fmt::format("no reply within {} ms", opts_.timeout.count()));
    if (auto& f = slot_->failure())
      return from_caf(f);
    auto& msg = slot_->reply()->content();
    if (msg.match_elements<T>())
      return msg.move_if_unshared<T>(0);
    if (msg.match_elements<caf::error>()) {
      auto& e = msg.get_as<caf::error>(0);
      if (e == caf::sec::request_receiver_down)
        slot_->mark_down(); // the target is gone for good
      return from_caf(e);
    }
    return error::make(errc::unavailable, "unexpected reply from the store");
  }

  /// Sends xs... to the target without waiting for (or expecting) a reply.
  template <class... Ts>
  void send(Ts&&... xs) {
    companion_.send(caf::make_message_id(), std::forward<Ts>(xs)...);
  }

private:
  caller_options opts_;
  std::shared_ptr<reply_slot> slot_;
  spin_advisor spin_;
  companion companion_; // last: it stops before the slot goes
};

} // namespace kvmem::detail
