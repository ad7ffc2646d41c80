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

#include <fmt/format.h>

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

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::digest> : fmt::formatter<std::string_view> {
  template <class Ctx>
  auto format(const kvmem::digest& d, Ctx& ctx) const {
    return fmt::formatter<std::string_view>::format(d.hex(), ctx);
  }
};
