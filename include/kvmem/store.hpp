// The store: one CAF actor owning a kvmem::tree, and how to start one.
//
// kvmem::store_actor is the typed interface; every operation of the tree is
// one message, failures come back through CAF's error path as caf::error of
// category "kvmem" (kvmem::from_caf turns them back into kvmem::error), so
// `self->request(store.actor, caf::infinite, kvmem::get_atom::value, k)
//    .then([](const kvmem::bytes& v) {...}, [](caf::error& e) {...})`
// works for CAF code. Writes reply with the store's version after the write.
//
// Readers in other processes cannot share the tree's memory: a remote batch
// pins a snapshot (pin_atom), reads it with the pinned variants of the read
// messages, and unpins it; the store also drops the pins of an actor that
// terminates (a remote client whose connection is gone).
//
// The store keeps a version that moves by one on every successful write and
// every successful batch commit, and never otherwise: failed writes and
// no-ops (removing an absent key, renaming a value onto itself, a batch of
// only such writes) move neither the tree nor the version. Before replying
// to a write, a local store publishes its new root, so blocking clients in
// the same process read without sending a message (see client.hpp). The
// store never dies from a client's mistake: bad arguments get error replies,
// exceptions in handlers become error replies, replies to dead clients are
// dropped.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "kvmem/clock.hpp"
#include "kvmem/messages.hpp"

namespace kvmem {

using store_actor = caf::typed_actor<
    caf::replies_to<exists_atom, key>::with<presence>,
    caf::replies_to<get_atom, key>::with<bytes>,
    caf::replies_to<get_partial_atom, key, std::uint64_t, std::uint64_t>::with<bytes>,
    caf::replies_to<size_atom, key>::with<std::uint64_t>,
    caf::replies_to<list_atom, key>::with<listing>,
    caf::replies_to<last_modified_atom, key>::with<ptime>,
    caf::replies_to<digest_atom, key>::with<digest>,
    caf::replies_to<set_atom, key, bytes>::with<version_t>,
    caf::replies_to<set_partial_atom, key, std::uint64_t, bytes>::with<version_t>,
    caf::replies_to<remove_atom, key>::with<version_t>,
    caf::replies_to<rename_atom, key, key>::with<version_t>,
    caf::replies_to<allocate_atom, key, std::uint64_t>::with<version_t>,
    caf::replies_to<allocate_atom, key, std::uint64_t, ptime>::with<version_t>,
    caf::replies_to<snapshot_atom>::with<snapshot>,
    caf::replies_to<commit_atom, commit>::with<version_t>,
    caf::replies_to<version_atom>::with<version_t>,
    caf::replies_to<info_atom>::with<store_info>,
    // Pinned snapshots, for readers in other processes (remote batches):
    caf::replies_to<pin_atom>::with<snapshot>,
    caf::reacts_to<unpin_atom, pin>,
    caf::replies_to<exists_atom, pin, key>::with<presence>,
    caf::replies_to<get_atom, pin, key>::with<bytes>,
    caf::replies_to<get_partial_atom, pin, key, std::uint64_t, std::uint64_t>::with<bytes>,
    caf::replies_to<size_atom, pin, key>::with<std::uint64_t>,
    caf::replies_to<list_atom, pin, key>::with<listing>,
    caf::replies_to<last_modified_atom, pin, key>::with<ptime>,
    caf::replies_to<digest_atom, pin, key>::with<digest>>;

struct store_options {
  /// Bytes of values plus segment names the store may hold (no_space beyond).
  std::uint64_t capacity = unlimited;
  /// Largest batch: number of buffered writes, and bytes of keys and data.
  std::size_t max_batch_writes = 1'000'000;
  std::uint64_t max_batch_bytes = std::uint64_t{1} << 30;
  /// Run the store on its own thread (spawn<detached>). A blocking client's
  /// round trip then costs two thread wake-ups, like a condition variable
  /// ping-pong, instead of waiting for a work-stealing worker to poll; see
  /// docs/benchmarks.md. Set false to run the store on CAF's scheduler.
  bool detached = true;
  /// Run each batch actor on its own thread. Needed whenever a batch
  /// function may block (e.g. call a blocking client); tests on CAF's
  /// deterministic test coordinator set it false.
  bool detached_batches = true;
  /// After replying to a write, a detached store polls its mailbox for up to
  /// this many microseconds before its thread goes to sleep, so that a
  /// client's next request finds it awake (no wake-up on either side).
  std::uint32_t linger_us = 20;
  /// Most snapshots pinned at once (by remote batches); more are refused.
  std::size_t max_pins = 4096;
};

namespace detail {
class published;
}

/// A running store: its typed actor, and for a store in this process, where
/// it publishes its current root. Cheap to copy; copies refer to one store.
struct store {
  store_actor actor;
  std::shared_ptr<const detail::published> local; // null for a remote store
  store_options options;
  /// Default bound on a blocking client's call (0: none); see remote.hpp.
  std::chrono::milliseconds call_timeout{0};
};

/// Spawns a store (mirage-kv-mem's `connect`): an empty root created at
/// clock.now(). The store lives until it is killed (e.g. with
/// caf::anon_send_exit(s.actor, caf::exit_reason::user_shutdown)); kill it
/// before its actor system is destroyed, which waits for it otherwise.
store spawn_store(caf::actor_system& sys, any_clock clock = {}, store_options opts = {});

/// Spawns a store holding `initial` (e.g. built offline with kvmem::tree)
/// at version 0. The capacity of opts applies to later writes.
store spawn_store(caf::actor_system& sys, tree initial, any_clock clock, store_options opts = {});

/// Registers kvmem's message types and error renderer on a config: needed
/// by both ends of a remote connection, harmless otherwise. Call before the
/// actor system is constructed.
void register_types(caf::actor_system_config& cfg);

} // namespace kvmem
