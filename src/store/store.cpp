// The store actor's behavior: reads answered from the current root (or a
// pinned one), every write handed to the one write path (store_commit.cpp),
// and how stores are spawned and shut down.
#include "kvmem/store.hpp"

#include <caf/send.hpp>

#include "persist/recovery.hpp"
#include "store/store_access.hpp"
#include "store/store_state.hpp"

namespace kvmem {

namespace {

using detail::store_self;

// A read of `t`; its error, or an exception, becomes an error reply.
caf::result<read_result> read_from(const tree& t, const read_op& op) {
  try {
    auto r = apply(t, op);
    if (!r)
      return to_caf(r.error());
    return std::move(*r);
  } catch (const std::exception& e) {
    return detail::internal_error(e.what());
  }
}

// What a store starts from besides its tree.
struct start {
  version_t version = 0;
  std::shared_ptr<detail::persister> persist; // null without persistence
  std::vector<write_op> orphaned;             // removes of keys whose owners are gone
};

store_actor::behavior_type store_impl(store_self self, tree initial, any_clock clock,
                                      store_options opts, std::shared_ptr<detail::published> pub,
                                      std::shared_ptr<start> from) {
  auto& st = self->state;
  st.root = std::move(initial);
  st.version = from->version;
  st.persist = std::move(from->persist);
  if (st.persist) // a checkpoint that requests wait for, once the running one ends; a weak
                   // handle: the persister (in the store's state) must not keep the store alive
    st.persist->set_kick([w = caf::actor_cast<caf::weak_actor_ptr>(self->ctrl())] {
      if (auto p = caf::actor_cast<caf::strong_actor_ptr>(w))
        caf::anon_send(caf::actor_cast<store_actor>(p), checkpoint_atom::value);
    });
  st.clock = std::move(clock);
  st.opts = opts;
  st.pub = std::move(pub);
  detail::retain_version(st, st.clock.now()); // version 0 is readable at a version too
  st.by_node.set_local(self->node());
  // A message outside the interface (a confused or hostile peer) gets an
  // unexpected_message error reply and is otherwise ignored, silently.
  self->set_default_handler(caf::drop);
  // An error that is not the reply to a request of the store's (it makes
  // none) is a confused or hostile sender's: CAF's default would end the
  // store (and lose every key). Ignored.
  self->set_error_handler([](caf::error&) {});
  // An actor the store monitors terminated (a remote client's link dropped
  // kills its proxy): its pins and subscriptions go, its owned keys too.
  self->set_down_handler([=](caf::down_msg& dm) {
    detail::drop_pins_of(self, dm.source);
    detail::drop_subscriptions_of(self, dm.source);
    detail::owner_down(self, dm.source);
  });
  using detail::commit_single;
  if (!from->orphaned.empty()) // recovered keys owned by actors that are gone: one commit
    detail::commit_internal(self, std::move(from->orphaned));
  return {
      // --- reads: the current root, or a pinned snapshot
      [=](read_atom, const read_op& op) { return read_from(self->state.root, op); },
      [=](read_atom, pin p, const read_op& op) -> caf::result<read_result> {
        if (const tree* t = detail::pinned_root(self, p))
          return read_from(*t, op);
        return to_caf(error::make(errc::invalid_argument,
                                  fmt::format("snapshot pin {} is unknown or released", p.id)));
      },
      // --- writes: each one a commit of one write_op
      [=](set_atom, key& k, bytes& v) {
        return commit_single(self, write_op::set(std::move(k), std::move(v)));
      },
      [=](set_partial_atom, key& k, std::uint64_t off, bytes& v) {
        return commit_single(self, write_op::set_partial(std::move(k), off, std::move(v)));
      },
      [=](remove_atom, key& k) { return commit_single(self, write_op::remove(std::move(k))); },
      [=](rename_atom, key& src, key& dst) {
        return commit_single(self, write_op::rename(std::move(src), std::move(dst)));
      },
      [=](allocate_atom, key& k, std::uint64_t n) {
        return commit_single(self, write_op::allocate(std::move(k), n));
      },
      [=](allocate_atom, key& k, std::uint64_t n, ptime at) {
        return commit_single(self, write_op::allocate(std::move(k), n, at));
      },
      [=](write_atom, write_op& w) { return commit_single(self, std::move(w)); },
      [=](set_atom, key& k, bytes& v, caf::actor& owner) {
        return commit_single(self, write_op::set(std::move(k), std::move(v)), std::move(owner));
      },
      [=](write_atom, write_op& w, caf::actor& owner) {
        return commit_single(self, std::move(w), std::move(owner));
      },
      // --- the batch protocol
      [=](commit_atom, const commit& c) { return detail::commit_batch(self, c, nullptr); },
      [=](version_atom) { return self->state.version; },
      [=](info_atom) {
        auto& st = self->state;
        auto [versions, bytes] = detail::history_info(st);
        store_info info{st.version,      st.root.used(),           st.root.capacity(),
                        st.pins.size(),  st.opts.max_batch_writes, st.opts.max_batch_bytes,
                        versions,        bytes,                    st.subs.size(),
                        st.owned.size()};
        detail::fill_persistence_info(st, info);
        return info;
      },
      [=](checkpoint_atom) { return detail::request_checkpoint(self); },
      // --- change feeds and history
      [=](watch_atom, const watch_request& req) -> caf::result<watch_started> {
        // The promise is made when the watch replies (make_response_promise
        // takes the sender, whom the watch subscribes first).
        caf::typed_response_promise<watch_started> rp;
        if (auto e = detail::watch(self, req, false, [&](local_watch_started s) {
              rp = self->make_response_promise<watch_started>();
              rp.deliver(s.started);
            }))
          return to_caf(*e);
        return rp;
      },
      [=](ack_atom, std::uint64_t id, std::uint64_t seq) { detail::ack(self, id, seq); },
      [=](unwatch_atom, std::uint64_t id) { detail::unwatch(self, id); },
      [=](at_atom, version_t v) { return detail::snapshot_at(self, v); },
      [=](diff_atom, version_t v1, version_t v2, const key& prefix) {
        return detail::diff_versions(self, v1, v2, prefix);
      },
      // --- pinned snapshots
      [=](pin_atom) { return detail::pin_snapshot(self); },
      [=](unpin_atom, pin p) { detail::unpin(self, p); },
      // --- in the store's process only (store_local)
      [=](snapshot_atom) { return local_snapshot{self->state.version, self->state.root}; },
      [=](snapshot_atom, version_t v) -> caf::result<local_snapshot> {
        auto r = detail::local_snapshot_at(self->state, v);
        if (!r)
          return to_caf(r.error());
        return std::move(*r);
      },
      [=](commit_atom, local_commit& lc) {
        return detail::commit_batch(self, lc.c, &lc.base_root,
                                    lc.applied ? &*lc.applied : nullptr);
      },
      [=](watch_atom, const local_watch& w) -> caf::result<local_watch_started> {
        caf::typed_response_promise<local_watch_started> rp;
        if (auto e = detail::watch(self, w.request, true, [&](local_watch_started s) {
              rp = self->make_response_promise<local_watch_started>();
              rp.deliver(std::move(s));
            }))
          return to_caf(*e);
        return rp;
      },
  };
}

store spawn_at(caf::actor_system& sys, tree initial, any_clock clock, store_options opts,
               std::shared_ptr<start> from) {
  initial.set_capacity(opts.capacity);
  auto pub = std::make_shared<detail::published>(local_snapshot{from->version, initial}, clock);
  store_actor a = opts.detached ? sys.spawn<caf::detached>(store_impl, std::move(initial),
                                                           std::move(clock), opts, pub, from)
                                : sys.spawn(store_impl, std::move(initial), std::move(clock), opts,
                                            pub, from);
  return detail::store_access::make(std::move(a), std::move(pub), opts, std::chrono::milliseconds{0});
}

store open_or_throw(caf::actor_system& sys, any_clock clock, store_options opts) {
  auto s = open_store(sys, std::move(clock), std::move(opts));
  if (!s)
    throw std::runtime_error(s.error().message());
  return std::move(*s);
}

} // namespace

store spawn_store(caf::actor_system& sys, any_clock clock, store_options opts) {
  if (!opts.persistence.dir.empty())
    return open_or_throw(sys, std::move(clock), std::move(opts));
  tree initial{clock.now(), opts.capacity};
  return spawn_at(sys, std::move(initial), std::move(clock), opts, std::make_shared<start>());
}

store spawn_store(caf::actor_system& sys, tree initial, any_clock clock, store_options opts) {
  if (!opts.persistence.dir.empty())
    return open_or_throw(sys, std::move(clock), std::move(opts));
  return spawn_at(sys, std::move(initial), std::move(clock), opts, std::make_shared<start>());
}

result<store> open_store(caf::actor_system& sys, any_clock clock, store_options opts,
                         recovery_report* report) {
  auto& p = opts.persistence;
  if (p.dir.empty())
    return error::make(errc::invalid_argument, "open_store needs store_options::persistence.dir");
  if (p.sync == sync_policy::interval && p.interval.count() <= 0)
    return error::make(errc::invalid_argument, "sync interval must be positive");
  if (!p.fs)
    p.fs = posix_file_system();
  try {
    // Replayed without a capacity (recover): a store reopened with a smaller
    // capacity keeps what it holds, as a spawned initial tree does; the
    // capacity applies to later writes (spawn_at sets it).
    auto rec = detail::recover(p, clock.now());
    if (!rec)
      return std::move(rec).error();
    auto j = detail::journal::open(p.fs, p.dir, p, std::move(rec->segments), rec->version);
    if (!j)
      return std::move(j).error();
    auto from = std::make_shared<start>();
    from->version = rec->version;
    from->persist = std::make_shared<detail::persister>(p, std::move(rec->lock), std::move(*j),
                                                        rec->checkpoint_version,
                                                        rec->checkpoint_taken,
                                                        rec->checkpoint_bytes);
    for (auto& k : rec->owned)
      from->orphaned.push_back(write_op::remove(k));
    if (report)
      *report = rec->report;
    return spawn_at(sys, std::move(rec->root), std::move(clock), opts, std::move(from));
  } catch (const std::bad_alloc&) {
    return error::no_space();
  }
}

void scoped_store::reset() noexcept {
  if (s_)
    caf::anon_send_exit(s_.actor(), caf::exit_reason::user_shutdown);
  s_ = store{};
}

} // namespace kvmem
