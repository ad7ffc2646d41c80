// Read-set validation (internal): may a batch's commit, made against the
// snapshot `base`, apply to the store's current tree?
#pragma once

#include <vector>

#include "kvmem/messages.hpp"

namespace kvmem::detail {

/// True if every read in `reads` would return in `now` exactly what it
/// returned in `base`. Each read is compared through what its result
/// depends on — the key's presence (or why it is absent) and one effective
/// version (tree.hpp, "versions") — in O(depth) per read, never by
/// comparing values or listings.
bool reads_current(const tree& base, const tree& now, const std::vector<read_op>& reads);

} // namespace kvmem::detail
