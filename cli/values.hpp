// Strict parsers for the values of the CLI's options. Each accepts exactly
// the documented forms (docs/cli.md) and reports anything else, so that a
// typo never becomes a different number: no sign, no whitespace, no
// trailing characters, no silent wrap-around or truncation.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kvmem::cli {

/// A decimal whole number in [lo, hi]; nullopt for anything else.
std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t lo, std::uint64_t hi);

/// host:port as given to --connect or $KVMEM_CONNECT.
struct endpoint {
  std::string host;
  std::uint16_t port = 0;
};

/// Parses HOST:PORT (PORT in 1..65535; an IPv6 host in brackets: [::1]:7470).
/// On error returns nullopt and sets *why to the reason, e.g. "port \"12abc\"
/// is not a number from 1 to 65535".
std::optional<endpoint> parse_endpoint(std::string_view s, std::string* why);

/// A size in bytes: a whole number with an optional unit, k/K/KiB, M/MiB,
/// G/GiB, T/TiB (powers of 1024) or KB, MB, GB, TB (powers of 1000), or
/// "unlimited" (UINT64_MAX). Overflow is an error.
std::optional<std::uint64_t> parse_size(std::string_view s);

/// A duration: a whole number and a unit, ms, s, m (minutes), h or d
/// (days): "500ms", "30s", "5m". The unit is required (a bare "30" could be
/// seconds or milliseconds); overflow is an error.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s);

/// The range of serve --history-age: none (0s) to a year. Each version
/// younger than this is kept, so the bound is on memory, not on taste.
inline constexpr std::uint64_t max_history_age_ms = 365ull * 86'400'000;
/// The most versions serve --history retains.
inline constexpr std::uint64_t max_history_versions = 1'000'000'000;

/// The range of --timeout and --connect-timeout, in milliseconds: a wait of
/// at least 1 ms and at most a day (a deadline is never "none").
inline constexpr std::uint64_t min_timeout_ms = 1;
inline constexpr std::uint64_t max_timeout_ms = 86'400'000;

} // namespace kvmem::cli
