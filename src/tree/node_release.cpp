// The iterative, allocation-free destruction of tree nodes: what runs when
// the last reference to a node goes (release_slow, value_node.hpp). Entry
// and dictionary blocks go back to the node cache (node_reserve.hpp).
#include <new>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tree/node_reserve.hpp"
#include "tree/nodes.hpp"

namespace kvmem::detail {

namespace {

thread_local std::uint64_t freed = 0; // trivially destructible: usable until the thread ends

void free_value(const value_node* v) noexcept {
  ++freed;
  delete v->memo.load(std::memory_order_acquire);
  v->~value_node();
  ::operator delete(const_cast<value_node*>(v));
}

// The dying nodes still to free, linked through a field each of them no
// longer needs (a dictionary's count, an entry's created version), so that
// freeing a tree of any shape allocates nothing and uses constant stack.
class dying_list {
public:
  void push(node_header* n) noexcept {
    set_next(n, head_);
    head_ = n;
  }
  node_header* pop() noexcept {
    node_header* n = head_;
    if (n)
      head_ = next(n);
    return n;
  }

private:
  static_assert(sizeof(std::uint64_t) >= sizeof(node_header*));
  static std::uint64_t& link(node_header* n) noexcept {
    return n->type == node_type::dict ? static_cast<dict_node*>(n)->count
                                      : static_cast<entry*>(n)->created;
  }
  static void set_next(node_header* n, node_header* next) noexcept {
    link(n) = reinterpret_cast<std::uintptr_t>(next);
  }
  static node_header* next(node_header* n) noexcept {
    return reinterpret_cast<node_header*>(static_cast<std::uintptr_t>(link(n)));
  }
  node_header* head_ = nullptr;
};

// Drops one reference to a child; frees it if it was a value and the last
// reference, or hands it to `dying` if it was the last reference to a node
// with children of its own.
void drop(const node_header* n, dying_list& dying) noexcept {
  if (!n || n->rc.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return;
  if (n->type == node_type::value)
    free_value(static_cast<const value_node*>(n));
  else
    dying.push(const_cast<node_header*>(n));
}

// Returns memory to the operating system after a large release: glibc keeps
// freed chunks in its arenas, so a process that once held a million entries
// would keep their pages for good. malloc_trim walks the heap, so only when
// it is worth it.
void return_memory(std::uint64_t nodes) noexcept {
#if defined(__GLIBC__)
  if (nodes >= (std::uint64_t{1} << 16))
    malloc_trim(0);
#else
  (void)nodes;
#endif
}

} // namespace

void release_slow(const node_header* first) noexcept {
  const auto freed_before = freed;
  if (first->type == node_type::value) {
    free_value(static_cast<const value_node*>(first));
    return;
  }
  dying_list dying;
  dying.push(const_cast<node_header*>(first));
  while (node_header* n = dying.pop()) {
    ++freed;
    if (n->type == node_type::dict) {
      auto* d = static_cast<dict_node*>(n);
      drop(d->root, dying);
      delete d->memo.load(std::memory_order_acquire);
      d->~dict_node();
      free_dict_block(d);
    } else {
      auto* e = static_cast<entry*>(n);
      drop(e->l, dying);
      drop(e->r, dying);
      drop(e->child, dying);
      e->~entry();
      free_entry_block(e);
    }
  }
  return_memory(freed - freed_before);
}

} // namespace kvmem::detail
