// A global allocator that fails on purpose (as immer's test/dada.hpp): arm
// it with n, and the n-th allocation from then on (operator new, any form)
// throws std::bad_alloc — or, for the nothrow forms, returns null — once.
// Linking failing_alloc.cpp into a test binary replaces operator new and
// delete for the whole binary; disarmed (the default) it only counts.
//
// Allocations of every thread count (the tests that arm it run the code
// under test on their own thread: the tree directly, a store on CAF's
// deterministic test coordinator).
#pragma once

#include <cstdint>

namespace test_alloc {

/// Makes the n-th allocation from now fail (n >= 1); 0 disarms.
void arm(std::uint64_t n) noexcept;
void disarm() noexcept;
/// Whether the armed failure happened since the last arm().
bool fired() noexcept;
/// Allocations since the process started (any thread).
std::uint64_t count() noexcept;

/// Arms for the scope's lifetime; disarms when it ends.
class scope {
public:
  explicit scope(std::uint64_t n) noexcept { arm(n); }
  ~scope() { disarm(); }
  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;
};

} // namespace test_alloc
