// Pinned snapshots: what remote batches read through messages.
#include "store/store_state.hpp"

namespace kvmem::detail {

caf::result<snapshot> pin_snapshot(store_self self) {
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

void unpin(store_self self, pin p) {
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
