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

#include <fmt/core.h>

namespace kvmem::detail {

/// Writes `s` to `ctx` with the string format spec parsed into `spec`.
fmt::format_context::iterator format_string(const fmt::formatter<std::string_view>& spec,
                                            std::string_view s, fmt::format_context& ctx);

template <class T>
struct to_string_formatter : fmt::formatter<std::string_view> {
  auto format(const T& x, fmt::format_context& ctx) const {
    const auto& s = to_string(x); // ADL; a temporary lives until the ';'
    return format_string(*this, std::string_view{s}, ctx);
  }
};

} // namespace kvmem::detail
