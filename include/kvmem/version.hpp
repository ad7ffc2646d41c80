// kvmem::version_t — a store version.
#pragma once

#include <cstdint>

namespace kvmem {

/// A store's version: 0 when it starts, and one more after every write or
/// batch commit that changes something (and after nothing else).
using version_t = std::uint64_t;

} // namespace kvmem
