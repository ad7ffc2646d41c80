// Helpers for using a store from actor code.
//
// Single operations need no helper: send the typed messages of store_actor
// (store.hpp) with request(...).then(on_value, on_error) and turn a
// caf::error into a kvmem::error with kvmem::from_caf. What CAF makes clumsy:
// - running a batch (a batch actor per batch, f's result of any type):
//   run_batch below;
// - streaming many writes without letting requests pile up: CAF 0.17 looks
//   pending response handlers up linearly, so thousands of outstanding
//   requests cost quadratic time; write_window keeps at most N in flight.
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include "kvmem/batch.hpp"
#include "kvmem/detail/batch_start.hpp"
#include "kvmem/store.hpp"

namespace kvmem {

/// Runs f(batch_view&) as a batch against `s` (see batch.hpp) in a new batch
/// actor, and calls done(result<R>) in `self`'s context when it ends, R
/// being f's return type (result<void> for void). `self` keeps handling
/// other messages meanwhile. If the batch actor is killed, done receives
/// errc::unavailable: the callback always runs exactly once, unless `self`
/// terminates first (then the batch does not commit). retries < 1 gives
/// errc::invalid_argument.
template <class Self, class F, class Done>
void run_batch(Self* self, const store& s, F f, Done done, int retries = default_retries) {
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
  auto b = detail::spawn_batch(self->system(), s, std::move(body), retries);
  auto h = self->request(b, caf::infinite, detail::run_atom::value);
  detail::answer_if_killed(b, caf::actor_cast<caf::strong_actor_ptr>(self), h.id());
  std::move(h).then(
      [done, out](version_t) mutable {
        if constexpr (std::is_void_v<R>)
          done(result<void>{});
        else
          done(result<R>{std::move(**out)});
      },
      [done](caf::error& e) mutable { done(result<R>{from_caf(e)}); });
}

/// Streams writes from actor `self` to a store with at most `window`
/// requests in flight; further writes wait in a local queue and are sent as
/// replies come back. Each write's callback runs in self's context with the
/// store's version after it, or the error. Copies share one window. Writes
/// are sent in submission order; with window 1 they are applied in order too.
template <class Self>
class write_window {
public:
  using callback = std::function<void(result<version_t>)>;

  write_window(Self* self, store_actor target, std::size_t window)
    : st_(std::make_shared<state>(self, std::move(target), window < 1 ? 1 : window)) {}

  void set(key k, bytes v, callback done = {}) {
    push(write_op::set(std::move(k), std::move(v)), std::move(done));
  }
  void remove(key k, callback done = {}) { push(write_op::remove(std::move(k)), std::move(done)); }
  /// Any write (set_partial, rename, allocate too).
  void push(write_op w, callback done = {}) {
    st_->queue.emplace_back(std::move(w), std::move(done));
    pump(st_);
  }

  std::size_t in_flight() const noexcept { return st_->in_flight; }
  std::size_t queued() const noexcept { return st_->queue.size(); }

private:
  struct state {
    state(Self* s, store_actor t, std::size_t w) : self(s), target(std::move(t)), window(w) {}
    Self* self;
    store_actor target;
    std::size_t window;
    std::size_t in_flight = 0;
    std::deque<std::pair<write_op, callback>> queue;
  };

  static void pump(const std::shared_ptr<state>& st) {
    while (st->in_flight < st->window && !st->queue.empty()) {
      write_op w = std::move(st->queue.front().first);
      callback done = std::move(st->queue.front().second);
      st->queue.pop_front();
      ++st->in_flight;
      auto finish = [st, done](result<version_t> r) {
        --st->in_flight;
        if (done)
          done(std::move(r));
        pump(st);
      };
      st->self->request(st->target, caf::infinite, write_atom::value, std::move(w))
          .then([finish](version_t v) { finish(v); },
                [finish](caf::error& e) { finish(from_caf(e)); });
    }
  }

  std::shared_ptr<state> st_;
};

} // namespace kvmem
