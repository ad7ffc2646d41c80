// The compiled half of kvmem's formatters (see kvmem/detail/format.hpp).
#include "kvmem/detail/format.hpp"

#include <fmt/format.h>

namespace kvmem::detail {

fmt::format_context::iterator format_string(const fmt::formatter<std::string_view>& spec,
                                            std::string_view s, fmt::format_context& ctx) {
  return spec.format(s, ctx);
}

} // namespace kvmem::detail
