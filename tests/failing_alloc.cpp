#include "failing_alloc.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace test_alloc {

namespace {
std::atomic<std::uint64_t> countdown{0};
std::atomic<bool> did_fire{false};
std::atomic<std::uint64_t> total{0};

// True if this allocation is the one that must fail.
bool must_fail() noexcept {
  total.fetch_add(1, std::memory_order_relaxed);
  auto n = countdown.load(std::memory_order_relaxed);
  while (n > 0) {
    if (countdown.compare_exchange_weak(n, n - 1, std::memory_order_relaxed)) {
      if (n == 1) {
        did_fire.store(true, std::memory_order_relaxed);
        return true;
      }
      return false;
    }
  }
  return false;
}

void* take(std::size_t n) noexcept { return std::malloc(n ? n : 1); }
void* take(std::size_t n, std::align_val_t a) noexcept {
  auto align = static_cast<std::size_t>(a);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
} // namespace

void arm(std::uint64_t n) noexcept {
  did_fire.store(false, std::memory_order_relaxed);
  countdown.store(n, std::memory_order_relaxed);
}
void disarm() noexcept { countdown.store(0, std::memory_order_relaxed); }
bool fired() noexcept { return did_fire.load(std::memory_order_relaxed); }
std::uint64_t count() noexcept { return total.load(std::memory_order_relaxed); }

} // namespace test_alloc

using test_alloc::must_fail;

void* operator new(std::size_t n) {
  void* p = must_fail() ? nullptr : test_alloc::take(n);
  if (!p)
    throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  void* p = must_fail() ? nullptr : test_alloc::take(n, a);
  if (!p)
    throw std::bad_alloc();
  return p;
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : test_alloc::take(n);
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : test_alloc::take(n);
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : test_alloc::take(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return must_fail() ? nullptr : test_alloc::take(n, a);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
