// What a write did, as change events (internal): for change feeds and for
// keeping track of owned keys. Computed only when someone needs them.
#pragma once

#include "kvmem/change.hpp"
#include "kvmem/tree.hpp"
#include "kvmem/write_op.hpp"

namespace kvmem::detail {

/// What must be known of the tree before a write to describe it after.
struct write_preview {
  std::optional<kind> at_k; // what k (rename: the source) held
  key target;               // rename: where the source goes (dst, or dst/basename(src))
};

/// Looks at `t` just before `w` is applied to it.
write_preview preview(const tree& t, const write_op& w);

/// Appends the events of `w`, which changed `t` (now after it), stamped `v`.
void describe(const tree& t, const write_op& w, const write_preview& p, version_t v,
              change_list& out);

/// True if an event at `k` concerns a watcher of `prefix`: k is at or below
/// the prefix, or above it (writing or removing an ancestor replaces it).
inline bool concerns(const key& prefix, const key& k) noexcept {
  return prefix.is_prefix_of(k) || k.is_prefix_of(prefix);
}

} // namespace kvmem::detail
