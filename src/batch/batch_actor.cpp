// The batch actor of actor clients (run_batch in actor_client.hpp): an
// event-based actor, detached by default so that f may block, that drives
// the batch protocol (batch_runner) with asynchronous requests to the store.
//
// CAF 0.17.6 internals used here (revisit on a CAF upgrade): the requester's
// is_cleaned_up_flag (set before its down and exit messages go out), and a
// hand-made response mailbox element in answer_if_killed.
#include "kvmem/detail/batch_start.hpp"

#include <caf/actor_cast.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "batch/batch_runner.hpp"
#include "blocking/caller.hpp"
#include "blocking/message_reads.hpp"

namespace kvmem::detail {

namespace {

struct batch_state {
  std::optional<batch_runner> runner;
  caf::typed_response_promise<version_t> rp;
  caf::strong_actor_ptr requester;
  bool done = false;
  static inline const char* name = "kvmem.batch";
};

using self_ptr = batch_actor::stateful_pointer<batch_state>;

// True once the actor that asked for the batch has terminated: CAF sets the
// flag before it sends that actor's down and exit messages, so whoever saw
// it die before the commit sees the batch abandoned.
bool requester_gone(const caf::strong_actor_ptr& p) {
  return p && p->get()->getf(caf::abstract_actor::is_cleaned_up_flag);
}

void finish(self_ptr self, const result<version_t>& r) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  if (r)
    st.rp.deliver(*r);
  else
    st.rp.deliver(to_caf(r.error()));
  self->quit();
}

void drive(self_ptr self, batch_runner::step s);

void release_pin(self_ptr self) {
  auto& r = *self->state.runner;
  if (auto p = r.release_pin())
    self->send(r.target().actor(), unpin_atom::value, *p);
}

void on_commit_reply(self_ptr self, result<version_t> reply) {
  auto next = self->state.runner->committed(std::move(reply));
  release_pin(self);
  drive(self, next);
}

// Remote stores: pin a snapshot; f's reads are blocking messages (this actor
// has a thread of its own) through a caller. The pin is this actor's: only
// it may release it, after the commit is answered (or after f, without one).
void request_pin(self_ptr self) {
  auto& r = *self->state.runner;
  if (!r.target().options().detached_batches)
    return finish(self, error::make(errc::invalid_argument,
                                    "a remote store's batch needs a detached batch actor"));
  self->request(r.target().actor(), caf::infinite, pin_atom::value)
      .then(
          [=](snapshot& snap) {
            auto& r = *self->state.runner;
            auto p = snap.pinned;
            caller c{self->system(), caf::actor_cast<caf::strong_actor_ptr>(r.target().actor()), {}};
            message_reads pinned{c, p};
            auto next = r.pinned(std::move(snap), pinned);
            release_pin(self);
            drive(self, next);
          },
          [=](caf::error& e) { finish(self, from_caf(e)); });
}

void drive(self_ptr self, batch_runner::step s) {
  auto& r = *self->state.runner;
  switch (s) {
    case batch_runner::step::done: return finish(self, r.outcome());
    case batch_runner::step::pin: return request_pin(self);
    case batch_runner::step::commit:
      if (requester_gone(self->state.requester))
        return finish(self, error::make(errc::unavailable, "the client went away during the batch"));
      if (auto base = r.take_base_root())
        self->request(r.target().actor(), caf::infinite, commit_atom::value,
                      local_commit{r.take_commit(), std::move(*base), r.take_applied()})
            .then([=](version_t v) { on_commit_reply(self, v); },
                  [=](caf::error& e) { on_commit_reply(self, from_caf(e)); });
      else
        self->request(r.target().actor(), caf::infinite, commit_atom::value, r.take_commit())
            .then([=](version_t v) { on_commit_reply(self, v); },
                  [=](caf::error& e) { on_commit_reply(self, from_caf(e)); });
      return;
  }
}

batch_actor::behavior_type batch_impl(self_ptr self, store s, batch_body body, int retries) {
  self->state.runner.emplace(s, std::move(body), retries);
  // If the store goes away mid-batch (killed, remote link lost), fail now
  // instead of waiting forever for a commit reply.
  self->monitor(s.actor());
  self->set_down_handler([=](caf::down_msg&) {
    finish(self, error::make(errc::unavailable, "the store went down during the batch"));
  });
  self->set_exit_handler([=](caf::exit_msg& m) {
    finish(self, error::make(errc::unavailable, "the batch actor was stopped"));
    self->quit(m.reason);
  });
  return {
      [=](run_atom) -> caf::typed_response_promise<version_t> {
        auto& st = self->state;
        // Before make_response_promise, which takes the sender over.
        st.requester = self->current_sender();
        st.rp = self->make_response_promise<version_t>();
        drive(self, st.runner->start());
        return st.rp;
      },
  };
}

} // namespace

batch_actor spawn_batch(caf::actor_system& sys, const store& s,
                        std::function<void(batch_view&)> body, int retries) {
  if (s.options().detached_batches)
    return sys.spawn<caf::detached>(batch_impl, s, std::move(body), retries);
  return sys.spawn(batch_impl, s, std::move(body), retries);
}

void answer_if_killed(const batch_actor& b, caf::strong_actor_ptr requester, caf::message_id mid) {
  // The reply is dropped if the real one came first: its request id is then
  // already served.
  caf::actor_cast<caf::abstract_actor*>(b)->attach_functor(
      [requester = std::move(requester), mid](const caf::error&) {
        requester->enqueue(caf::make_mailbox_element(
                               nullptr, mid.response_id(), {},
                               to_caf(error::make(errc::unavailable, "the batch actor was killed"))),
                           nullptr);
      });
}

} // namespace kvmem::detail
