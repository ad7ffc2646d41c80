// The batch actor of actor clients (run_batch in actor_client.hpp): an
// event-based actor, detached by default so that f may block, that takes a
// snapshot, runs f, commits asynchronously and retries on conflict.
#include "kvmem/detail/batch_actor.hpp"

#include <caf/attachable.hpp>
#include <caf/exit_reason.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "detail/batch_runner.hpp"
#include "detail/message_reads.hpp"
#include "kvmem/detail/published.hpp"

namespace kvmem {

namespace {

// Tells a batch that the actor which asked for it has terminated, so that it
// does not commit on behalf of a dead client. Attached to the requester for
// the batch's duration only.
class requester_watch : public caf::attachable {
public:
  static constexpr std::size_t token_type = 0x6b7662; // "kvb"
  explicit requester_watch(std::shared_ptr<std::atomic<bool>> gone) : gone_(std::move(gone)) {}
  void actor_exited(const caf::error&, caf::execution_unit*) override { gone_->store(true); }
  bool matches(const token& what) override {
    return what.subtype == token_type && what.ptr == this;
  }

private:
  std::shared_ptr<std::atomic<bool>> gone_;
};

struct batch_state {
  detail::batch_job job;
  std::uint32_t attempts = 0;
  caf::typed_response_promise<version_t> rp;
  bool done = false;
  caf::strong_actor_ptr requester;
  requester_watch* watch = nullptr;
  std::shared_ptr<std::atomic<bool>> requester_gone = std::make_shared<std::atomic<bool>>(false);
  static inline const char* name = "kvmem.batch";
};

using self_ptr = batch_actor::stateful_pointer<batch_state>;

void finish(self_ptr self, result<version_t> r) {
  auto& st = self->state;
  if (st.done)
    return;
  st.done = true;
  if (st.requester && st.watch)
    st.requester->get()->detach(caf::attachable::token{requester_watch::token_type, st.watch});
  if (r)
    st.rp.deliver(*r);
  else
    st.rp.deliver(to_caf(r.error()));
  self->quit();
}

void attempt(self_ptr self);

// Runs f once against `snap` and commits what it wrote. A remote store's
// snapshot is pinned: f's reads are blocking messages (this actor has a
// thread of its own) through a caller, and the pin is released after f.
void run_body(self_ptr self, snapshot snap) {
  auto& st = self->state;
  const batch_limits limits{st.job.target.options.max_batch_writes,
                            st.job.target.options.max_batch_bytes};
  detail::attempt_outcome out;
  if (snap.pinned.id == 0) {
    out = detail::run_body_once(std::move(snap), st.job.body, limits);
  } else {
    auto p = snap.pinned;
    detail::caller c{self->system(), caf::actor_cast<caf::strong_actor_ptr>(st.job.target.actor),
                     {}};
    detail::message_reads pinned{c, p};
    out = detail::run_body_once(std::move(snap), st.job.body, limits, &pinned);
    c.send(unpin_atom::value, p);
  }
  if (out.failed)
    return finish(self, *out.failed);
  if (out.ops.empty())
    return finish(self, out.base); // read-only: nothing to commit, nothing to conflict with
  if (st.requester_gone->load())
    return finish(self, error::make(errc::unavailable, "the client went away during the batch"));
  self->request(st.job.target.actor, caf::infinite, commit_atom::value,
                commit{out.base, std::move(out.ops)})
      .then([=](version_t v) { finish(self, v); },
            [=](caf::error& e) {
              auto err = from_caf(e);
              if (err.code == errc::conflict)
                attempt(self); // the store moved on: run f again on a fresh snapshot
              else
                finish(self, std::move(err));
            });
}

void attempt(self_ptr self) {
  auto& st = self->state;
  if (st.attempts++ == st.job.retries)
    return finish(self, error::too_many_retries(st.job.retries));
  if (st.job.target.local)
    return run_body(self, *st.job.target.local->load());
  if (!st.job.target.options.detached_batches)
    return finish(self, error::make(errc::invalid_argument,
                                    "a remote store's batch needs a detached batch actor"));
  self->request(st.job.target.actor, caf::infinite, pin_atom::value)
      .then([=](snapshot& s) { run_body(self, std::move(s)); },
            [=](caf::error& e) { finish(self, from_caf(e)); });
}

batch_actor::behavior_type batch_impl(self_ptr self, detail::batch_job job) {
  self->state.job = std::move(job);
  // If the store goes away mid-batch (killed, remote link lost), fail now
  // instead of waiting forever for a commit reply.
  self->monitor(self->state.job.target.actor);
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
        if (st.requester) {
          st.watch = new requester_watch(st.requester_gone);
          st.requester->get()->attach(caf::attachable_ptr{st.watch});
        }
        attempt(self);
        return self->state.rp;
      },
  };
}

} // namespace

namespace detail {
batch_actor spawn_batch(caf::actor_system& sys, batch_job job) {
  if (job.target.options.detached_batches)
    return sys.spawn<caf::detached>(batch_impl, std::move(job));
  return sys.spawn(batch_impl, std::move(job));
}
} // namespace detail

} // namespace kvmem
