#include "blocking/caller.hpp"

namespace kvmem::detail {

caller::caller(caf::actor_system& sys, caf::strong_actor_ptr target, caller_options opts)
  : opts_(opts), slot_(std::make_shared<reply_slot>()),
    spin_(std::chrono::microseconds(opts.spin_us)),
    companion_(
        sys, std::move(target),
        [w = std::weak_ptr<reply_slot>(slot_)](caf::mailbox_element_ptr p) {
          if (auto s = w.lock())
            s->deliver(std::move(p));
        },
        [w = std::weak_ptr<reply_slot>(slot_)](const caf::error& why) {
          if (auto s = w.lock())
            s->fail(why);
        },
        opts.run_inline) {}

} // namespace kvmem::detail
