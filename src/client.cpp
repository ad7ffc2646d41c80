// The blocking client: local reads from the published root; writes and
// batches as messages, sent from a hidden actor companion whose replies are
// handed straight to the waiting thread (no blocking actor, no mailbox scan).
#include "kvmem/client.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_companion.hpp>

#include "detail/reply_slot.hpp"
#include "detail/spin_advisor.hpp"
#include "kvmem/detail/batch_actor.hpp"
#include "kvmem/detail/published.hpp"

namespace kvmem {

using detail::reply_slot;
using detail::slot_watch;

struct client::impl {
  impl(caf::actor_system& sys, store s, client_options opts)
    : sys(sys), target(std::move(s)), opts(opts), slot(std::make_shared<reply_slot>()) {
    companion = sys.spawn<caf::actor_companion, caf::hidden>();
    self = caf::actor_cast<caf::actor_companion*>(companion);
    self->on_enqueue([w = std::weak_ptr<reply_slot>(slot)](caf::mailbox_element_ptr p) {
      if (auto s = w.lock())
        s->deliver(std::move(p));
    });
    // Learn about the store's termination without a per-request timeout.
    auto* watch = new slot_watch(slot, caf::message_id{}, true);
    store_watch = watch;
    caf::actor_cast<caf::abstract_actor*>(target.actor)->attach(caf::attachable_ptr{watch});
  }

  ~impl() { release(); }

  void release() noexcept {
    if (!companion)
      return;
    if (auto* a = caf::actor_cast<caf::abstract_actor*>(target.actor))
      a->detach(caf::attachable::token{slot_watch::token_type, store_watch});
    // actor_companion::disconnect() is declared but missing from Debian's
    // libcaf_core 0.17.6, so do what it does: drop the handler, terminate.
    self->on_enqueue(nullptr);
    self->cleanup(caf::make_error(caf::exit_reason::normal), nullptr);
    companion = nullptr;
    self = nullptr;
    target.actor = nullptr;
    target.local.reset();
    cache.clear();
  }

  /// Why a call cannot start, if it cannot.
  std::optional<error> blocked() const {
    if (!companion)
      return error::make(errc::disconnected, "the client was disconnected");
    if (slot->down())
      return error::make(errc::unavailable, "the store actor is down");
    return std::nullopt;
  }

  /// Sends (atom, args...) to `dest` and waits for the reply: a T or an error.
  template <class T, class... Ts>
  result<T> call(caf::abstract_actor* dest, Ts&&... xs) {
    auto mid = self->new_request_id(caf::message_priority::normal);
    auto previous = slot->expect(mid);
    auto t0 = std::chrono::steady_clock::now();
    dest->enqueue(caf::make_mailbox_element(caf::actor_cast<caf::strong_actor_ptr>(companion), mid,
                                            {}, std::forward<Ts>(xs)...),
                  nullptr);
    previous.reset(); // while the store works
    bool ok = slot->wait(spin.next(), opts.timeout);
    spin.record(std::chrono::steady_clock::now() - t0);
    if (!ok)
      return error::make(errc::unavailable,
                         fmt::format("no reply within {} ms", opts.timeout.count()));
    if (auto& f = slot->failure())
      return from_caf(f);
    auto& msg = slot->reply()->content();
    if (msg.match_elements<T>())
      return msg.move_if_unshared<T>(0);
    if (msg.match_elements<caf::error>()) {
      auto& e = msg.get_as<caf::error>(0);
      if (e == caf::sec::request_receiver_down)
        slot->mark_down(); // the target is gone for good
      return from_caf(e);
    }
    return error::make(errc::unavailable, "unexpected reply from the store");
  }

  template <class T, class... Ts>
  result<T> store_call(Ts&&... xs) {
    return call<T>(caf::actor_cast<caf::abstract_actor*>(target.actor), std::forward<Ts>(xs)...);
  }

  /// A read: from the published root if the store is local, else a message.
  template <class T, class Atom, class F>
  result<T> read(Atom atom, const key& k, F&& local) {
    if (auto e = blocked())
      return *e;
    if (target.local)
      return local(cache.refresh(*target.local).root);
    return store_call<T>(atom, k);
  }

  template <class... Ts>
  result<void> write(Ts&&... xs) {
    if (auto e = blocked())
      return *e;
    auto r = store_call<version_t>(std::forward<Ts>(xs)...);
    if (!r)
      return std::move(r).error();
    last_version = *r;
    return {};
  }

