// kvmem::kind — what a key holds: a value (bytes) or a dictionary.
#pragma once

#include <cstdint>
#include <string_view>

#include "kvmem/detail/format.hpp"

namespace kvmem {

/// The kind of an entry. The codes are stable (they travel over the network).
enum class kind : std::uint8_t { value = 1, dictionary = 2 };

/// True for the codes above. CAF 0.17 decodes an enum from any byte of its
/// underlying type without checking it (and cannot fail a load without
/// throwing), so whoever takes a kind from a peer checks it with this; the
/// clients do, for every reply that holds one.
constexpr bool is_valid(kind k) noexcept { return k == kind::value || k == kind::dictionary; }

/// "value" or "dictionary".
constexpr std::string_view to_string(kind k) noexcept {
  return k == kind::value ? "value" : "dictionary";
}

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::kind> : kvmem::detail::to_string_formatter<kvmem::kind> {};
