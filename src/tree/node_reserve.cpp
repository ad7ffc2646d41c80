#include "tree/node_reserve.hpp"

#include <cassert>
#include <new>

namespace kvmem::detail {

namespace {

using block = node_reserve::block;
using block_list = node_reserve::block_list;

static_assert(sizeof(entry) >= sizeof(block) && sizeof(dict_node) >= sizeof(block));

// This thread's spare blocks. A tree may be released by a thread_local or
// static destructor after this cache is gone: `gone` (trivially
// destructible, so valid until the thread ends) then sends blocks straight
// back to the allocator.
struct thread_cache {
  block_list entries;
  block_list dicts;
  ~thread_cache();
};

thread_local bool gone = false;
thread_local thread_cache cache;

void drain(block_list& l) noexcept {
  while (l.n > 0)
    ::operator delete(l.pop());
}

thread_cache::~thread_cache() {
  drain(entries);
  drain(dicts);
  gone = true;
}

// Moves blocks from the cache (or the allocator) into `to` until it holds n.
void fill(block_list& to, block_list* from, std::size_t n, std::size_t size) {
  while (to.n < n) {
    if (from != nullptr && from->n > 0)
      to.push(from->pop());
    else
      to.push(static_cast<block*>(::operator new(size)));
  }
}

// Gives a block back: to the cache while it has room, else to the allocator.
void give(block* b, block_list thread_cache::*which, std::size_t max) noexcept {
  if (!gone) {
    auto& l = cache.*which;
    if (l.n < max) {
      l.push(b);
      return;
    }
  }
  ::operator delete(b);
}

} // namespace

node_reserve::~node_reserve() {
  while (entries_.n > 0)
    give(entries_.pop(), &thread_cache::entries, max_cached_entries);
  while (dicts_.n > 0)
    give(dicts_.pop(), &thread_cache::dicts, max_cached_dicts);
}

void node_reserve::reserve(std::size_t entries, std::size_t dicts) {
  fill(entries_, gone ? nullptr : &cache.entries, entries, sizeof(entry));
  fill(dicts_, gone ? nullptr : &cache.dicts, dicts, sizeof(dict_node));
}

// Taking more than was reserved is a bug in a bound (tests assert it); a
// release build then allocates, as if there had been no reserve.
entry* node_reserve::make_entry() noexcept {
  assert(entries_.n > 0 && "a write took more entries than it reserved");
  void* b = entries_.n > 0 ? entries_.pop() : ::operator new(sizeof(entry));
  return new (b) entry;
}

dict_node* node_reserve::make_dict() noexcept {
  assert(dicts_.n > 0 && "a write took more dictionaries than it reserved");
  void* b = dicts_.n > 0 ? dicts_.pop() : ::operator new(sizeof(dict_node));
  return new (b) dict_node;
}

void free_entry_block(entry* e) noexcept {
  give(reinterpret_cast<block*>(e), &thread_cache::entries, max_cached_entries);
}

void free_dict_block(dict_node* d) noexcept {
  give(reinterpret_cast<block*>(d), &thread_cache::dicts, max_cached_dicts);
}

void drain_node_cache() noexcept {
  if (gone)
    return;
  drain(cache.entries);
  drain(cache.dicts);
}

} // namespace kvmem::detail
