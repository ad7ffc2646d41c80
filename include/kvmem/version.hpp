// kvmem::version_t — a store version — and what conditional writes expect
// of a key's version.
#pragma once

#include <cstdint>

namespace kvmem {

/// A store's version: 0 when it starts, and one more after every write or
/// batch commit that changes something (and after nothing else). Every entry
/// of the tree records the versions that created and last modified it (see
/// tree::stat).
using version_t = std::uint64_t;

/// What a conditional write (or a batch's require) expects of a key: that
/// its entry has a given `modified` version (what stat reports), or that
/// the key is absent. On a mismatch the write fails with
/// errc::version_mismatch and changes nothing.
struct expect {
  bool absent = true;  // the key must be absent ...
  version_t version = 0; // ... or, if !absent, its modified version must be this

  /// The key must be absent (not a value, not a dictionary).
  static constexpr expect none() noexcept { return {true, 0}; }
  /// The key's entry must have modified version `v`.
  static constexpr expect modified(version_t v) noexcept { return {false, v}; }

  friend bool operator==(const expect&, const expect&) = default;
};

} // namespace kvmem
