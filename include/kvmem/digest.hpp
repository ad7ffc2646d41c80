// kvmem::digest — a SHA-256 digest, as returned by tree/store digest().
//
// For a value: SHA-256 of its bytes (what `sha256sum` prints). For a
// dictionary: a Merkle digest of its sorted entries, see tree.hpp.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "kvmem/detail/format.hpp"

namespace kvmem {

struct digest {
  std::array<std::uint8_t, 32> bytes{};

  /// SHA-256 of `data` (libcrypto).
  static digest sha256(std::string_view data);
  /// Lower-case hex, 64 characters.
  std::string hex() const;
  /// The 32 raw bytes as a string (what Mirage_kv's digest returns).
  std::string raw() const { return std::string(bytes.begin(), bytes.end()); }

  friend auto operator<=>(const digest&, const digest&) = default;
};

/// d.hex(), for fmt and generic code.
inline std::string to_string(const digest& d) { return d.hex(); }

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::digest> : kvmem::detail::to_string_formatter<kvmem::digest> {};
