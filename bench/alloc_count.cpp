#include "alloc_count.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace {
std::atomic<int> counting{0};
std::atomic<std::uint64_t> allocations{0}, allocated_bytes{0};

void* counted(std::size_t n) {
  if (counting.load(std::memory_order_relaxed) > 0) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(n, std::memory_order_relaxed);
  }
  if (auto* p = std::malloc(n == 0 ? 1 : n))
    return p;
  throw std::bad_alloc{};
}

void* counted_aligned(std::size_t n, std::align_val_t al) {
  if (counting.load(std::memory_order_relaxed) > 0) {
    allocations.fetch_add(1, std::memory_order_relaxed);
    allocated_bytes.fetch_add(n, std::memory_order_relaxed);
  }
  auto a = static_cast<std::size_t>(al);
  if (auto* p = std::aligned_alloc(a, (n + a - 1) / a * a))
    return p;
  throw std::bad_alloc{};
}
} // namespace

void* operator new(std::size_t n) { return counted(n); }
void* operator new[](std::size_t n) { return counted(n); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace bench {

counting_scope::counting_scope() {
  counting.fetch_add(1);
  start_ = {allocations.load(), allocated_bytes.load()};
}

counting_scope::~counting_scope() { counting.fetch_sub(1); }

alloc_counts counting_scope::so_far() const {
  return {allocations.load() - start_.allocations, allocated_bytes.load() - start_.bytes};
}

} // namespace bench
