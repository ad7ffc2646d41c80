// The blocking client: local reads from the published root; writes as
// messages through a detail::caller (a hidden actor companion whose replies
// are handed straight to the waiting thread); batches through a caller
// spawned per batch, driving the batch protocol on the calling thread.
#include "kvmem/client.hpp"

#include <caf/actor_cast.hpp>

#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>

#include "batch/batch_runner.hpp"
#include "blocking/caller.hpp"
#include "blocking/message_reads.hpp"
#include "blocking/watch_inbox.hpp"
#include "store/store_access.hpp"

namespace kvmem {

struct client::impl {
  impl(caf::actor_system& sys, store s, client_options opts)
    : sys(sys), target(std::move(s)), opts(opts),
      calls(std::in_place, sys, caf::actor_cast<caf::strong_actor_ptr>(target.actor()),
            caller_options()) {}

  /// A local store on CAF's scheduler is run by the caller it wakes
  /// (inline_unit.hpp) unless its options say otherwise.
  detail::caller_options caller_options() const {
    auto& o = target.options();
    bool inline_ok = target.is_local() && !o.detached && o.caller_runs;
    return {timeout(), opts.spin_us, inline_ok};
  }

  std::chrono::milliseconds timeout() const {
    return opts.timeout.count() > 0 ? opts.timeout : target.call_timeout();
  }

  ~impl() { release(); }

  void release() noexcept {
    calls.reset();
    target = store{};
    cache.clear();
    if (owner)
      caf::anon_send_exit(owner, caf::exit_reason::user_shutdown);
    owner = nullptr;
  }

  /// A read of the snapshot of version v: a local store hands over its root
  /// (the tree handle keeps it alive); a remote one pins it (the store keeps
  /// it while we read), then we read and unpin.
  result<read_result> read_at(version_t v, const read_op& op) {
    if (detail::store_access::local(target)) {
      auto snap = call<local_snapshot>(snapshot_atom::value, v);
      if (!snap)
        return std::move(snap).error();
      return apply(snap->root, op);
    }
    auto snap = call<snapshot>(at_atom::value, v);
    if (!snap)
      return std::move(snap).error();
    auto out = detail::message_reads{*calls, snap->pinned}.read(op);
    calls->send(unpin_atom::value, snap->pinned);
    return out;
  }

  /// Why a call cannot start, if it cannot.
  std::optional<error> blocked() const {
    if (!calls)
      return error::make(errc::disconnected, "the client was disconnected");
    return calls->blocked();
  }

  /// A read: from the published root if the store is local (no message),
  /// else by message.
  result<read_result> read(const read_op& op) {
    if (auto e = blocked())
      return *e;
    if (auto* local = detail::store_access::local(target))
      return apply(cache.refresh(*local).root, op);
    return detail::message_reads{*calls}.read(op);
  }

  template <class T, class... Ts>
  result<T> call(Ts&&... xs) {
    if (auto e = blocked())
      return *e;
    return calls->call<T>(std::forward<Ts>(xs)...);
  }

  template <class... Ts>
  result<void> write(Ts&&... xs) {
    auto r = call<version_t>(std::forward<Ts>(xs)...);
    if (!r)
      return std::move(r).error();
    last_version = *r;
    return {};
  }

  caf::actor_system& sys;
  store target;
  client_options opts;
  std::optional<detail::caller> calls; // empty once disconnected
  detail::snapshot_cache cache;
  caf::actor owner; // owner_handle(): spawned on first use, stopped with the client
  version_t last_version = 0;
  std::atomic<bool> busy{false};
};

// Refuses concurrent use of one client instead of racing.
class client::use_guard {
public:
  explicit use_guard(client::impl* p)
    : p_(p), ok_(p && !p->busy.exchange(true, std::memory_order_acquire)) {}
  ~use_guard() {
    if (ok_)
      p_->busy.store(false, std::memory_order_release);
  }
  use_guard(const use_guard&) = delete;
  use_guard& operator=(const use_guard&) = delete;
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


client::client(caf::actor_system& sys, store s, client_options opts)
  : p_(std::make_unique<impl>(sys, std::move(s), opts)) {}
client::~client() = default;
client::client(client&&) noexcept = default;
client& client::operator=(client&&) noexcept = default;

result<read_result> client::read(const read_op& op) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->read(op);
}

result<void> client::set(key k, bytes v, expect e) {
  return write(write_op::set(std::move(k), std::move(v), e));
}

result<void> client::remove(key k, expect e) { return write(write_op::remove(std::move(k), e)); }

result<void> client::rename(key src, key dst, expect e) {
  return write(write_op::rename(std::move(src), std::move(dst), e));
}

result<void> client::write(write_op w) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->write(write_atom::value, std::move(w));
}

