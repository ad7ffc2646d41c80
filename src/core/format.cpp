// The compiled half of kvmem's formatters (see kvmem/detail/format.hpp).
#include "kvmem/detail/format.hpp"

#include <fmt/format.h>

namespace kvmem::detail {

fmt::format_context::iterator format_string(const fmt::formatter<std::string_view>& spec,
                                            std::string_view s, fmt::format_context& ctx) {
  return spec.format(s, ctx);
}

// g++ 12 at -O3 reports a false -Wstringop-overflow in fmt 9's fill_t, once
// inlined here (GCC bug 105746; fmt's loop writes at most the 4 bytes it
// checked for).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif
fmt::format_parse_context::iterator parse_string_spec(fmt::formatter<std::string_view>& spec,
                                                      fmt::format_parse_context& ctx) {
  return spec.parse(ctx);
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

} // namespace kvmem::detail
