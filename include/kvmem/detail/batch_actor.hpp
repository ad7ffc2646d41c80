// The batch actor (internal): runs one batch's attempts against a store.
// See batch.hpp for the protocol. Spawned detached, so a slow or blocking
// batch function never holds up CAF's workers, the store or other clients.
#pragma once

#include <functional>

#include <caf/actor_system.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "kvmem/batch.hpp"
#include "kvmem/store.hpp"

namespace kvmem {

using run_atom = caf::atom_constant<caf::atom("kv_run")>;

/// Replies with the version its last attempt committed (or read, for a
/// batch without writes), or with the batch's error.
using batch_actor = caf::typed_actor<caf::replies_to<run_atom>::with<version_t>>;

namespace detail {

struct batch_job {
  store target;
  std::function<void(batch_view&)> body;
  std::uint32_t retries = default_retries;
};

/// Spawns a batch actor for `job`; it waits for one run_atom request.
batch_actor spawn_batch(caf::actor_system& sys, batch_job job);

} // namespace detail
} // namespace kvmem
