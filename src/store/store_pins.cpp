// Pinned snapshots: what remote batches read through messages.
#include <fmt/core.h>

#include "store/store_state.hpp"

namespace kvmem::detail {

// Every pin has an owner whose termination releases it (the store monitors
// owners), so a pin can never outlive every actor that could release it. A
// sender without an address (anon_send) could never be monitored: refused.
// Each owner holds at most max_pins_per_owner, and the actors of one other
// process together max_pins_per_node, so that one client cannot take every
// pin from the others.
result<snapshot> pin_root(store_self self, const tree& root, version_t v) {
  auto& st = self->state;
  auto sender = self->current_sender();
  if (!sender)
    return error::make(errc::invalid_argument, "a snapshot pin needs a sender that can be monitored");
  auto owner = sender->address();
  auto& mine = st.pins_by_owner[owner];
  if (mine.size() >= st.opts.max_pins_per_owner || st.pins.size() >= st.opts.max_pins ||
      !st.by_node.allows(sender->node(), node_quota::pins, st.opts.max_pins_per_node)) {
    if (mine.empty())
      st.pins_by_owner.erase(owner);
    return error::make(
        errc::invalid_argument,
        fmt::format("too many pinned snapshots (limits: {} per client, {} per process, {} in all)",
                    st.opts.max_pins_per_owner, st.opts.max_pins_per_node, st.opts.max_pins));
  }
  if (mine.empty() && !st.holds_any(owner))
    self->monitor(sender);
  auto id = st.next_pin++;
  mine.push_back(id);
  st.pins.emplace(id, store_state::pinned_snapshot{root, owner});
  st.by_node.take(owner.node(), node_quota::pins);
  return snapshot{v, pin{id}};
}

caf::result<snapshot> pin_snapshot(store_self self) {
  auto r = pin_root(self, self->state.root, self->state.version);
  if (!r)
    return to_caf(r.error());
  return std::move(*r);
}

void unpin(store_self self, pin p) {
  auto& st = self->state;
  auto i = st.pins.find(p.id);
  if (i == st.pins.end())
    return;
  auto owner = i->second.owner;
  auto sender = self->current_sender();
  if (!sender || sender->address() != owner)
    return; // only the owner releases a pin (ids are guessable)
  st.pins.erase(i);
  st.by_node.give_back(owner.node(), node_quota::pins);
  if (auto o = st.pins_by_owner.find(owner); o != st.pins_by_owner.end()) {
    std::erase(o->second, p.id);
    if (o->second.empty()) {
      st.pins_by_owner.erase(o);
      demonitor_if_unused(self, owner);
    }
  }
}

void demonitor_if_unused(store_self self, const caf::actor_addr& who) {
  if (!self->state.holds_any(who))
    self->demonitor(who);
}

void drop_pins_of(store_self self, const caf::actor_addr& owner) {
  auto& st = self->state;
  auto o = st.pins_by_owner.find(owner);
  if (o == st.pins_by_owner.end())
    return;
  for (auto id : o->second) {
    st.pins.erase(id);
    st.by_node.give_back(owner.node(), node_quota::pins);
  }
  st.pins_by_owner.erase(o);
}

const tree* pinned_root(store_self self, pin p) {
  auto i = self->state.pins.find(p.id);
  return i == self->state.pins.end() ? nullptr : &i->second.root;
}

} // namespace kvmem::detail
