// kvmem::diff — what changed between two trees, without looking at what they
// share. No CAF.
#pragma once

#include "kvmem/change.hpp"
#include "kvmem/tree.hpp"

namespace kvmem {

/// The changes that turn `a` into `b` under `prefix` (the prefix itself
/// included), in key order, as coalesced events stamped `version`:
///   - set(k, value): k holds a value in b that is new, or differs from a's
///     (other bytes, or other versions: a rewrite of the same bytes counts);
///   - dictionary(k): k holds a dictionary in b that a did not have there
///     (new, replacing a value, or re-created: another `created` version);
///     nothing below it is listed — its contents are b's;
///   - remove(k): k is gone in b (one event for a whole subtree).
/// A key whose entry is the same in both (same version, same node) is not
/// listed. Subtrees the two trees share — the same node reached by the same
/// path — are skipped in O(1), so the cost is proportional to the changes
/// (times log n of the dictionaries they are in), not to the size of the
/// trees: diff(t, t) looks at nothing below the prefix's entry.
change_list diff(const tree& a, const tree& b, const key& prefix = {}, version_t version = 0);

/// About how many bytes of memory `a` holds that `b` does not share: the
/// nodes (entries, dictionaries, values with their bytes) reachable from a's
/// root and not from the same place in b's. What keeping `a` costs while `b`
/// is kept anyway (e.g. an old version retained beside the current one).
/// Cost proportional to the differences, as diff's.
std::uint64_t unshared_bytes(const tree& a, const tree& b);

} // namespace kvmem
