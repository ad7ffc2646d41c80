// The store's one write path: every write, alone or in a batch, is a commit
// of write_ops applied here — validated, applied all or nothing, published
// before the reply — and how the store lingers after replying.
#include <thread>

#include <fmt/core.h>

#include "store/commit_record.hpp"
#include "store/reply.hpp"
#include "store/store_state.hpp"
#include "store/validate.hpp"

namespace kvmem::detail {

caf::error internal_error(const char* what) {
  return to_caf(error::make(errc::internal, what));
}

namespace {

// Takes the published snapshot back for the duration of a write (see
// published.hpp) and publishes the store's root again when the write is
// done, whatever its outcome. The snapshot to publish is the reclaimed one's
// object when nobody held it, else allocated before the tree changes, so
// that publishing cannot fail once the tree has changed. What a reader may
// still hold, and the previous version's nodes, are released only after the
// reply is out (off the writer's round trip).
class write_scope {
public:
  explicit write_scope(store_self self)
    : self_(self), next_(self->state.pub->reclaim()) {
    // The snapshot to publish: the reclaimed one's object if nobody held it,
    // else a new one (allocated before the tree changes).
    held_ = std::move(next_.held);
    if (next_.spare)
      return;
    try {
      next_.spare = std::make_shared<local_snapshot>();
    } catch (...) {
      (void)self->state.pub->publish(held_); // readers must not wait on an empty slot
      throw;
    }
  }
  ~write_scope() { publish(); }
  write_scope(const write_scope&) = delete;
  write_scope& operator=(const write_scope&) = delete;

