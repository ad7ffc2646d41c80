// kvmem::bytes: the handle of a value node (the tree's leaves).
#include "kvmem/bytes.hpp"

#include <cstring>

#include "tree/value.hpp"

namespace kvmem {

bytes::bytes(std::string_view s) : n_(s.empty() ? nullptr : detail::make_value(s)) {}

bytes bytes::uninitialized(std::uint64_t n) {
  if (n == 0)
    return {};
  return detail::bytes_access::adopt(detail::alloc_value(n));
}

bytes bytes::zeros(std::uint64_t n) {
  if (n == 0)
    return {};
  auto* v = detail::alloc_value(n);
  std::memset(v->data(), 0, static_cast<std::size_t>(n));
  return detail::bytes_access::adopt(v);
}

} // namespace kvmem
