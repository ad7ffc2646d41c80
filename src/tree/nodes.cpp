// Allocation and iterative destruction of tree nodes.
#include "kvmem/detail/nodes.hpp"

#include <new>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tree/tree_impl.hpp"
#include "tree/value.hpp"

namespace kvmem::detail {

namespace {

thread_local std::uint64_t freed = 0;

void free_value(const value_node* v) noexcept {
  ++freed;
  delete v->memo.load(std::memory_order_acquire);
  v->~value_node();
  ::operator delete(const_cast<value_node*>(v));
}

// Drops one reference to a child; returns it if that was the last one and
// the child has children of its own (so the caller must take them over).
const node_header* drop(const node_header* n) noexcept {
  if (!n || n->rc.fetch_sub(1, std::memory_order_acq_rel) != 1)
    return nullptr;
  if (n->type == node_type::value) {
    free_value(static_cast<const value_node*>(n));
    return nullptr;
  }
  return n;
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

namespace {

// The work list of one release: a stack whose first entries live in the
// caller's frame, so that ordinary releases (a replaced path, a small
// subtree) never allocate, and deep or wide ones continue on the heap. Not
// thread_local: a tree may be released from a static or thread_local
// destructor, after a thread's own thread_local objects are gone.
class work_stack {
public:
  bool empty() const noexcept { return n_ == 0 && spill_.empty(); }
  void push(const node_header* x) {
    if (n_ < inline_capacity && spill_.empty())
      inline_[n_++] = x;
    else
      spill_.push_back(x);
  }
  const node_header* pop() noexcept {
    if (!spill_.empty()) {
      auto* x = spill_.back();
      spill_.pop_back();
      return x;
    }
    return inline_[--n_];
  }

private:
  static constexpr std::size_t inline_capacity = 64;
  const node_header* inline_[inline_capacity];
  std::size_t n_ = 0;
  std::vector<const node_header*> spill_;
};

} // namespace

void release_slow(const node_header* first) noexcept {
  const auto freed_before = freed;
  // A work list instead of recursion: a 10,000-deep path or a million-entry
  // dictionary is freed in constant stack space.
  work_stack work;
  work.push(first);
  while (!work.empty()) {
    const node_header* n = work.pop();
    switch (n->type) {
      case node_type::value:
        free_value(static_cast<const value_node*>(n));
        break;
      case node_type::dict: {
        auto* d = static_cast<const dict_node*>(n);
        if (auto* c = drop(d->root))
          work.push(c);
        delete d->memo.load(std::memory_order_acquire);
        delete d;
        ++freed;
        break;
      }
      case node_type::entry: {
        auto* e = static_cast<const entry*>(n);
        const node_header* children[] = {e->l, e->r, e->child};
        for (const node_header* c : children)
          if (auto* x = drop(c))
            work.push(x);
        delete e;
        ++freed;
        break;
      }
    }
  }
  return_memory(freed - freed_before);
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
