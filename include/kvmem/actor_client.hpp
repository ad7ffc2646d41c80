// Helpers for using a store from actor code.
//
// Single operations need no helper: send the typed messages of store_actor
// (store.hpp) with request(...).then(on_value, on_error) and turn a
// caf::error into a kvmem::error with kvmem::from_caf. What CAF makes clumsy
// is running a batch (a batch actor per batch, f's result of any type) —
// run_batch below does that.
#pragma once

#include <memory>
#include <optional>
#include <type_traits>

#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>

#include "kvmem/batch.hpp"
#include "kvmem/detail/batch_actor.hpp"
#include "kvmem/store.hpp"

namespace kvmem {

/// Runs f(batch_view&) as a batch against `s` (see batch.hpp) in a new batch
/// actor, and calls done(result<R>) in `self`'s context when it ends, R
/// being f's return type (result<void> for void). `self` keeps handling
/// other messages meanwhile. If the batch actor is killed, done receives
/// errc::unavailable: the callback always runs exactly once.
template <class Self, class F, class Done>
void run_batch(Self* self, const store& s, F f, Done done, std::uint32_t retries = default_retries) {
  using R = std::invoke_result_t<F&, batch_view&>;
  using out_t = std::conditional_t<std::is_void_v<R>, bool, std::optional<R>>;
  if (retries < 1) {
    done(result<R>{error::make(errc::invalid_argument, "retries must be at least 1")});
    return;
  }
  auto out = std::make_shared<out_t>();
  std::function<void(batch_view&)> body = [f = std::move(f), out](batch_view& v) mutable {
    if constexpr (std::is_void_v<R>)
      f(v);
    else
      out->emplace(f(v));
  };
  auto b = detail::spawn_batch(self->system(), {s, std::move(body), retries});
  auto h = self->request(b, caf::infinite, run_atom::value);
  // A killed batch actor never answers: answer for it (the reply is dropped
  // if the real one came first, as its request id is then already served).
  caf::actor_cast<caf::abstract_actor*>(b)->attach_functor(
      [requester = caf::actor_cast<caf::strong_actor_ptr>(self), mid = h.id()](const caf::error&) {
        requester->enqueue(caf::make_mailbox_element(
                               nullptr, mid.response_id(), {},
                               to_caf(error::make(errc::unavailable, "the batch actor was killed"))),
                           nullptr);
      });
  std::move(h).then(
      [done, out](version_t) mutable {
        if constexpr (std::is_void_v<R>)
          done(result<void>{});
        else
          done(result<R>{std::move(**out)});
      },
      [done](caf::error& e) mutable { done(result<R>{from_caf(e)}); });
}

} // namespace kvmem
