// The store actor's state and the pieces of its implementation shared by
// its files (internal): store.cpp (the behavior), store_commit.cpp (the one
// write path) and store_pins.cpp (pinned snapshots).
#pragma once

#include <unordered_map>
#include <vector>

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>

#include "kvmem/store.hpp"
#include "store/published.hpp"

namespace kvmem::detail {

struct store_state {
  tree root;
  version_t version = 0;
  any_clock clock;
  store_options opts;
  std::shared_ptr<published> pub;
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

/// An error reply for an exception escaping a handler (errc::internal).
caf::error internal_error(const char* what);

// --- the write path (store_commit.cpp) -------------------------------------

/// Applies c.ops in order, all or nothing, as one new version if any of them
/// changed something; replies with the version after it (or the error of the
/// first write that failed, nothing applied). The commit must be admitted
/// first: its requirements hold (else version_mismatch), and if the store
/// moved past c.base, its reads are still current (else conflict; see
/// messages.hpp). Every write — single or batch — goes through here: same
/// limits, same application, same publishing (before the reply), same reply.
caf::result<version_t> commit_writes(store_self self, const commit& c);
/// One write, unconditional on the store's version (its own precondition, if
/// any, is checked as it is applied).
caf::result<version_t> commit_write(store_self self, write_op w);

// --- pinned snapshots (store_pins.cpp) -------------------------------------

/// Pins the current root for reads by message (pin_atom); the pin belongs to
/// the current sender, whom the store monitors.
caf::result<snapshot> pin_snapshot(store_self self);
/// Releases a pin (unpin_atom) if the sender owns it; others are ignored.
void unpin(store_self self, pin p);
/// Releases every pin of an actor that terminated.
void drop_pins_of(store_self self, const caf::actor_addr& owner);
/// The root of a pinned snapshot, or null if the pin is unknown or released.
const tree* pinned_root(store_self self, pin p);

} // namespace kvmem::detail
