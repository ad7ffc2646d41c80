// The store actor: owns the tree, applies writes and commits, publishes.
#include "kvmem/store.hpp"

#include <thread>
#include <unordered_map>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <caf/typed_response_promise.hpp>

#include "kvmem/detail/published.hpp"

namespace kvmem {

namespace {

struct store_state {
  tree root;
  version_t version = 0;
  any_clock clock;
  store_options opts;
  std::shared_ptr<detail::published> pub;
  std::uint32_t linger_hold = 0;    // writes to skip lingering after
  std::uint32_t linger_backoff = 1; // the next hold, doubling on overruns
  // Pinned snapshots (see store.hpp), and which actor holds which pins.
  struct pinned_snapshot {
    tree root;
    caf::actor_addr owner;
  };
  std::unordered_map<std::uint64_t, pinned_snapshot> pins;
  std::unordered_map<caf::actor_addr, std::vector<std::uint64_t>> pins_by_owner;
  std::uint64_t next_pin = 1;
  static inline const char* name = "kvmem.store";
};

using self_ptr = store_actor::stateful_pointer<store_state>;

caf::error unexpected(const char* what) {
  return to_caf(error::make(errc::invalid_argument, what));
}

// Runs a read against the current root; exceptions become error replies.
template <class T, class F>
caf::result<T> read(self_ptr self, F&& f) {
  try {
    auto r = f(self->state.root);
    if (!r)
      return to_caf(r.error());
    return std::move(*r);
  } catch (const std::exception& e) {
    return unexpected(e.what());
  }
}

// Reads from a pinned snapshot.
template <class T, class F>
caf::result<T> read_pinned(self_ptr self, pin p, F&& f) {
  auto i = self->state.pins.find(p.id);
  if (i == self->state.pins.end())
    return to_caf(error::make(errc::invalid_argument,
                              fmt::format("snapshot pin {} is unknown or released", p.id)));
  try {
    auto r = f(i->second.root);
    if (!r)
      return to_caf(r.error());
    return std::move(*r);
  } catch (const std::exception& e) {
    return unexpected(e.what());
  }
}

caf::result<snapshot> pin_snapshot(self_ptr self) {
  auto& st = self->state;
  if (st.pins.size() >= st.opts.max_pins)
    return to_caf(error::make(errc::invalid_argument,
                              fmt::format("too many pinned snapshots (limit {})", st.opts.max_pins)));
  auto owner = self->current_sender() ? self->current_sender()->address() : caf::actor_addr{};
  auto id = st.next_pin++;
  st.pins.emplace(id, store_state::pinned_snapshot{st.root, owner});
  if (owner) {
    auto& mine = st.pins_by_owner[owner];
    if (mine.empty())
      self->monitor(caf::actor_cast<caf::strong_actor_ptr>(owner));
    mine.push_back(id);
  }
  return snapshot{st.version, st.root, pin{id}};
}

void unpin(self_ptr self, pin p) {
  auto& st = self->state;
  auto i = st.pins.find(p.id);
  if (i == st.pins.end())
    return;
  auto owner = i->second.owner;
  st.pins.erase(i);
  if (auto o = st.pins_by_owner.find(owner); o != st.pins_by_owner.end()) {
    std::erase(o->second, p.id);
    if (o->second.empty()) {
      self->demonitor(owner);
      st.pins_by_owner.erase(o);
    }
  }
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

result<bool> changed(result<void> r) {
  if (!r)
    return std::move(r).error();
  return true;
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
  self->set_down_handler([=](caf::down_msg& dm) {
    auto& st = self->state;
    auto o = st.pins_by_owner.find(dm.source);
    if (o == st.pins_by_owner.end())
      return;
    for (auto id : o->second)
      st.pins.erase(id);
    st.pins_by_owner.erase(o);
  });
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
      [=](pin_atom) { return pin_snapshot(self); },
      [=](unpin_atom, pin p) { unpin(self, p); },
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

void register_types(caf::actor_system_config& cfg) {
  cfg.add_message_type<key>("kvmem::key");
  cfg.add_message_type<bytes>("kvmem::bytes");
  cfg.add_message_type<ptime>("kvmem::ptime");
  cfg.add_message_type<digest>("kvmem::digest");
  cfg.add_message_type<kind>("kvmem::kind");
  cfg.add_message_type<listing>("kvmem::listing");
  cfg.add_message_type<write_op>("kvmem::write_op");
  cfg.add_message_type<std::vector<write_op>>("std::vector<kvmem::write_op>");
  cfg.add_message_type<commit>("kvmem::commit");
  cfg.add_message_type<snapshot>("kvmem::snapshot");
  cfg.add_message_type<pin>("kvmem::pin");
  cfg.add_message_type<store_info>("kvmem::store_info");
  cfg.add_message_type<presence>("kvmem::presence");
  cfg.add_error_category(error_category,
                         [](std::uint8_t code, caf::atom_value, const caf::message& ctx) {
                           return from_caf(caf::error{code, error_category, ctx}).message();
                         });
}

} // namespace kvmem
