// Keys owned by an actor: a set with an owner makes the actor the key's
// owner; when the owner terminates (or its remote link drops, which kills
// its proxy), the store removes every key it still owns in one commit.
//
// Ownership ends with any other write to the key (a set without that owner —
// as etcd's put without a lease), with its removal or the removal of an
// ancestor, and with a rename of it or an ancestor (a moved key is a new key,
// with new versions; see docs/watch.md).
#include "store/store_state.hpp"

namespace kvmem::detail {

namespace {

// Ends the ownership of k (and, with `below`, of every key under it).
void release(store_self self, const key& k, bool below) {
  auto& st = self->state;
  for (auto i = st.owned.lower_bound(k); i != st.owned.end();) {
    if (below ? !k.is_prefix_of(i->first) : i->first != k)
      break;
    auto o = st.owned_by.find(i->second);
    if (o != st.owned_by.end()) {
      o->second.erase(i->first);
      if (o->second.empty()) {
        auto who = o->first;
        st.owned_by.erase(o);
        demonitor_if_unused(self, who);
      }
    }
    i = st.owned.erase(i);
  }
}

} // namespace

void update_owners(store_self self, const commit_record& rec,
                   const std::vector<std::pair<key, caf::actor>>& owners) {
  auto& st = self->state;
  if (!st.owned.empty())
    for (auto& e : rec.effects)
      release(self, e.path, e.op != change_op::set);
  for (auto& [k, owner] : owners) {
    if (!owner || !st.root.exists(k))
      continue;
    auto addr = owner.address();
    auto& keys = st.owned_by[addr];
    if (keys.empty() && !st.holds_any(addr))
      self->monitor(owner);
    keys.insert(k);
    st.owned[k] = addr;
  }
}

void release_owned_on_failure(store_self self, const commit_record& rec) noexcept {
  for (auto& e : rec.effects) {
    try {
      release(self, e.path, true);
    } catch (...) {
    }
  }
}

void owner_down(store_self self, const caf::actor_addr& who) {
  auto& st = self->state;
  auto o = st.owned_by.find(who);
  if (o == st.owned_by.end())
    return;
  std::vector<write_op> ops;
  for (auto& k : o->second) { // in key order: a removed ancestor makes its keys' removes no-ops
    ops.push_back(write_op::remove(k));
    st.owned.erase(k);
  }
  st.owned_by.erase(o);
  commit_internal(self, std::move(ops)); // one commit: watchers see one version
}

} // namespace kvmem::detail
