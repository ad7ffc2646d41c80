#include "blocking/companion.hpp"

#include <thread>

#include <caf/attachable.hpp>
#include <caf/exit_reason.hpp>

namespace kvmem::detail {

struct companion::callbacks {
  callbacks(deliver_fn d, gone_fn g) : deliver(std::move(d)), gone(std::move(g)) {}
  deliver_fn deliver;
  gone_fn gone;
  std::atomic<int> delivering{0}; // deliveries in progress (see ~companion)
};

namespace {

// Attached to the target: reports its termination while the companion lives.
class target_watch : public caf::attachable {
public:
  static constexpr std::size_t token_type = 0x6b766d656d; // "kvmem"
  explicit target_watch(std::weak_ptr<companion::callbacks> cb) : cb_(std::move(cb)) {}
  void actor_exited(const caf::error& why, caf::execution_unit*) override {
    if (auto cb = cb_.lock())
      cb->gone(why ? why : caf::make_error(caf::sec::request_receiver_down));
  }
  bool matches(const token& what) override { return what.subtype == token_type && what.ptr == this; }

private:
  std::weak_ptr<companion::callbacks> cb_;
};

} // namespace

companion::companion(caf::actor_system& sys, caf::strong_actor_ptr target, deliver_fn deliver,
                     gone_fn gone, bool run_inline)
  : target_(std::move(target)),
    unit_(run_inline ? std::make_unique<inline_unit>(sys, target_->get()) : nullptr),
    cb_(std::make_shared<callbacks>(std::move(deliver), std::move(gone))) {
  handle_ = sys.spawn<caf::actor_companion, caf::hidden>();
  self_ = caf::actor_cast<caf::actor_companion*>(handle_);
  self_->on_enqueue([w = std::weak_ptr<callbacks>(cb_)](caf::mailbox_element_ptr p) {
    if (auto cb = w.lock()) {
      cb->delivering.fetch_add(1, std::memory_order_acq_rel);
      cb->deliver(std::move(p));
      cb->delivering.fetch_sub(1, std::memory_order_acq_rel);
    }
  });
  watch_ = new target_watch(cb_);
  target_->get()->attach(caf::attachable_ptr{watch_});
}

companion::~companion() {
  target_->get()->detach(caf::attachable::token{target_watch::token_type, watch_});
  // Let a delivery in progress finish before taking the companion's lock
  // (see the header).
  for (int i = 0; cb_->delivering.load(std::memory_order_acquire) != 0 || i < 1; ++i)
    std::this_thread::yield();
  // actor_companion::disconnect() is declared but missing from Debian's
  // libcaf_core 0.17.6, so do what it does: drop the handler, terminate.
  self_->on_enqueue(nullptr);
  self_->cleanup(caf::make_error(caf::exit_reason::normal), nullptr);
}

} // namespace kvmem::detail
