// Fuzz target: kvmem::key, built every way a key can be built from bytes.
//
// The input is read three ways: as a path for key::v; as segments separated
// by '\n' (empty ones and ones holding '/' included) for from_segments,
// key::of and operator/; and split in two at a position its first byte
// chooses, for the laws between two keys. Every property is checked against
// a naive reading of key.hpp's contract, written here independently.
#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "kvmem/key.hpp"

#include "fuzz_check.hpp"

namespace {

using kvmem::key;
using segs = std::vector<std::string>;

// key::v's contract: '/'-separated, empty segments dropped.
segs naive_split_path(std::string_view s) {
  segs out;
  std::string cur;
  for (char c : s) {
    if (c == '/') {
      if (!cur.empty())
        out.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty())
    out.push_back(std::move(cur));
  return out;
}

// '\n'-separated, empty segments kept; "" is no segment at all.
segs split_lines(std::string_view s) {
  segs out;
  if (s.empty())
    return out;
  std::string cur;
  for (char c : s) {
    if (c == '\n')
      out.push_back(std::exchange(cur, {}));
    else
      cur += c;
  }
  out.push_back(std::move(cur));
  return out;
}

bool valid_segment(std::string_view s) { return !s.empty() && s.find('/') == std::string_view::npos; }

std::string show(const segs& xs) {
  std::string r = "[";
  for (const auto& x : xs)
    r += fmt::format(" {:?}", x);
  return r + " ]";
}

bool starts_with(const segs& xs, const segs& prefix) {
  return prefix.size() <= xs.size() && std::equal(prefix.begin(), prefix.end(), xs.begin());
}

// What every key satisfies on its own.
void check_laws(const key& k) {
  const segs& s = k.segments();
  for (const auto& x : s)
    KVMEM_FUZZ_CHECK(valid_segment(x), "key {} holds the invalid segment {:?}", show(s), x);
  KVMEM_FUZZ_CHECK(k.depth() == s.size(), "depth {} of {}", k.depth(), show(s));
  KVMEM_FUZZ_CHECK(k.is_root() == s.empty(), "is_root of {}", show(s));
  // to_string is "/" + segments joined by "/", and key::v reads it back.
  std::string expected = "/";
  for (std::size_t i = 0; i < s.size(); ++i)
    expected += (i ? "/" : "") + s[i];
  const std::string str = k.to_string();
  KVMEM_FUZZ_CHECK(str == expected, "to_string of {} is {:?}", show(s), str);
  KVMEM_FUZZ_CHECK(fmt::format("{}", k) == str, "fmt of {}", show(s));
  KVMEM_FUZZ_CHECK(key::v(str) == k, "key::v(to_string()) of {} is not the key", show(s));
  KVMEM_FUZZ_CHECK(std::hash<key>{}(key::v(str)) == std::hash<key>{}(k), "hash of an equal key of {}",
                   show(s));
  // parent and basename.
  const key p = k.parent();
  KVMEM_FUZZ_CHECK(p.is_prefix_of(k) && key{}.is_prefix_of(k) && k.is_prefix_of(k),
                   "prefix laws of {}", show(s));
  if (k.is_root()) {
    KVMEM_FUZZ_CHECK(p.is_root() && k.basename().empty(), "the root's parent and basename");
  } else {
    KVMEM_FUZZ_CHECK(k.basename() == s.back(), "basename of {}", show(s));
    KVMEM_FUZZ_CHECK(p.depth() + 1 == k.depth() && starts_with(s, p.segments()), "parent of {}",
                     show(s));
    KVMEM_FUZZ_CHECK(p / k.basename() == k, "parent / basename of {}", show(s));
    KVMEM_FUZZ_CHECK(p < k && !k.is_prefix_of(p), "order of {} and its parent", show(s));
  }
}

// What two keys satisfy together.
void check_pair(const key& x, const key& y) {
  const segs &a = x.segments(), &b = y.segments();
  // Ordering and equality are those of the segment lists, compared as strings
  // byte by byte (unsigned, like std::string).
  auto naive = std::lexicographical_compare_three_way(
    a.begin(), a.end(), b.begin(), b.end(), [](const std::string& l, const std::string& r) {
      int c = l.compare(r);
      return c < 0 ? std::strong_ordering::less
                   : c > 0 ? std::strong_ordering::greater : std::strong_ordering::equal;
    });
  KVMEM_FUZZ_CHECK((x <=> y) == naive, "ordering of {} and {}", show(a), show(b));
  KVMEM_FUZZ_CHECK((y <=> x) == (0 <=> naive), "antisymmetry of {} and {}", show(a), show(b));
  KVMEM_FUZZ_CHECK((x == y) == (a == b) && (x == y) == (x.to_string() == y.to_string()),
                   "equality of {} and {}", show(a), show(b));
  if (x == y)
    KVMEM_FUZZ_CHECK(std::hash<key>{}(x) == std::hash<key>{}(y), "hash of {}", show(a));
  KVMEM_FUZZ_CHECK(x.is_prefix_of(y) == starts_with(b, a), "is_prefix_of({}, {})", show(a), show(b));
  if (x.is_prefix_of(y))
    KVMEM_FUZZ_CHECK(x <= y, "a prefix {} sorts after {}", show(a), show(b));
  // append concatenates, and keeps the order of what follows a common prefix.
  const key xy = append(x, y);
  segs ab = a;
  ab.insert(ab.end(), b.begin(), b.end());
  KVMEM_FUZZ_CHECK(xy.segments() == ab && x.is_prefix_of(xy), "append({}, {})", show(a), show(b));
  const key z = key::v("z");
  KVMEM_FUZZ_CHECK((append(z, x) <=> append(z, y)) == (x <=> y), "order under a common prefix");
  check_laws(xy);
}

// key from segments, three ways; each must accept exactly the valid lists.
key check_builders(const segs& s) {
  bool valid = true;
  for (const auto& x : s)
    valid = valid && valid_segment(x);
  const key sentinel = key::v("/sentinel");
  key out = sentinel;
  const bool ok = key::from_segments(s, &out);
  KVMEM_FUZZ_CHECK(ok == valid, "from_segments({}) returned {}", show(s), ok);
  KVMEM_FUZZ_CHECK(ok ? out.segments() == s : out == sentinel, "from_segments({}) gave {}", show(s),
                   show(out.segments()));
  // operator/, alternating the copying and the moving overload; it throws
  // exactly at the first invalid segment and leaves a copied-from key alone.
  key acc;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const key before = acc;
    try {
      acc = i % 2 ? std::move(acc) / s[i] : acc / s[i];
      KVMEM_FUZZ_CHECK(valid_segment(s[i]), "operator/ accepted {:?}", s[i]);
    } catch (const std::invalid_argument&) {
      KVMEM_FUZZ_CHECK(!valid_segment(s[i]), "operator/ rejected {:?}", s[i]);
      if (i % 2 == 0)
        KVMEM_FUZZ_CHECK(acc == before, "a failed operator/ changed the key");
      break;
    }
  }
  if (valid)
    KVMEM_FUZZ_CHECK(acc == out, "operator/ and from_segments differ on {}", show(s));
  // key::of takes an initializer list: the first three segments.
  if (s.size() <= 3) {
    try {
      key k = s.empty() ? key::of({}) : s.size() == 1 ? key::of({s[0]})
            : s.size() == 2 ? key::of({s[0], s[1]}) : key::of({s[0], s[1], s[2]});
      KVMEM_FUZZ_CHECK(valid && k == out, "key::of({}) accepted", show(s));
    } catch (const std::invalid_argument&) {
      KVMEM_FUZZ_CHECK(!valid, "key::of({}) rejected", show(s));
    }
  }
  return ok ? out : key{};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // As a path.
  const key k = key::v(in);
  KVMEM_FUZZ_CHECK(k.segments() == naive_split_path(in), "key::v({:?}) gave {}", in,
                   show(k.segments()));
  check_laws(k);
  // As a list of segments.
  const key built = check_builders(split_lines(in));
  check_laws(built);
  check_pair(k, built);
  // Split in two, as paths and as segment lists.
  const std::size_t cut = size == 0 ? 0 : data[0] % (size + 1);
  const std::string_view l = in.substr(0, cut), r = in.substr(cut);
  check_pair(key::v(l), key::v(r));
  check_pair(check_builders(split_lines(l)), check_builders(split_lines(r)));
  check_pair(key::v(l), key::v(in));
  return 0;
}