result<void> client::set(key k, bytes v) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->write(set_atom::value, std::move(k), std::move(v));
}

result<void> client::set_partial(key k, std::uint64_t offset, bytes data) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->write(set_partial_atom::value, std::move(k), offset, std::move(data));
}

result<void> client::remove(key k) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->write(remove_atom::value, std::move(k));
}

result<void> client::rename(key src, key dst) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->write(rename_atom::value, std::move(src), std::move(dst));
}

result<void> client::allocate(key k, std::uint64_t size, std::optional<ptime> mtime) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  if (mtime)
    return p_->write(allocate_atom::value, std::move(k), size, *mtime);
  return p_->write(allocate_atom::value, std::move(k), size);
}

result<version_t> client::batch_version(std::function<void(batch_view&)> body, int retries) {
  if (detail::in_batch_body())
    return error::make(errc::nested_batch, "a batch function may not start another batch");
  if (retries < 1)
    return error::make(errc::invalid_argument, "retries must be at least 1");
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  if (auto e = p_->blocked())
    return *e;
  // The batch's own actor, spawned for it: its requests and replies are the
  // batch's. f runs on this (the caller's) thread, which waits anyway.
  detail::caller batch_actor{p_->sys, caf::actor_cast<caf::strong_actor_ptr>(p_->target.actor()),
                             p_->caller_options(), *p_->calls};
  detail::batch_runner runner{p_->target, std::move(body), retries};
  auto r = detail::drive_blocking(runner, batch_actor);
  if (r)
    p_->last_version = *r;
  return r;
}

result<watcher> client::watch(const key& prefix, std::optional<version_t> from,
                              std::uint32_t window) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  if (auto e = p_->blocked())
    return *e;
  auto in = std::make_unique<detail::watch_inbox>(
      p_->sys, caf::actor_cast<caf::strong_actor_ptr>(p_->target.actor()),
      detail::store_access::local(p_->target) != nullptr, p_->caller_options().run_inline);
  auto r = in->subscribe(watch_request{prefix, from, window}, p_->timeout());
  if (!r)
    return std::move(r).error();
  return watcher{std::move(in)};
}

result<tree> client::snapshot_at(version_t v) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  if (auto e = p_->blocked())
    return *e;
  if (!detail::store_access::local(p_->target))
    return error::make(errc::invalid_argument,
                       "a tree travels only within one process: read a remote store at a "
                       "version with get_at, list_at or diff");
  auto snap = p_->call<local_snapshot>(snapshot_atom::value, v);
  if (!snap)
    return std::move(snap).error();
  return std::move(snap->root);
}

result<read_result> client::read_at(version_t v, const read_op& op) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  if (auto e = p_->blocked())
    return *e;
  return p_->read_at(v, op);
}

result<change_list> client::diff(version_t v1, version_t v2, const key& prefix) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->call<change_list>(diff_atom::value, v1, v2, prefix);
}

result<void> client::set_owned(const key& k, bytes v, const caf::actor& owner,
                              std::optional<expect> e) {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  if (!owner)
    return error::make(errc::invalid_argument, "an owned key needs an owner");
  return p_->write(write_atom::value, write_op::set(k, std::move(v), e), owner);
}

caf::actor client::owner_handle() const {
  if (!p_)
    return nullptr;
  // A hidden actor that lives until the client stops it. (Spawned with an
  // argument: CAF 0.17.6 dereferences a null tuple for argument-less
  // function actors, which UBSan reports.)
  if (!p_->owner)
    p_->owner = p_->sys.spawn<caf::hidden>(
        [](caf::event_based_actor*, int) -> caf::behavior { return {[](std::int8_t) {}}; }, 0);
  return p_->owner;
}

result<version_t> client::version() {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->call<version_t>(version_atom::value);
}

result<store_info> client::info() {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->call<store_info>(info_atom::value);
}

result<version_t> client::checkpoint() {
  use_guard in_use{p_.get()};
  if (auto e = in_use.refused())
    return *e;
  return p_->call<version_t>(checkpoint_atom::value);
}

version_t client::last_version() const noexcept { return p_ ? p_->last_version : 0; }

void client::disconnect() noexcept {
  if (p_)
    p_->release();
}

bool client::connected() const noexcept { return p_ && p_->calls; }

} // namespace kvmem
