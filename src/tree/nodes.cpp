// Names, value nodes and the shared empty dictionary (their destruction is
// node_release.cpp).
#include "tree/nodes.hpp"
#include "tree/value.hpp"

#include <cstring>
#include <new>

namespace kvmem::detail {

seg_name::seg_name(std::string_view s) : size_(s.size()) {
  if (is_inline()) {
    if (!s.empty())
      std::memcpy(u_.chars, s.data(), s.size());
    return;
  }
  void* mem = ::operator new(sizeof(shared_chars) + s.size());
  u_.shared = new (mem) shared_chars;
  std::memcpy(u_.shared->data(), s.data(), s.size());
}

void seg_name::drop() noexcept {
  if (u_.shared->rc.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    u_.shared->~shared_chars();
    ::operator delete(u_.shared);
  }
}

dict_node* empty_dict() noexcept {
  static dict_node shared; // holds one reference of its own forever
  retain(&shared);
  return &shared;
}

value_node* make_value(std::string_view s) {
  auto* v = alloc_value(s.size());
  if (!s.empty())
    std::memcpy(v->data(), s.data(), s.size());
  return v;
}

value_node* alloc_value(std::uint64_t n) {
  if (n > max_value_size)
    throw std::bad_alloc();
  void* mem = ::operator new(sizeof(value_node) + static_cast<std::size_t>(n));
  return new (mem) value_node(n);
}

} // namespace kvmem::detail
