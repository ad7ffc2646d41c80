// Counting heap allocations (the ALLOC rows): this program replaces the
// global operator new, which counts (on every thread) while a
// counting_scope is alive and otherwise costs one relaxed atomic load.
#pragma once

#include <cstdint>

namespace bench {

struct alloc_counts {
  std::uint64_t allocations = 0, bytes = 0;
};

/// Counts the allocations of every thread from construction on.
class counting_scope {
public:
  counting_scope();
  ~counting_scope();
  counting_scope(const counting_scope&) = delete;
  counting_scope& operator=(const counting_scope&) = delete;
  /// What was allocated since construction.
  alloc_counts so_far() const;

private:
  alloc_counts start_;
};

} // namespace bench
