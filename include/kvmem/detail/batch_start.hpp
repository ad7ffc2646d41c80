// Starting a batch actor (internal): what the run_batch template of
// actor_client.hpp needs to see. The machinery is in src/batch/.
#pragma once

#include <functional>

#include <caf/actor_system.hpp>
#include <caf/message_id.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "kvmem/batch.hpp"
#include "kvmem/store.hpp"

namespace kvmem::detail {

using run_atom = caf::atom_constant<caf::atom("kv_run")>;

/// A batch actor: runs one batch when asked with run_atom, and replies with
/// the version its last attempt committed (or read, for a batch without
/// writes), or with the batch's error.
using batch_actor = caf::typed_actor<caf::replies_to<run_atom>::with<version_t>>;

/// Spawns a batch actor for `body` against `s` (detached unless
/// s.options().detached_batches is false). Precondition: retries >= 1.
batch_actor spawn_batch(caf::actor_system& sys, const store& s,
                        std::function<void(batch_view&)> body, int retries);

/// Makes sure `requester` gets an answer to its request `mid` to `b` even if
/// `b` is killed before replying: then it gets errc::unavailable. (A killed
/// actor drops the promises it holds, and CAF 0.17 never answers them.)
void answer_if_killed(const batch_actor& b, caf::strong_actor_ptr requester, caf::message_id mid);

} // namespace kvmem::detail
