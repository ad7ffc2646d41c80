// Pinned snapshots: what remote batches read through messages.
#include <fmt/core.h>

#include "store/store_state.hpp"

namespace kvmem::detail {

// Every pin has an owner whose termination releases it (the store monitors
// owners), so a pin can never outlive every actor that could release it. A
// sender without an address (anon_send) could never be monitored: refused.
// Each owner holds at most max_pins_per_owner, so that one client cannot
// take every pin from the others.
caf::result<snapshot> pin_snapshot(store_self self) {
  auto& st = self->state;
  auto sender = self->current_sender();
  if (!sender)
    return to_caf(error::make(errc::invalid_argument,
                              "a snapshot pin needs a sender that can be monitored"));
  auto owner = sender->address();
  auto& mine = st.pins_by_owner[owner];
  if (mine.size() >= st.opts.max_pins_per_owner || st.pins.size() >= st.opts.max_pins) {
    if (mine.empty())
      st.pins_by_owner.erase(owner);
    return to_caf(error::make(
        errc::invalid_argument,
        fmt::format("too many pinned snapshots (limits: {} per client, {} in all)",
                    st.opts.max_pins_per_owner, st.opts.max_pins)));
  }
  if (mine.empty())
    self->monitor(sender);
  auto id = st.next_pin++;
  mine.push_back(id);
  st.pins.emplace(id, store_state::pinned_snapshot{st.root, owner});
  return snapshot{st.version, st.root, pin{id}};
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
  if (auto o = st.pins_by_owner.find(owner); o != st.pins_by_owner.end()) {
    std::erase(o->second, p.id);
    if (o->second.empty()) {
      self->demonitor(owner);
      st.pins_by_owner.erase(o);
    }
  }
}

void drop_pins_of(store_self self, const caf::actor_addr& owner) {
  auto& st = self->state;
  auto o = st.pins_by_owner.find(owner);
  if (o == st.pins_by_owner.end())
    return;
  for (auto id : o->second)
    st.pins.erase(id);
  st.pins_by_owner.erase(o);
}

const tree* pinned_root(store_self self, pin p) {
  auto i = self->state.pins.find(p.id);
  return i == self->state.pins.end() ? nullptr : &i->second.root;
}

} // namespace kvmem::detail
