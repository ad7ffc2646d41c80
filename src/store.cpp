// The store actor: its behavior; writes and commits, and how it publishes
// and lingers. Pinned snapshots are in store_pins.cpp.
#include "kvmem/store.hpp"

#include <thread>

#include <caf/typed_response_promise.hpp>

#include "detail/store_state.hpp"

namespace kvmem {

namespace {

using detail::store_state;
using self_ptr = detail::store_self;
using detail::unexpected;


// Runs a read against the current root; exceptions become error replies.
// Runs a read against `t`; tree errors and exceptions become error replies.
template <class T, class F>
caf::result<T> read_from(const tree& t, F&& f) {
  try {
    auto r = f(t);
    if (!r)
      return to_caf(r.error());
    return std::move(*r);
  } catch (const std::exception& e) {
    return unexpected(e.what());
  }
}

template <class T, class F>
caf::result<T> read(self_ptr self, F&& f) {
  return read_from<T>(self->state.root, std::forward<F>(f));
}

// Reads from a pinned snapshot.
template <class T, class F>
caf::result<T> read_pinned(self_ptr self, pin p, F&& f) {
  if (const tree* t = detail::pinned_root(self, p))
    return read_from<T>(*t, std::forward<F>(f));
  return to_caf(error::make(errc::invalid_argument,
                            fmt::format("snapshot pin {} is unknown or released", p.id)));
}

// Publishes the current root; returns the previous snapshot, to be freed
// after the reply is out.
[[nodiscard]] std::shared_ptr<const snapshot> publish(self_ptr self) {
  auto& st = self->state;
  return st.pub->publish(std::make_shared<const snapshot>(snapshot{st.version, st.root, {}}));
}

// Takes the published snapshot back for the duration of a write (see
// published.hpp) and publishes again when the write is done, whatever its
// outcome. Whatever a reader may still hold is released after the reply.
class write_scope {
public:
  explicit write_scope(self_ptr self) : self_(self), held_(self->state.pub->reclaim()) {}
  ~write_scope() {
    if (!published_)
      finish();
  }
  /// Publishes the store's current root; returns what to free after replying.
  std::pair<std::shared_ptr<const snapshot>, std::shared_ptr<const snapshot>> finish() {
    published_ = true;
    auto previous = publish(self_);
    return {std::move(previous), std::move(held_)};
  }

private:
  self_ptr self_;
  std::shared_ptr<const snapshot> held_;
  bool published_ = false;
};

using version_promise = caf::typed_response_promise<version_t>;

// Polls the mailbox for a short while after a reply (see linger_us), so
// that a client's next request finds the store awake. It yields rather than
// spins, so that a client woken onto this CPU runs at once; but if a yield
// lost the CPU to a busy thread (the linger overran its budget many times
// over), lingering is suspended for exponentially more writes.
void linger(self_ptr self) {
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

// Applies one write; moves the version and publishes only if it changed
// something. A failing write changes nothing. The reply goes out before the
// previous version's nodes are freed, so the writer does not wait for that.
template <class F>
version_promise write(self_ptr self, F&& f) {
  auto& st = self->state;
  auto rp = self->make_response_promise<version_t>();
  write_scope scope{self};
  decltype(scope.finish()) retired;
  try {
    result<bool> r = f(st.root, st.clock.now());
    if (r && *r)
      ++st.version;
    retired = scope.finish(); // before any reply: acknowledged means published
    if (!r) {
      rp.deliver(to_caf(r.error()));
      return rp;
    }
    rp.deliver(st.version);
  } catch (const std::bad_alloc&) {
    rp.deliver(to_caf(error::no_space()));
  } catch (const std::exception& e) {
    rp.deliver(unexpected(e.what()));
  }
  retired = {}; // the nodes only the previous version held
  linger(self);
  return rp;
}

version_promise apply_commit(self_ptr self, const commit& c) {
  auto& st = self->state;
  auto rp = self->make_response_promise<version_t>();
  if (c.base != st.version) {
    rp.deliver(to_caf(error::make(
        errc::conflict, fmt::format("snapshot at version {}, store at {}", c.base, st.version))));
    return rp;
  }
  if (c.ops.size() > st.opts.max_batch_writes) {
    rp.deliver(to_caf(error::make(
        errc::batch_too_large,
        fmt::format("{} writes, the limit is {}", c.ops.size(), st.opts.max_batch_writes))));
    return rp;
  }
  write_scope scope{self};
  decltype(scope.finish()) retired;
  try {
    // All or nothing: apply to a copy (O(1)); only a complete success
    // replaces the root. The first write to each path copies it, later
    // writes to the same nodes edit the copy in place.
    tree next = st.root;
    auto now = st.clock.now();
    bool any = false;
    for (auto& w : c.ops) {
      auto r = apply(next, w, now);
      if (!r) {
        next = tree{}; // drop the partial result: nothing applied
        retired = scope.finish();
        rp.deliver(to_caf(r.error()));
        return rp;
      }
      any = any || *r;
    }
    if (any) {
      st.root = std::move(next);
      ++st.version;
    }
    retired = scope.finish();
    rp.deliver(st.version);
  } catch (const std::bad_alloc&) {
    rp.deliver(to_caf(error::no_space()));
  } catch (const std::exception& e) {
    rp.deliver(unexpected(e.what()));
  }
  retired = {};
  linger(self);
  return rp;
}

store_actor::behavior_type store_impl(self_ptr self, tree initial, any_clock clock,
                                      store_options opts, std::shared_ptr<detail::published> pub) {
  auto& st = self->state;
  st.root = std::move(initial);
  st.clock = std::move(clock);
  st.opts = opts;
  st.pub = std::move(pub);
  // A message outside the interface (a confused or hostile peer) gets an
  // unexpected_message error reply and is otherwise ignored, silently.
  self->set_default_handler(caf::drop);
  // An actor holding pins terminated (a remote client went away): drop them.
  self->set_down_handler([=](caf::down_msg& dm) { detail::drop_pins_of(self, dm.source); });
  return {
      [=](exists_atom, const key& k) { return to_presence(self->state.root.exists(k)); },
      [=](get_atom, const key& k) {
        return read<bytes>(self, [&](const tree& t) { return t.get(k); });
      },
      [=](get_partial_atom, const key& k, std::uint64_t off, std::uint64_t len) {
        return read<bytes>(self, [&](const tree& t) { return t.get_partial(k, off, len); });
      },
      [=](size_atom, const key& k) {
        return read<std::uint64_t>(self, [&](const tree& t) { return t.size(k); });
      },
      [=](list_atom, const key& k) {
        return read<listing>(self, [&](const tree& t) { return t.list(k); });
      },
      [=](last_modified_atom, const key& k) {
        return read<ptime>(self, [&](const tree& t) { return t.last_modified(k); });
      },
      [=](digest_atom, const key& k) {
        return read<digest>(self, [&](const tree& t) { return t.digest(k); });
      },
      [=](set_atom, const key& k, const bytes& v) {
        return write(self, [&](tree& t, ptime now) { return changed(t.set(k, v, now)); });
      },
      [=](set_partial_atom, const key& k, std::uint64_t off, const bytes& v) {
        return write(self,
                     [&](tree& t, ptime now) { return changed(t.set_partial(k, off, v, now)); });
      },
      [=](remove_atom, const key& k) {
        return write(self, [&](tree& t, ptime now) { return t.remove(k, now); });
      },
      [=](rename_atom, const key& src, const key& dst) {
        return write(self, [&](tree& t, ptime now) { return t.rename(src, dst, now); });
      },
      [=](allocate_atom, const key& k, std::uint64_t n) {
        return write(self, [&](tree& t, ptime now) {
          return changed(t.allocate(k, n, std::nullopt, now));
        });
      },
      [=](allocate_atom, const key& k, std::uint64_t n, ptime at) {
        return write(self, [&](tree& t, ptime now) { return changed(t.allocate(k, n, at, now)); });
      },
      [=](snapshot_atom) { return snapshot{self->state.version, self->state.root, {}}; },
      [=](commit_atom, const commit& c) { return apply_commit(self, c); },
      [=](version_atom) { return self->state.version; },
      [=](info_atom) {
        auto& st = self->state;
        return store_info{st.version, st.root.used(), st.root.capacity(), st.pins.size()};
      },
      [=](pin_atom) { return detail::pin_snapshot(self); },
      [=](unpin_atom, pin p) { detail::unpin(self, p); },
      [=](exists_atom, pin p, const key& k) {
        return read_pinned<presence>(self, p, [&](const tree& t) -> result<presence> {
          return to_presence(t.exists(k));
        });
      },
      [=](get_atom, pin p, const key& k) {
        return read_pinned<bytes>(self, p, [&](const tree& t) { return t.get(k); });
      },
      [=](get_partial_atom, pin p, const key& k, std::uint64_t off, std::uint64_t len) {
        return read_pinned<bytes>(self, p, [&](const tree& t) { return t.get_partial(k, off, len); });
      },
      [=](size_atom, pin p, const key& k) {
        return read_pinned<std::uint64_t>(self, p, [&](const tree& t) { return t.size(k); });
      },
      [=](list_atom, pin p, const key& k) {
        return read_pinned<listing>(self, p, [&](const tree& t) { return t.list(k); });
      },
      [=](last_modified_atom, pin p, const key& k) {
        return read_pinned<ptime>(self, p, [&](const tree& t) { return t.last_modified(k); });
      },
      [=](digest_atom, pin p, const key& k) {
        return read_pinned<digest>(self, p, [&](const tree& t) { return t.digest(k); });
      },
  };
}

} // namespace

store spawn_store(caf::actor_system& sys, any_clock clock, store_options opts) {
  tree initial{clock.now(), opts.capacity};
  return spawn_store(sys, std::move(initial), std::move(clock), opts);
}

store spawn_store(caf::actor_system& sys, tree initial, any_clock clock, store_options opts) {
  initial.set_capacity(opts.capacity);
  auto pub = std::make_shared<detail::published>(snapshot{0, initial, {}});
  store_actor a = opts.detached ? sys.spawn<caf::detached>(store_impl, std::move(initial),
                                                           std::move(clock), opts, pub)
                                : sys.spawn(store_impl, std::move(initial), std::move(clock), opts,
                                            pub);
  return store{std::move(a), std::move(pub), opts};
}

} // namespace kvmem