  /// Publishes the store's current root (once); call before replying.
  void publish() noexcept {
    if (!next_.spare)
      return;
    auto& st = self_->state;
    next_.spare->version = st.version;
    next_.spare->root = st.root;
    st.pub->describes_commits(st.wants_events());
    previous_ = st.pub->publish(std::move(next_.spare));
  }

private:
  store_self self_;
  published::reclaimed next_; // its spare: what publish() publishes
  std::shared_ptr<const local_snapshot> held_;
  std::shared_ptr<const local_snapshot> previous_;
};

// Polls the mailbox for a short while after a reply (see linger_us), so
// that a client's next request finds the store awake. It yields rather than
// spins, so that a client woken onto this CPU runs at once; but if a yield
// lost the CPU to a busy thread (the linger overran its budget many times
// over), lingering is suspended for exponentially more writes.
void linger(store_self self) {
  auto& st = self->state;
  auto budget = std::chrono::microseconds(st.opts.linger_us);
  if (budget.count() == 0 || !st.opts.detached)
    return;
  if (st.linger_hold > 0) {
    --st.linger_hold;
    return;
  }
  auto start = std::chrono::steady_clock::now();
  auto now = start;
  while (self->mailbox().empty() && now - start < budget) {
    std::this_thread::yield();
    now = std::chrono::steady_clock::now();
  }
  if (now - start > 8 * budget) {
    st.linger_hold = st.linger_backoff;
    st.linger_backoff = std::min<std::uint32_t>(st.linger_backoff * 2, 4096);
  } else {
    st.linger_backoff = 1;
  }
}

// What a commit may not exceed, whoever built it (a remote peer included).
std::optional<error> check_limits(const store_options& o, const write_op* ops, std::size_t n) {
  if (n > o.max_batch_writes)
    return error::make(errc::batch_too_large,
                       fmt::format("{} writes, the limit is {}", n, o.max_batch_writes));
  std::uint64_t bytes = 0;
  for (std::size_t i = 0; i < n; ++i) {
    bytes += ops[i].payload_bytes();
    if (bytes > o.max_batch_bytes)
      return error::make(errc::batch_too_large,
                         fmt::format("more than {} bytes of keys and data", o.max_batch_bytes));
  }
  return std::nullopt;
}

// Applies ops[0, n) to the store's root, all or nothing, stamped with the
// version they make; returns whether the root changed. One write is applied
// to the root directly (a failing tree operation changes nothing, out of
// memory included); several go to a copy (O(1)) that replaces the root only
// if all succeed: the first write to each path copies it, later writes to
// the same nodes edit the copy in place. The replaced root goes to
// `retired`, to be freed after the reply. With `effects`, the tree reports
// what each write changed (discarded by the caller if the commit fails).
result<bool> apply_all(store_state& st, const write_op* ops, std::size_t n, const stamp& at,
                       tree& retired, change_list* effects) {
  if (n == 1)
    return apply(st.root, ops[0], at, effects);
  tree next = st.root;
  bool any = false;
  for (std::size_t i = 0; i < n; ++i) {
    auto r = apply(next, ops[i], at, effects);
    if (!r)
      return std::move(r).error(); // `next` is dropped: nothing applied
    any = any || *r;
  }
  if (any) {
    retired = std::move(st.root);
    st.root = std::move(next);
  }
  return any;
}

// Makes the batch's own result the store's root (see commit_span): O(1),
// cannot fail.
result<bool> adopt_applied(store_state& st, applied_writes& a, tree& retired) noexcept {
  if (!a.changed)
    return false;
  retired = std::move(st.root);
  st.root = std::move(a.root);
  return true;
}

// May batch commit `c`, made against version c.base, apply now? Its
// requirements must hold (else version_mismatch); then, if the store moved
// since c.base, its reads must still be current (else conflict).
std::optional<error> admit(store_self self, const commit& c, const tree* base_root) {
  auto& st = self->state;
  for (auto& r : c.requirements)
    if (auto ok = st.root.check(r.path, r.what); !ok)
      return std::move(ok).error();
  if (c.base == st.version)
    return std::nullopt;
  auto conflict = [&](std::string_view why) {
    return error::make(errc::conflict, fmt::format("snapshot at version {}, store at {}: {}",
                                                   c.base, st.version, why));
  };
  if (c.base > st.version)
    return conflict("a snapshot from the future");
  if (st.opts.validation == validation::by_version)
    return conflict("validated by version");
  if (!c.reads_complete)
    return conflict("the batch read too much to validate its reads");
  if (c.reads.empty())
    return std::nullopt; // a batch that only writes never conflicts
  const tree* base = base_root;
  if (!base && c.pinned.id != 0)
    base = pinned_root(self, c.pinned);
  if (!base)
    return conflict("its snapshot is gone");
  if (!reads_current(*base, st.root, c.reads))
    return conflict("what it read has changed");
  return std::nullopt;
}

// Replies to the current request, if `reply`; a reply that cannot even be
// allocated is lost (the store goes on: CAF 0.17.6 would end an actor whose
// handler throws). The reply is one mailbox element holding the value, as
// response_promise::deliver would send it but without its separate message
// (one allocation per write instead of two); a request with a forwarding
// stack (none of kvmem's) goes through the promise.
template <class T>
void answer(store_self self, bool reply, T&& x) noexcept {
  if (!reply)
    return;
  try {
    auto* req = self->current_mailbox_element();
    if (answerable(req)) {
      auto response = req->mid.response_id(); // before marking: the flag would show in it
      req->mid.mark_as_answered();
      send_reply(req->sender, self->ctrl(), response, std::forward<T>(x), self->context());
      return;
    }
    self->make_response_promise<version_t>().deliver(std::forward<T>(x));
  } catch (...) {
  }
}

// Takes back the journal record of a commit that failed or changed nothing.
void retract(store_state& st, bool& journaled) noexcept {
  if (journaled)
    st.persist->log().retract();
  journaled = false;
}

// What follows a commit: owned keys and feeds. Out of memory here must not
// undo the commit (it is applied and published): subscribers that may have
// missed it resync instead (recover_feeds), and the ownership of the keys it
// touched ends, as if they had been written without an owner.
void follow(store_self self, commit_record& rec, bool changed, bool describe,
            const std::vector<std::pair<key, caf::actor>>& owners) noexcept {
  try {
    if (describe)
      update_owners(self, rec, owners);
  } catch (...) {
    release_owned_on_failure(self, rec);
  }
  if (!changed)
    return;
  try {
    after_commit(self, rec); // last: it moves rec's effects out
  } catch (...) {
    recover_feeds(self);
  }
}

// The one write path. `reply`: answer the current request (else the commit
// is the store's own). `owners`: keys the commit makes owned. Nothing that
// fails here ends the store: before the tree changes, a failure (out of
// memory included) is the commit's error and changes nothing; after it,
// the commit stands and is published. A persistent store journals the
// commit before applying it, takes the record back if the commit fails or
// changes nothing, and under sync_policy::always acknowledges it only once
// the record is on disk.
caf::result<version_t> commit_span(store_self self, const commit* c, const tree* base_root,
                                   applied_writes* applied, const write_op* ops, std::size_t n,
                                   bool reply,
                                   const std::vector<std::pair<key, caf::actor>>& owners) {
  auto& st = self->state;
  bool changed = false;
  bool journaled = false;
  try {
    if (reply) // the store's own commits (an owner's keys) are not limited
      if (auto e = check_limits(st.opts, ops, n))
        return to_caf(*e);
    if (c)
      if (auto e = admit(self, *c, base_root))
        return to_caf(*e);
    tree retired; // the previous root, freed after the reply (as the scope's snapshots)
    const bool describe = st.wants_events() || !owners.empty();
    // A batch that applied its writes itself to the root the store still
    // has: adopt its tree (its stamps are this version's) instead of
    // applying the writes again. Sound because nothing committed since its
    // snapshot, and it applied exactly c.ops, in order, stamped version + 1.
    const bool adopt = applied != nullptr && c != nullptr && c->base == st.version && !describe &&
                       applied->at.version == st.version + 1;
    commit_record rec{{adopt ? applied->at.time : st.clock.now(), st.version + 1}, {ops, n}, {}};
    if (st.persist)
      if (auto e = journal_commit(self, rec, owners))
        return to_caf(*e);
    journaled = st.persist != nullptr;
    write_scope scope{self};
    auto r = adopt ? adopt_applied(st, *applied, retired)
                   : apply_all(st, ops, n, rec.at, retired, describe ? &rec.effects : nullptr);
    if (!r) {
      retract(st, journaled);
      scope.publish();
      answer(self, reply, to_caf(r.error()));
    } else {
      if ((changed = *r)) {
        ++st.version;
        if (journaled)
          st.persist->log().keep();
      } else {
        retract(st, journaled); // a no-op makes no version and keeps no record
      }
      scope.publish(); // acknowledged means published
      // Reply now, through a promise: the scope's snapshots (the previous
      // version's nodes) are freed when it closes, after the reply is out.
      if (reply && changed && st.persist && st.persist->options().sync == sync_policy::always)
        answer_when_synced(self, st.version);
      else
        answer(self, reply, st.version);
      follow(self, rec, changed, describe, owners);
      if (changed && st.persist)
        maybe_checkpoint(self);
    }
  } catch (const std::bad_alloc&) {
    if (!changed) {
      retract(st, journaled);
      answer(self, reply, to_caf(error::no_space()));
    }
  } catch (const std::exception& e) {
    if (!changed) {
      retract(st, journaled);
      answer(self, reply, internal_error(e.what()));
    }
  }
  linger(self);
  return caf::delegated<version_t>{};
}

} // namespace

caf::result<version_t> commit_batch(store_self self, const commit& c, const tree* base_root,
                                    applied_writes* applied) {
  return commit_span(self, &c, base_root, applied, c.ops.data(), c.ops.size(), true, c.owners);
}

caf::result<version_t> commit_single(store_self self, write_op w, std::optional<caf::actor> owner) {
  std::vector<std::pair<key, caf::actor>> owners;
  if (owner) {
    // An owned write is one that leaves the key in place with the owner.
    if (!*owner)
      return to_caf(error::make(errc::invalid_argument, "an owned key needs an owner"));
    if (w.op == write_op::code::remove || w.op == write_op::code::rename)
      return to_caf(error::make(errc::invalid_argument,
                                "only a write that leaves the key in place can make it owned "
                                "(set, set_partial, allocate)"));
    owners.emplace_back(w.path, std::move(*owner));
  }
  return commit_span(self, nullptr, nullptr, nullptr, &w, 1, true, owners);
}

void commit_internal(store_self self, std::vector<write_op> ops) {
  if (!ops.empty())
    (void)commit_span(self, nullptr, nullptr, nullptr, ops.data(), ops.size(), false, {});
}

} // namespace kvmem::detail
