#include "blocking/caller.hpp"

#include <thread>

namespace kvmem::detail {

caller::caller(caf::actor_system& sys, caf::strong_actor_ptr target, caller_options opts)
  : opts_(opts), target_(std::move(target)), slot_(std::make_shared<reply_slot>()),
    spin_(std::chrono::microseconds(opts.spin_us)) {
  companion_ = sys.spawn<caf::actor_companion, caf::hidden>();
  self_ = caf::actor_cast<caf::actor_companion*>(companion_);
  self_->on_enqueue([w = std::weak_ptr<reply_slot>(slot_),
                      busy = delivering_](caf::mailbox_element_ptr p) {
    busy->fetch_add(1, std::memory_order_acq_rel);
    if (auto s = w.lock())
      s->deliver(std::move(p));
    busy->fetch_sub(1, std::memory_order_acq_rel);
  });
  watch_ = new slot_watch(slot_);
  target_->get()->attach(caf::attachable_ptr{watch_});
}

caller::~caller() {
  target_->get()->detach(caf::attachable::token{slot_watch::token_type, watch_});
  // The sender of our last reply may still be inside the companion's
  // enqueue, holding its spinlock in shared mode; taking it exclusively now
  // would spin without yielding, for a whole time slice if that thread was
  // preempted by our own wake-up (measured: ~0.4 ms per batch). So first let
  // that thread finish the delivery.
  for (int i = 0; delivering_->load(std::memory_order_acquire) != 0 || i < 1; ++i)
    std::this_thread::yield();
  // actor_companion::disconnect() is declared but missing from Debian's
  // libcaf_core 0.17.6, so do what it does: drop the handler, terminate.
  self_->on_enqueue(nullptr);
  self_->cleanup(caf::make_error(caf::exit_reason::normal), nullptr);
}

} // namespace kvmem::detail
