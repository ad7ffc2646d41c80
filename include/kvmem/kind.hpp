// kvmem::kind — what a key holds: a value (bytes) or a dictionary.
#pragma once

#include <cstdint>
#include <string_view>

#include "kvmem/detail/format.hpp"

namespace kvmem {

/// The kind of an entry. The codes are stable (they travel over the network).
enum class kind : std::uint8_t { value = 1, dictionary = 2 };

/// "value" or "dictionary".
constexpr std::string_view to_string(kind k) noexcept {
  return k == kind::value ? "value" : "dictionary";
}

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::kind> : kvmem::detail::to_string_formatter<kvmem::kind> {};
