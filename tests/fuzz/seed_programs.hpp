// Hand-written programs for fuzz_tree, assembled into its input encoding
// (see fuzz_tree.cpp: a capacity byte, then operations). Each exercises one
// family of cases; the fuzzer mutates from there. Used by make_seeds.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace kvmem_fuzz {

/// Builds one fuzz_tree input. Paths are lists of segment indices into
/// fuzz_tree's alphabet: 0 a, 1 b, 2 cc, 3 ddd, 4 e, 5 f (depth at most 4).
class tree_program {
public:
  using path = std::vector<int>;
  /// Capacity: unlimited, or 3 * (c - 128) bytes for c >= 128.
  explicit tree_program(std::uint8_t capacity_byte = 0) { b_.push_back(static_cast<char>(capacity_byte)); }

  // Writes; `pre` (through apply() only): -1 none drawn, 0 absent, 1 the
  // actual version, 2 the actual + 1, 3 + v: modified version v.
  tree_program& set(const path& p, const std::string& v, bool apply = false, int pre = -1) {
    write(0, apply, p);
    data(v, 16);
    return precondition(apply, pre);
  }
  /// `offset` must be below the value's current size + 4.
  tree_program& set_partial(const path& p, std::uint8_t offset, const std::string& v, bool apply = false) {
    write(1, apply, p);
    byte(offset);
    data(v, 8);
    return precondition(apply, -1);
  }
  tree_program& remove(const path& p, bool apply = false, int pre = -1) {
    write(2, apply, p);
    return precondition(apply, pre);
  }
  /// Renames p to dst (given in full).
  tree_program& rename(const path& p, const path& dst, bool apply = false, int pre = -1) {
    write(3, apply, p);
    byte(5); // destination: any path
    at(dst);
    return precondition(apply, pre);
  }
  /// Renames p into its parent's parent (a move up).
  tree_program& rename_up(const path& p) {
    write(3, false, p);
    byte(1);
    return *this;
  }
  /// n < 128 (128 and above aim at the capacity's edge when there is one).
  tree_program& allocate(const path& p, std::uint8_t n, bool with_time = false) {
    write(4, false, p);
    byte(n);
    byte(with_time ? 1 : 0);
    if (with_time)
      byte(2), byte(99);
    return *this;
  }
  tree_program& read(const path& p, std::uint8_t off = 1, std::uint8_t len = 3) {
    byte(5);
    at(p);
    byte(off), byte(len);
    return *this;
  }
  tree_program& snapshot() { return byte(6); }
  /// Capacity: unlimited for c < 64, else 2 * (c - 64) bytes.
  tree_program& set_capacity(std::uint8_t c) {
    byte(7);
    return byte(c);
  }

  std::string bytes() const { return b_; }

private:
  tree_program& byte(std::uint8_t x) {
    b_.push_back(static_cast<char>(x));
    return *this;
  }
  void at(const path& p) {
    byte(static_cast<std::uint8_t>(p.size())); // a fresh path of this depth
    for (int s : p)
      byte(static_cast<std::uint8_t>(s));
  }
  // op % 8 < 5 is a write, (op >> 3) % 5 its kind, bit 7 "through apply()".
  void write(int kind, bool apply, const path& p) {
    byte(static_cast<std::uint8_t>((apply ? 20 + kind : kind) << 3));
    at(p);
  }
  void data(const std::string& v, std::size_t max) {
    byte(static_cast<std::uint8_t>(v.size() <= max ? v.size() : max));
    b_ += v.substr(0, max);
  }
  tree_program& precondition(bool apply, int pre) {
    if (!apply)
      return *this;
    if (pre < 3)
      return byte(static_cast<std::uint8_t>(pre + 1));
    byte(4);
    return byte(static_cast<std::uint8_t>(pre - 3));
  }
  std::string b_;
};

inline std::vector<std::pair<std::string, std::string>> tree_programs() {
  using P = tree_program;
  const int a = 0, b = 1, cc = 2, ddd = 3, e = 4, f = 5;
  std::vector<std::pair<std::string, std::string>> out;
  out.emplace_back("set-and-read", P{}.set({a}, "x").set({a, b}, "through").set({b, cc}, "yy").set({b}, "dict")
                                     .read({b}).read({b, cc}, 0, 1).read({a, b}).read({}).bytes());
  out.emplace_back("set-partial", P{}.set({a}, "hello").set_partial({a}, 2, "XY").set_partial({a}, 7, "Z")
                                    .set_partial({e, f}, 0, "q").set_partial({e}, 0, "no").read({a}, 1, 5).bytes());
  out.emplace_back("remove", P{}.set({a, b}, "1").set({a, cc}, "2").snapshot().remove({a, b}).remove({ddd})
                               .remove({a, b, cc}).remove({a}).set({f}, "3").remove({}).read({a}).bytes());
  out.emplace_back("rename", P{}.set({a, b}, "1").set({cc}, "2").rename({a, b}, {cc}).rename({a}, {e})
                               .rename({e}, {e, b}).rename({cc}, {}).rename({cc}, {cc}).rename({ddd}, {f})
                               .set({f, a}, "x").rename({e}, {f}).rename_up({f, a}).bytes());
  out.emplace_back("rename-over", P{}.set({a, b, cc}, "deep").set({e, b}, "v").snapshot().rename({a, b}, {e})
                                    .rename({a}, {e, b}).rename({e, b}, {a, b}).read({e, b, cc}).bytes());
  out.emplace_back("allocate", P{}.allocate({a}, 10).allocate({a}, 3).allocate({a, b}, 1).allocate({b, cc}, 0, true)
                                 .read({b, cc}).bytes());
  out.emplace_back("capacity", P{140}.set({a}, "0123456789").set({b}, "0123456789abcdef").allocate({cc}, 200)
                                 .allocate({cc}, 130).set_capacity(70).set({a}, "012345678").set({a}, "0123456789a")
                                 .remove({b}).set({ddd, e}, "x").set_capacity(0).read({a}).bytes());
  out.emplace_back("capacity-edge", P{150}.set({a}, "xyz").allocate({b, cc}, 0x80).allocate({e}, 0x81)
                                      .rename({a}, {ddd, ddd}).bytes());
  out.emplace_back("preconditions", P{}.set({a}, "1", true, 0).set({a}, "2", true, 0).set({a}, "3", true, 1)
                                      .set({a}, "4", true, 2).remove({a}, true, 4).remove({a}, true, 1)
                                      .rename({b}, {cc}, true, 0).set({b}, "x").rename({b}, {cc}, true, 1).bytes());
  out.emplace_back("versions", P{}.set({a, b, cc}, "1").set({a, e}, "2").snapshot().rename({a}, {f})
                                 .set({f, b, cc}, "3").read({f}).read({f, b}).read({f, b, cc}).remove({f, e})
                                 .read({f}).snapshot().read({}).bytes());
  out.emplace_back("deep", P{}.set({a, b, cc, ddd}, "leaf").set({a, b, cc, e}, "leaf2").rename({a, b, cc}, {f})
                             .remove({a, b}).rename({f}, {a, b, cc, ddd}).read({a, b}).bytes());
  out.emplace_back("snapshots", P{}.set({a}, "1").snapshot().set({a}, "2").snapshot().remove({a}).snapshot()
                                  .set({b, a}, "3").snapshot().rename({b}, {a}).bytes());
  return out;
}

} // namespace kvmem_fuzz
