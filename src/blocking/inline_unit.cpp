#include "blocking/inline_unit.hpp"

#include <utility>

#include <caf/abstract_actor.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace kvmem::detail {

inline_unit::inline_unit(caf::actor_system& sys, caf::abstract_actor* target)
  : caf::execution_unit(&sys), target_(dynamic_cast<caf::resumable*>(target)) {}

void inline_unit::exec_later(caf::resumable* job) {
  // CAF handed us one reference to `job` (taken when it was woken).
  if (armed_ && job == target_ && woken_ == nullptr) {
    woken_ = job;
    return;
  }
  system().scheduler().enqueue(job);
}

void inline_unit::run_woken() {
  armed_ = false;
  auto* job = std::exchange(woken_, nullptr);
  if (job == nullptr)
    return;
  // As a CAF worker does (scheduler/worker.hpp): resume_later keeps the
  // reference for whoever runs it next; every other outcome releases it.
  if (job->resume(this, budget) == caf::resumable::resume_later)
    system().scheduler().enqueue(job);
  else
    intrusive_ptr_release(job);
}

} // namespace kvmem::detail
