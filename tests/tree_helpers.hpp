// Small helpers shared by the tree tests.
#pragma once

#include <string>

#include "kvmem/tree.hpp"

namespace test {

inline kvmem::key K(std::string_view s) { return kvmem::key::v(s); }
/// The time "n picoseconds after day 100", so later steps have later times.
inline kvmem::ptime T(std::int64_t n) { return kvmem::ptime{100, n}; }

// g++ 12 at -O3 reports a false -Wrestrict inside libstdc++'s inlined
// operator+(const char*, std::string&&) below.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
#endif
inline std::string get_str(const kvmem::tree& t, std::string_view k) {
  auto r = t.get(K(k));
  return r ? r->str() : "<" + r.error().message() + ">";
}
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/// A tree with /a/x = "1", /a/y = "22", /a/sub/z = "333", /v = "value",
/// all written at T(1), the root created at T(0).
inline kvmem::tree sample() {
  kvmem::tree t{T(0)};
  for (auto [k, v] : {std::pair{"/a/x", "1"}, {"/a/y", "22"}, {"/a/sub/z", "333"}, {"/v", "value"}})
    t.set(K(k), v, T(1)).value();
  return t;
}

} // namespace test
