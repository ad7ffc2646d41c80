// Making value nodes (internal).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "kvmem/detail/nodes.hpp"

namespace kvmem::detail {

/// The largest value kvmem will try to allocate (2^48 bytes); anything
/// larger is refused as no_space without asking the allocator.
inline constexpr std::uint64_t max_value_size = std::uint64_t{1} << 48;

/// A new node of `n` uninitialised bytes, count 1. Throws std::bad_alloc.
value_node* alloc_value(std::uint64_t n);
/// A new node holding a copy of `s`, count 1. Throws std::bad_alloc.
value_node* make_value(std::string_view s);

} // namespace kvmem::detail