  caf::actor_system& sys;
  store target;
  client_options opts;
  std::shared_ptr<reply_slot> slot;
  caf::actor companion;
  caf::actor_companion* self = nullptr;
  slot_watch* store_watch = nullptr;
  detail::snapshot_cache cache;
  detail::spin_advisor spin{std::chrono::microseconds(opts.spin_us)};
  version_t last_version = 0;
  std::atomic<bool> busy{false};
};

namespace {

// Refuses concurrent use of one client instead of racing.
class use_guard {
public:
  explicit use_guard(client::impl* p) : p_(p), ok_(p && !p->busy.exchange(true, std::memory_order_acquire)) {}
  ~use_guard() {
    if (ok_)
      p_->busy.store(false, std::memory_order_release);
  }
  std::optional<error> refused() const {
    if (!p_)
      return error::make(errc::disconnected, "the client was moved from");
    if (!ok_)
      return error::make(errc::client_busy, "one client used from two threads at once");
    return std::nullopt;
  }

private:
  client::impl* p_;
  bool ok_;
};

#define KVMEM_GUARD()                                                                              \
  use_guard guard_{p_.get()};                                                                      \
  if (auto e = guard_.refused())                                                                   \
  return *e

} // namespace

client::client(caf::actor_system& sys, store s, client_options opts)
  : p_(std::make_unique<impl>(sys, std::move(s), opts)) {}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

result<std::optional<kind>> client::exists(const key& k) {
  KVMEM_GUARD();
  if (auto e = p_->blocked())
    return *e;
  if (p_->target.local)
    return p_->cache.refresh(*p_->target.local).root.exists(k);
  auto r = p_->store_call<presence>(exists_atom::value, k);
  if (!r)
    return std::move(r).error();
  return to_kind(*r);
}

result<bytes> client::get(const key& k) {
  KVMEM_GUARD();
  return p_->read<bytes>(get_atom::value, k, [&](const tree& t) { return t.get(k); });
}

result<bytes> client::get_partial(const key& k, std::uint64_t offset, std::uint64_t length) {
  KVMEM_GUARD();
  if (auto e = p_->blocked())
    return *e;
  if (p_->target.local)
    return p_->cache.refresh(*p_->target.local).root.get_partial(k, offset, length);
  return p_->store_call<bytes>(get_partial_atom::value, k, offset, length);
}

result<std::uint64_t> client::size(const key& k) {
  KVMEM_GUARD();
  return p_->read<std::uint64_t>(size_atom::value, k, [&](const tree& t) { return t.size(k); });
}

result<listing> client::list(const key& k) {
  KVMEM_GUARD();
  return p_->read<listing>(list_atom::value, k, [&](const tree& t) { return t.list(k); });
}

result<ptime> client::last_modified(const key& k) {
  KVMEM_GUARD();
  return p_->read<ptime>(last_modified_atom::value, k,
                         [&](const tree& t) { return t.last_modified(k); });
}

result<kvmem::digest> client::digest(const key& k) {
  KVMEM_GUARD();
  return p_->read<kvmem::digest>(digest_atom::value, k, [&](const tree& t) { return t.digest(k); });
}

result<void> client::set(const key& k, bytes v) {
  KVMEM_GUARD();
  return p_->write(set_atom::value, k, std::move(v));
}

result<void> client::set_partial(const key& k, std::uint64_t offset, bytes data) {
  KVMEM_GUARD();
  return p_->write(set_partial_atom::value, k, offset, std::move(data));
}

result<void> client::remove(const key& k) {
  KVMEM_GUARD();
  return p_->write(remove_atom::value, k);
}

result<void> client::rename(const key& src, const key& dst) {
  KVMEM_GUARD();
  return p_->write(rename_atom::value, src, dst);
}

result<void> client::allocate(const key& k, std::uint64_t size, std::optional<ptime> mtime) {
  KVMEM_GUARD();
  if (mtime)
    return p_->write(allocate_atom::value, k, size, *mtime);
  return p_->write(allocate_atom::value, k, size);
}

result<version_t> client::run_batch(std::function<void(batch_view&)> body, std::uint32_t retries) {
  if (detail::in_batch_body())
    return error::make(errc::nested_batch, "a batch function may not start another batch");
  if (retries < 1)
    return error::make(errc::invalid_argument, "retries must be at least 1");
  KVMEM_GUARD();
  if (auto e = p_->blocked())
    return *e;
  auto b = detail::spawn_batch(p_->sys, {p_->target, std::move(body), retries});
  auto* dest = caf::actor_cast<caf::abstract_actor*>(b);
  // The next request id is the one call() will use; watch the batch actor
  // for it, so that a batch actor killed mid-batch fails this call.
  auto* self = p_->self;
  auto mid = self->new_request_id(caf::message_priority::normal);
  auto previous = p_->slot->expect(mid);
  dest->attach(caf::attachable_ptr{new slot_watch(p_->slot, mid, false)});
  dest->enqueue(caf::make_mailbox_element(caf::actor_cast<caf::strong_actor_ptr>(p_->companion),
                                          mid, {}, run_atom::value),
                nullptr);
  // No timeout here: the batch function runs on the batch actor's thread and
  // may use the caller's stack, so we must not return before it is done.
  p_->slot->wait(std::chrono::microseconds(0), std::chrono::milliseconds(0));
  result<version_t> r = error::make(errc::unavailable, "unexpected reply from the batch actor");
  if (auto& f = p_->slot->failure())
    r = from_caf(f);
  else if (auto& msg = p_->slot->reply()->content(); msg.match_elements<version_t>())
    r = msg.get_as<version_t>(0);
  else if (msg.match_elements<caf::error>())
    r = from_caf(msg.get_as<caf::error>(0));
  if (r)
    p_->last_version = *r;
  return r;
}

result<version_t> client::version() {
  KVMEM_GUARD();
  if (auto e = p_->blocked())
    return *e;
  return p_->store_call<version_t>(version_atom::value);
}

version_t client::last_version() const noexcept { return p_ ? p_->last_version : 0; }

void client::disconnect() noexcept {
  if (p_)
    p_->release();
}

bool client::connected() const noexcept { return p_ && p_->companion; }

} // namespace kvmem
