// What the store's files share (internal): names numbered by a version, and
// the error that names a damaged file and the offset of the damage.
#pragma once

#include <charconv>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/core.h>

#include "kvmem/error.hpp"
#include "kvmem/version.hpp"

namespace kvmem::detail {

/// "<prefix><v, 20 digits><suffix>": names that sort in version order.
inline std::string numbered_name(std::string_view prefix, version_t v, std::string_view suffix) {
  return fmt::format("{}{:020}{}", prefix, v, suffix);
}

/// The version a numbered_name names, or nullopt for any other name.
inline std::optional<version_t> parse_numbered_name(std::string_view name, std::string_view prefix,
                                                    std::string_view suffix) {
  if (name.size() != prefix.size() + 20 + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix))
    return std::nullopt;
  auto digits = name.substr(prefix.size(), 20);
  version_t v = 0;
  auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || p != digits.data() + digits.size())
    return std::nullopt;
  return v;
}

/// errc::corrupt: "<file> at offset <off>: <what>".
inline error corrupt_at(std::string_view file, std::uint64_t off, std::string_view what) {
  return error::make(errc::corrupt, fmt::format("{} at offset {}: {}", file, off, what));
}

} // namespace kvmem::detail
