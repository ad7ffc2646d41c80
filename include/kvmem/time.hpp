// kvmem::ptime — a POSIX time stamp as mirage-kv has it (Ptime.t / d_ps).
//
// (days, ps): `days` is a signed number of POSIX days since 1970-01-01 and
// `ps` a number of picoseconds into that day, in [0, 86'399'999'999'999'999].
// Plain value type; thread-safe to copy and share.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>

#include "kvmem/detail/format.hpp"

namespace kvmem {

struct ptime {
  static constexpr std::int64_t ps_per_day = 86'400'000'000'000'000;

  std::int64_t days = 0;
  std::int64_t ps = 0;

  /// A normalised time; returns nullopt if ps is outside [0, ps_per_day).
  static std::optional<ptime> of_d_ps(std::int64_t days, std::int64_t ps) noexcept;

  /// Exact conversion from a system_clock time point (whose period divides a
  /// second into at most 10^12 parts, which holds for libstdc++'s ns).
  static ptime from_time_point(std::chrono::system_clock::time_point tp) noexcept;

  /// Conversion to a system_clock time point; sub-tick picoseconds are
  /// truncated toward the past (floor), so from_time_point(to_time_point(t))
  /// == t whenever t came from a time point.
  std::chrono::system_clock::time_point to_time_point() const noexcept;

  /// RFC 3339 in UTC, e.g. "2026-11-25T14:30:17Z", with a fractional part
  /// only when the time has one ("...:17.25Z", up to 12 digits).
  std::string to_rfc3339() const;

  friend auto operator<=>(const ptime&, const ptime&) = default;
};

/// t.to_rfc3339(), for fmt and generic code.
inline std::string to_string(const ptime& t) { return t.to_rfc3339(); }

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::ptime> : kvmem::detail::to_string_formatter<kvmem::ptime> {};
