#include "values.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <utility>

#include <fmt/format.h>

namespace kvmem::cli {

std::optional<std::uint64_t> parse_uint(std::string_view s, std::uint64_t lo, std::uint64_t hi) {
  // from_chars accepts no sign, space or base prefix for unsigned types, and
  // reports overflow; checking the end rejects "12abc".
  std::uint64_t v = 0;
  if (s.empty() || s[0] < '0' || s[0] > '9')
    return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || end != s.data() + s.size() || v < lo || v > hi)
    return std::nullopt;
  return v;
}

std::optional<endpoint> parse_endpoint(std::string_view s, std::string* why) {
  auto colon = s.rfind(':');
  if (colon == std::string_view::npos) {
    *why = "expected HOST:PORT";
    return std::nullopt;
  }
  auto host = s.substr(0, colon);
  auto port = s.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  if (host.empty()) {
    *why = "the host is missing (expected HOST:PORT)";
    return std::nullopt;
  }
  auto p = parse_uint(port, 1, 65535);
  if (!p) {
    *why = fmt::format("port \"{}\" is not a number from 1 to 65535", port);
    return std::nullopt;
  }
  return endpoint{std::string(host), static_cast<std::uint16_t>(*p)};
}

std::optional<std::uint64_t> parse_size(std::string_view s) {
  if (s == "unlimited")
    return std::numeric_limits<std::uint64_t>::max();
  auto digits = s.find_first_not_of("0123456789");
  auto unit = digits == std::string_view::npos ? std::string_view{} : s.substr(digits);
  auto n = parse_uint(s.substr(0, digits), 0, std::numeric_limits<std::uint64_t>::max());
  if (!n)
    return std::nullopt;
  static constexpr std::uint64_t ki = 1024;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 15> units{{
      {"", 1},
      {"B", 1},
      {"k", ki},
      {"K", ki},
      {"KiB", ki},
      {"KB", 1000},
      {"M", ki * ki},
      {"MiB", ki * ki},
      {"MB", 1'000'000},
      {"G", ki * ki * ki},
      {"GiB", ki * ki * ki},
      {"GB", 1'000'000'000},
      {"T", ki * ki * ki * ki},
      {"TiB", ki * ki * ki * ki},
      {"TB", 1'000'000'000'000},
  }};
  for (auto [name, factor] : units)
    if (unit == name) {
      if (*n > std::numeric_limits<std::uint64_t>::max() / factor)
        return std::nullopt;
      return *n * factor;
    }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) {
  auto digits = s.find_first_not_of("0123456789");
  if (digits == std::string_view::npos)
    return std::nullopt; // no unit
  auto n = parse_uint(s.substr(0, digits), 0, std::numeric_limits<std::uint64_t>::max());
  if (!n)
    return std::nullopt;
  static constexpr std::array<std::pair<std::string_view, std::uint64_t>, 5> units{{
      {"ms", 1},
      {"s", 1'000},
      {"m", 60'000},
      {"h", 3'600'000},
      {"d", 86'400'000},
  }};
  // milliseconds::rep is signed 64-bit: stay below its maximum.
  constexpr auto most = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  for (auto [name, factor] : units)
    if (s.substr(digits) == name) {
      if (*n > most / factor)
        return std::nullopt;
      return std::chrono::milliseconds(static_cast<std::int64_t>(*n * factor));
    }
  return std::nullopt;
}

} // namespace kvmem::cli
