// Caller runs (internal): a blocking caller's thread runs the store it woke.
//
// A store on CAF's scheduler that has nothing to do is "blocked": the next
// message to it makes the sender schedule it. From a thread that is not a
// CAF worker, CAF hands it to a worker, which may be asleep (50 µs naps, then
// a condition variable): a blocking call then waits for that worker, ~70 µs
// on this machine, where a call to a store on its own thread costs two
// wake-ups. An inline_unit passed as the context of the caller's own send
// instead receives the store CAF would schedule (exec_later), and the caller
// runs it right there (resume), on its own thread: the store handles the
// request, replies into the caller's reply slot, and the call returns with
// no thread switch at all. The store is still one actor run by one thread at
// a time: CAF's mailbox hands the woken actor to exactly one scheduler, here
// the caller, exactly as to a worker.
//
// Bounded: one run handles at most `budget` messages (other clients' too);
// a store with more to do goes to CAF's scheduler. Anything else the run
// wakes (an actor client the store replied to, a subscriber) goes to CAF's
// scheduler as from any other thread. When the store is busy (a worker runs
// it), nothing is woken and the caller waits for its reply as usual.
//
// CAF 0.17.6 internals: execution_unit::exec_later and resumable::resume
// (see README.md). One owner thread; not thread-safe.
#pragma once

#include <cstddef>

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>

namespace kvmem::detail {

class inline_unit final : public caf::execution_unit {
public:
  /// Messages one inline run handles at most before the store goes to
  /// CAF's scheduler (its other clients are served, not starved).
  static constexpr std::size_t budget = 16;

  /// A unit for sends to `target` (a local actor; null: never run inline).
  inline_unit(caf::actor_system& sys, caf::abstract_actor* target);

  /// CAF: an actor woken by a send in this unit's context. The target woken
  /// by the owner's own send is kept for run_woken(); anything else goes to
  /// the scheduler.
  void exec_later(caf::resumable* job) override;

  /// Arms the unit for one send of the owner's (see exec_later).
  void arm() noexcept { armed_ = true; }
  /// Whether the owner's send woke the target (it waits for run_woken()).
  bool woken() const noexcept { return woken_ != nullptr; }
  /// Disarms it and runs the target if the send woke it.
  void run_woken();

private:
  caf::resumable* target_;          // the target as CAF schedules it
  caf::resumable* woken_ = nullptr; // woken by the owner's send, one reference
  bool armed_ = false;
};

} // namespace kvmem::detail
