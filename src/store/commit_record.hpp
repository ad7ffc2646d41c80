// The store's record of one commit (internal): what everything that follows
// a commit reads — change feeds (store_feeds.cpp), keys owned by an actor
// (store_owners.cpp), and a journal or a replica.
//
// It is produced once, by the one write path (store_commit.cpp), from what
// the tree reports as it applies each write (tree.hpp, "effects"): nothing
// downstream works out again what a write did.
#pragma once

#include <cstddef>
#include <span>

#include "kvmem/change.hpp"
#include "kvmem/tree.hpp"
#include "kvmem/write_op.hpp"

namespace kvmem::detail {

struct commit_record {
  /// The commit's time and the version it made.
  stamp at;
  /// Its writes as requested, in order (a no-op among them included).
  std::span<const write_op> writes;
  /// What they changed, in order: the tree's effects of each write (empty
  /// unless the store needed them: someone watches or owns keys).
  change_list effects;
};

} // namespace kvmem::detail
