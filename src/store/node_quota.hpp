// What the actors of each other process hold in the store together
// (internal): pins and subscriptions, counted per peer node, so that one
// process cannot take them all by spawning actors (per-actor limits alone
// let 260 actors of one peer hold every pin). Actors of the store's own
// process are not counted: they are the application.
#pragma once

#include <array>
#include <cstddef>
#include <unordered_map>

#include <caf/node_id.hpp>

namespace kvmem::detail {

class node_quota {
public:
  enum what : std::size_t { pins = 0, subscriptions = 1 };

  void set_local(caf::node_id local) { local_ = std::move(local); }

  /// Whether an actor of node `who` may take one more `w`, the limit being
  /// `limit` per node. Always for the local node.
  bool allows(const caf::node_id& who, what w, std::size_t limit) const {
    if (who == local_)
      return true;
    auto i = held_.find(who);
    return i == held_.end() || i->second[w] < limit;
  }
  /// Counts one more `w` held by node `who` (nothing for the local node).
  void take(const caf::node_id& who, what w) {
    if (who != local_)
      ++held_[who][w];
  }
  /// Counts one `w` of node `who` released.
  void give_back(const caf::node_id& who, what w) noexcept {
    auto i = held_.find(who);
    if (i == held_.end())
      return;
    if (i->second[w] > 0)
      --i->second[w];
    if (i->second[pins] == 0 && i->second[subscriptions] == 0)
      held_.erase(i);
  }
  /// What node `who` holds (for tests and info).
  std::size_t held(const caf::node_id& who, what w) const noexcept {
    auto i = held_.find(who);
    return i == held_.end() ? 0 : i->second[w];
  }

private:
  caf::node_id local_;
  std::unordered_map<caf::node_id, std::array<std::size_t, 2>> held_;
};

} // namespace kvmem::detail
