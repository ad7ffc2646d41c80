// The store actor's state and the pieces of its implementation shared
// between src/store.cpp (the behavior, writes, commits) and
// src/store_pins.cpp (pinned snapshots). Internal.
#pragma once

#include <unordered_map>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "kvmem/detail/published.hpp"
#include "kvmem/store.hpp"

namespace kvmem::detail {

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

using store_self = store_actor::stateful_pointer<store_state>;

/// An error reply for a failure that is not one of the tree's.
caf::error unexpected(const char* what);

/// Pins the current root for reads by message (pin_atom); the pin belongs to
/// the current sender, whom the store monitors.
caf::result<snapshot> pin_snapshot(store_self self);
/// Releases a pin (unpin_atom); unknown pins are ignored.
void unpin(store_self self, pin p);
/// Releases every pin of an actor that terminated.
void drop_pins_of(store_self self, const caf::actor_addr& owner);
/// The root of a pinned snapshot, or null if the pin is unknown or released.
const tree* pinned_root(store_self self, pin p);

} // namespace kvmem::detail
