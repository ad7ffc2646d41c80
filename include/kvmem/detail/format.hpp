// One fmt::formatter for every kvmem vocabulary type (internal).
//
// A type T gets `fmt::format("{}", x)` by declaring an ADL-visible
// `to_string(const T&)` (returning std::string or std::string_view) and
// specialising fmt::formatter<T> as `kvmem::detail::to_string_formatter<T>`.
// Width, fill and alignment work as for strings. Only <fmt/core.h> is
// included: the formatting itself is compiled once, in the library
// (src/core/format.cpp), as fmt's own front ends do.
#pragma once

#include <string_view>
#include <type_traits>

#include <fmt/core.h>

namespace kvmem::detail {

/// Writes `s` to `ctx` with the string format spec parsed into `spec`.
fmt::format_context::iterator format_string(const fmt::formatter<std::string_view>& spec,
                                            std::string_view s, fmt::format_context& ctx);

/// Parses a string format spec into `spec` at run time.
fmt::format_parse_context::iterator parse_string_spec(fmt::formatter<std::string_view>& spec,
                                                      fmt::format_parse_context& ctx);

template <class T>
struct to_string_formatter : fmt::formatter<std::string_view> {
  // Compile-time format string checks parse here; at run time the library
  // parses (once, in src/core/format.cpp): inlined into every caller, fmt 9's
  // fill_t made g++ 12 -O3 report a false -Wstringop-overflow in each.
  template <class ParseContext>
  constexpr auto parse(ParseContext& ctx) -> decltype(ctx.begin()) {
    if (std::is_constant_evaluated())
      return fmt::formatter<std::string_view>::parse(ctx);
    return parse_string_spec(*this, ctx);
  }
  auto format(const T& x, fmt::format_context& ctx) const {
    const auto& s = to_string(x); // ADL; a temporary lives until the ';'
    return format_string(*this, std::string_view{s}, ctx);
  }
};

} // namespace kvmem::detail
