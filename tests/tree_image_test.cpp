// The binary image of a tree (the body of a checkpoint): write_image and
// read_image round trips keep every stat, time, value and digest; damaged
// or truncated images are refused as corrupt, without a crash or a leak.
// Replay a random round trip: KVMEM_SEED=<seed> tree_tests '[tree_image]'
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "tree/tree_image.hpp"
#include "tree/tree_impl.hpp"
#include "tree_helpers.hpp"

// A namespace of its own: the test programs may be unity builds.
namespace tree_image_test {

using namespace test;
using kvmem::errc;
using kvmem::key;
using kvmem::kind;
using kvmem::stamp;
using kvmem::tree;
using kvmem::detail::read_image;
using kvmem::detail::write_image;

std::string image_of(const tree& t) {
  std::string out;
  REQUIRE(write_image(t, [&](std::string_view s) {
    out.append(s);
    return true;
  }));
  return out;
}

/// A source over `img` that hands out at most `chunk` bytes a call (0: as
/// many as asked).
kvmem::detail::image_source source_of(std::string_view img, std::size_t chunk = 0) {
  return [img, chunk, pos = std::size_t{0}](std::span<char> out) mutable -> std::optional<std::size_t> {
    std::size_t n = std::min(out.size(), img.size() - pos);
    if (chunk > 0)
      n = std::min(n, chunk);
    if (n > 0)
      std::memcpy(out.data(), img.data() + pos, n);
    pos += n;
    return n;
  };
}

kvmem::result<tree> read_of(std::string_view img, std::uint64_t* consumed = nullptr,
                            std::size_t chunk = 0, std::uint64_t capacity = kvmem::unlimited) {
  return read_image(source_of(img, chunk), capacity, consumed);
}

/// Compares a and b key by key (walking with list from the root): stat,
/// last_modified, list, get and digest; then verify, used, count_nodes.
void check_same(const tree& a, const tree& b) {
  REQUIRE(b.verify() == "");
  CHECK(a.used() == b.used());
  CHECK(a.count_nodes() == b.count_nodes());
  CHECK(equal(a, b));
  std::vector<key> todo{key{}};
  std::uint64_t seen = 0;
  while (!todo.empty()) {
    key k = std::move(todo.back());
    todo.pop_back();
    // (The key is rendered only on a mismatch: keys may be 2000 deep.)
    auto differs = [&](const char* what) {
      FAIL_CHECK(what << " differs at " << k.to_string().substr(0, 300));
    };
    auto sa = a.stat(k);
    auto sb = b.stat(k);
    if (!(sa == sb) || !sa) {
      differs("stat");
      continue;
    }
    if (a.last_modified(k) != b.last_modified(k))
      differs("last_modified");
    if (a.digest(k) != b.digest(k))
      differs("digest");
    if (sa->what == kind::value) {
      if (a.get(k) != b.get(k))
        differs("get");
      continue;
    }
    auto la = a.list(k);
    if (la != b.list(k) || !la) {
      differs("list");
      continue;
    }
    for (auto& [child, what] : *la) {
      (void)what;
      todo.push_back(child);
      ++seen;
    }
  }
  CHECK(seen == a.count_nodes());
}

/// Writes t's image and reads it back (in uneven pieces), checking the
/// length consumed and that the copy is the same tree.
tree round_trip(const tree& t, std::size_t chunk = 0) {
  auto img = image_of(t);
  std::uint64_t consumed = 0;
  auto r = read_of(img, &consumed, chunk, 12345678);
  REQUIRE(r);
  CHECK(consumed == img.size());
  CHECK(r->capacity() == 12345678);
  tree copy = std::move(r).value();
  copy.set_capacity(t.capacity());
  check_same(t, copy);
  CHECK(image_of(copy) == img); // the copy's image is the same bytes
  return copy;
}

// --- random trees ----------------------------------------------------------------

struct image_gen {
  std::mt19937_64 rng;
  std::uint64_t below(std::uint64_t n) { return rng() % n; }
  bool chance(std::uint64_t n) { return below(n) == 0; }
  std::string seg() {
    using namespace std::string_view_literals;
    static constexpr std::string_view names[] = {
        "a", "b", "c", "d", "zz",
        "a_long_segment_name_shared_1", // longer than 16 bytes: a shared name
        "a_long_segment_name_shared_2", "yet-another-name-longer-than-16", "n\0ul"sv};
    return std::string(names[below(std::size(names))]);
  }
  key any() {
    key k;
    for (std::uint64_t i = 0, n = 1 + below(4); i < n; ++i)
      k = std::move(k) / seg();
    return k;
  }
  std::string data() {
    std::string s(chance(6) ? 0 : below(300), 'x');
    for (auto& c : s)
      c = static_cast<char>(below(256));
    return s;
  }
};

/// One random write to every tree in `ts` at stamp (T(step), step); the
/// results must agree.
void random_write(image_gen& g, std::vector<tree*> ts, std::uint64_t step) {
  const stamp at{T(static_cast<std::int64_t>(step)), step};
  const auto op = g.below(100);
  const key k = g.any();
  INFO("step " << step << " op " << op << " key " << k.to_string());
  if (op < 45) {
    auto v = g.data();
    auto r = ts[0]->set(k, v, at);
    for (auto* t : ts)
      if (t != ts[0])
        CHECK(t->set(k, v, at) == r);
  } else if (op < 60) {
    auto r = ts[0]->remove(k, at);
    for (auto* t : ts)
      if (t != ts[0])
        CHECK(t->remove(k, at) == r);
  } else if (op < 75) {
    const key dst = g.chance(2) ? g.any() : k.parent() / g.seg();
    auto r = ts[0]->rename(k, dst, at);
    for (auto* t : ts)
      if (t != ts[0])
        CHECK(t->rename(k, dst, at) == r);
  } else if (op < 85) {
    auto n = g.below(50);
    std::optional<kvmem::ptime> when;
    if (g.chance(2))
      when = T(static_cast<std::int64_t>(g.below(1000)));
    auto r = ts[0]->allocate(k, n, when, at);
    for (auto* t : ts)
      if (t != ts[0])
        CHECK(t->allocate(k, n, when, at) == r);
  } else if (op < 98) {
    auto off = g.below(400);
    auto v = g.data();
    auto r = ts[0]->set_partial(k, off, v, at);
    for (auto* t : ts)
      if (t != ts[0])
        CHECK(t->set_partial(k, off, v, at) == r);
  } else {
    // An empty dictionary: a value set and removed again.
    auto r = ts[0]->set(k / "tmp", "x", at);
    if (r) {
      CHECK(ts[0]->remove(k / "tmp", at).value());
    }
    for (auto* t : ts)
      if (t != ts[0]) {
        CHECK(t->set(k / "tmp", "x", at) == r);
        if (r)
          CHECK(t->remove(k / "tmp", at).value());
      }
  }
}

std::uint64_t env_seed() {
  const char* v = std::getenv("KVMEM_SEED");
  return v && *v ? std::strtoull(v, nullptr, 0) : std::random_device{}();
}

/// A small tree with a bit of everything, for the damage tests.
tree small_tree() {
  tree t{T(0)};
  std::uint64_t v = 1;
  auto at = [&] { ++v; return stamp{T(static_cast<std::int64_t>(v)), v}; };
  t.set(K("/a/x"), "1", at()).value();
  t.set(K("/a/y"), "", at()).value();
  t.set(K("/a/a_long_segment_name_of_30_b"), "long", at()).value();
  t.set(K("/b/c/d"), "deep", at()).value();
  t.set(K("/e/tmp"), "x", at()).value();
  t.remove(K("/e/tmp"), at()).value(); // /e stays, empty
  t.set(K("/v"), "value", at()).value();
  return t;
}

// Hand-made images.
struct image_builder {
  std::string s;
  std::vector<std::size_t> kinds; // offsets of the kind bytes
  template <class T>
  image_builder& i(T v) {
    for (std::size_t k = 0; k < sizeof v; ++k)
      s.push_back(static_cast<char>(static_cast<std::uint64_t>(v) >> (8 * k)));
    return *this;
  }
  image_builder& header(std::uint64_t root_count) {
    return i(std::int64_t{100}).i(std::int64_t{0}).i(std::uint64_t{0}).i(std::uint64_t{0})
        .i(std::uint64_t{1}).i(root_count);
  }
  image_builder& entry(std::string_view name, std::uint8_t kind_byte) {
    i(static_cast<std::uint32_t>(name.size()));
    s.append(name);
    kinds.push_back(s.size());
    return i(kind_byte).i(std::int64_t{100}).i(std::int64_t{1}).i(std::uint64_t{1}).i(std::uint64_t{1});
  }
  image_builder& value(std::string_view name, std::string_view v) {
    entry(name, 0).i(std::uint64_t{v.size()});
    s.append(v);
    return *this;
  }
  image_builder& dict(std::string_view name, std::uint64_t count) {
    return entry(name, 1).i(std::uint64_t{1}).i(count);
  }
};

void check_corrupt(std::string_view img, std::string_view detail_part) {
  auto r = read_of(img);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corrupt);
  INFO(r.error().detail);
  CHECK(r.error().detail.find(detail_part) != std::string::npos);
}

} // namespace tree_image_test

using namespace tree_image_test;

TEST_CASE("tree image: the empty tree round-trips", "[tree_image]") {
  tree t{T(7)};
  auto img = image_of(t);
  CHECK(img.size() == 48);
  auto copy = round_trip(t);
  CHECK(copy.last_modified(K("/")).value() == T(7));
  CHECK(copy.list(K("/")).value().empty());

  // A root emptied by removing its entries, and one emptied by removing it.
  tree u{T(1)};
  u.set(K("/a"), "1", stamp{T(2), 2}).value();
  u.remove(K("/a"), stamp{T(3), 3}).value();
  round_trip(u);
  u.set(K("/a/b"), "1", stamp{T(4), 4}).value();
  u.remove(K("/"), stamp{T(5), 5}).value();
  round_trip(u);
}

TEST_CASE("tree image: a small tree round-trips in pieces of any size", "[tree_image]") {
  auto t = small_tree();
  for (std::size_t chunk : {0, 1, 2, 3, 7, 64})
    round_trip(t, chunk);
  auto img = image_of(t);
  // Trailing bytes are the caller's: the image ends with its root dictionary.
  std::uint64_t consumed = 0;
  auto r = read_of(img + "trailing garbage", &consumed);
  REQUIRE(r);
  CHECK(consumed == img.size());
  check_same(t, *r);
}

TEST_CASE("tree image: random trees round-trip and the copy stays writable", "[tree_image]") {
  const std::uint64_t seed = env_seed();
  CAPTURE(seed);
  image_gen g{std::mt19937_64{seed}};
  tree t{T(0)};
  std::uint64_t step = 1;

  // A key 2000 deep (with a value and an empty dictionary at the bottom), a
  // value larger than a piece of the image, empty values, long names.
  key deep = key{} / "deep";
  for (int i = 0; i < 2000; ++i)
    deep = std::move(deep) / (i % 3 ? "p" : "a_long_segment_name_shared_1");
  REQUIRE(t.set(deep / "leaf", "bottom", stamp{T(1), step++}));
  REQUIRE(t.set(deep / "empty" / "x", "", stamp{T(2), step++}));
  REQUIRE(t.remove(deep / "empty" / "x", stamp{T(3), step++}).value());
  std::string big(3 * 1024 * 1024 + 17, '\0');
  for (auto& c : big)
    c = static_cast<char>(g.below(256));
  REQUIRE(t.set(K("/big/value"), big, stamp{T(4), step++}));
  REQUIRE(t.set(K("/empty_value"), "", stamp{T(5), step++}));
  REQUIRE(t.set(K("/wide/x"), "", stamp{T(6), step++}));
  for (int i = 0; i < 3000; ++i) // a dictionary of some width
    REQUIRE(t.set(key{} / "wide" / fmt::format("k{:05}", (i * 7919) % 3000), std::to_string(i),
                  stamp{T(7), step++}));

  for (int i = 0; i < 3000; ++i, ++step)
    random_write(g, {&t}, step);
  REQUIRE(t.verify() == "");

  auto snap = t; // shared with t: write_image must not change it
  auto copy = round_trip(t, g.chance(2) ? 0 : 1 + g.below(100000));
  CHECK(t.shares_root_with(snap));
  CHECK(copy.get(deep / "leaf").value() == "bottom");
  CHECK(copy.get(K("/big/value")).value() == big);
  CHECK(copy.exists(deep / "empty") == kind::dictionary);

  // The copy takes the same writes as the original, with the same results.
  for (int i = 0; i < 3000; ++i, ++step)
    random_write(g, {&t, &copy}, step);
  REQUIRE(t.rename(deep / "leaf", K("/moved"), stamp{T(9), step}) ==
          copy.rename(deep / "leaf", K("/moved"), stamp{T(9), step}));
  ++step;
  REQUIRE(t.remove(K("/wide"), stamp{T(10), step}) == copy.remove(K("/wide"), stamp{T(10), step}));
  ++step;
  REQUIRE(t.verify() == "");
  check_same(t, copy);
  round_trip(copy);
  round_trip(snap);
}

TEST_CASE("tree image: every truncation is corrupt", "[tree_image]") {
  auto t = small_tree();
  auto img = image_of(t);
  for (std::size_t cut = 0; cut < img.size(); ++cut) {
    INFO("cut " << cut << " of " << img.size());
    for (std::size_t chunk : {0, 1}) {
      auto r = read_of(std::string_view{img}.substr(0, cut), nullptr, chunk);
      REQUIRE_FALSE(r);
      CHECK(r.error().code == errc::corrupt);
      CHECK(r.error().detail.find(fmt::format("truncated at byte {}", cut)) != std::string::npos);
    }
  }
  CHECK(read_of(img));
}

TEST_CASE("tree image: damaged images are corrupt", "[tree_image]") {
  using B = image_builder;
  // Sanity: the builder makes valid images.
  auto ok = read_of(B{}.header(2).value("a", "1").dict("b", 1).value("c", "2").s);
  REQUIRE(ok);
  CHECK(ok->get(K("/b/c")).value() == "2");
  CHECK(ok->verify() == "");

  check_corrupt(B{}.header(2).value("b", "1").value("a", "2").s, "\"a\" is not after \"b\" at byte 95");
  check_corrupt(B{}.header(2).value("a", "1").value("a", "2").s, "is not after");
  check_corrupt(B{}.header(2).value("ab", "1").value("a", "2").s, "is not after");
  check_corrupt(B{}.header(2).value("a", "1").dict("b", 2).value("z", "").value("y", "").s,
                "\"y\" is not after \"z\"");
  check_corrupt(B{}.header(1).value("", "1").s, "empty name at byte 48");
  check_corrupt(B{}.header(1).value("a/b", "1").s, "contains '/'");
  check_corrupt(B{}.header(1).entry("a", 2).i(std::uint64_t{0}).s, "unknown kind 2");
  check_corrupt(B{}.header(1).entry("a", 255).i(std::uint64_t{0}).s, "unknown kind 255");
  // Lengths that lie: far more than the image holds, or than can exist.
  check_corrupt(B{}.header(1).entry("a", 0).i(std::uint64_t{1} << 40).s, "truncated");
  check_corrupt(B{}.header(1).entry("a", 0).i(~std::uint64_t{0}).s, "impossible value size");
  check_corrupt(B{}.header(1).entry("a", 0).i((std::uint64_t{1} << 48) + 1).s, "impossible value size");
  check_corrupt(B{}.header(1).entry("a", 0).i(std::uint64_t{200} << 20).s + std::string(1000, 'x'),
                "inside a value");
  check_corrupt(B{}.header(1).i(~std::uint32_t{0}).s + "abc", "inside a name");
  check_corrupt(B{}.header(~std::uint64_t{0}).value("a", "1").s, "truncated");
  check_corrupt(B{}.header(1).dict("a", ~std::uint64_t{0}).value("b", "").s, "truncated");

  // Every byte of a real image flipped: refused as corrupt, or a tree that
  // still works (a flipped time, version or value byte is not detectable).
  auto img = image_of(small_tree());
  for (std::size_t at = 0; at < img.size(); ++at)
    for (unsigned mask : {0x01u, 0x80u, 0xffu}) {
      auto bad = img;
      bad[at] = static_cast<char>(bad[at] ^ mask);
      INFO("byte " << at << " ^ " << mask);
      auto r = read_of(bad);
      if (!r) {
        CHECK(r.error().code == errc::corrupt);
        continue;
      }
      auto problem = r->verify();
      if (!problem.empty()) // only versions are not checked by read_image
        CHECK((problem.find("created") != std::string::npos ||
               problem.find("modified") != std::string::npos ||
               problem.find("subtree") != std::string::npos));
      CHECK(r->digest(K("/")));
      (void)r->count_nodes();
    }
}

TEST_CASE("tree image: a flipped kind byte is corrupt or changes the image's length",
          "[tree_image]") {
  // A value read as a dictionary (or back) misreads what follows: an error,
  // or an image that ends elsewhere (*consumed), which the caller checks.
  using B = image_builder;
  B b;
  b.header(2).value("a", "1").dict("b", 1).value("c", "2");
  REQUIRE(b.kinds.size() == 3);
  for (std::size_t at : b.kinds) {
    INFO("kind byte at " << at);
    REQUIRE((b.s[at] == 0 || b.s[at] == 1));
    auto bad = b.s;
    bad[at] = static_cast<char>(b.s[at] ^ 1);
    std::uint64_t consumed = 0;
    auto r = read_of(bad, &consumed);
    if (r)
      CHECK(consumed != bad.size());
    else
      CHECK(r.error().code == errc::corrupt);
    bad[at] = 7;
    r = read_of(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().detail.find(fmt::format("unknown kind 7 of entry")) != std::string::npos);
  }
}

TEST_CASE("tree image: the sink gets pieces of about 1 MiB and large values directly",
          "[tree_image]") {
  tree t;
  std::string big(5 * 1024 * 1024, 'b');
  REQUIRE(t.set(K("/a/big"), big, T(1)));
  for (int i = 0; i < 30000; ++i)
    REQUIRE(t.set(key{} / "a" / fmt::format("small{:05}", i), std::string(100, 's'), T(2)));
  const char* big_data = t.get(K("/a/big")).value().data();
  std::vector<std::size_t> sizes;
  bool direct = false;
  std::string img;
  REQUIRE(write_image(t, [&](std::string_view s) {
    sizes.push_back(s.size());
    direct = direct || s.data() == big_data;
    img.append(s);
    return true;
  }));
  CHECK(direct);
  for (auto n : sizes)
    CHECK((n <= (1u << 20) || n == big.size()));
  CHECK(sizes.size() >= 5);
  auto r = read_of(img);
  REQUIRE(r);
  check_same(t, *r);

  // A failing sink stops the write, at any piece.
  for (std::size_t fail_at = 0; fail_at < sizes.size(); ++fail_at) {
    std::size_t calls = 0;
    CHECK_FALSE(write_image(t, [&](std::string_view) { return calls++ != fail_at; }));
    CHECK(calls == fail_at + 1);
  }
}

TEST_CASE("tree image: a failing source is an I/O error", "[tree_image]") {
  auto img = image_of(small_tree());
  for (std::size_t fail_at : {std::size_t{0}, std::size_t{10}, img.size() / 2}) {
    std::size_t pos = 0;
    auto r = read_image(
        [&](std::span<char> out) -> std::optional<std::size_t> {
          if (pos >= fail_at)
            return std::nullopt;
          std::size_t n = std::min(out.size(), fail_at - pos);
          std::memcpy(out.data(), img.data() + pos, n);
          pos += n;
          return n;
        },
        kvmem::unlimited);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::io_error);
    CHECK(r.error().detail.find(fmt::format("at byte {}", fail_at)) != std::string::npos);
  }
  // A source that claims more than it was asked for.
  auto r = read_image([](std::span<char> out) -> std::optional<std::size_t> { return out.size() + 1; },
                      kvmem::unlimited);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
}

// A measurement, not a test: KVMEM_BENCH=1 tree_tests "tree image: speed".
TEST_CASE("tree image: speed", "[tree_image][.]") {
  if (!std::getenv("KVMEM_BENCH")) {
    SUCCEED("set KVMEM_BENCH=1 to measure");
    return;
  }
  using clock = std::chrono::steady_clock;
  tree t;
  std::mt19937_64 rng{1};
  auto t0 = clock::now();
  std::string v(100, 'v');
  for (int i = 0; i < 1'000'000; ++i) {
    for (auto& c : v)
      c = static_cast<char>('a' + rng() % 26);
    auto k = key{} / fmt::format("dir{:04}", i % 1000) / fmt::format("value{:07}", i);
    t.set(k, v, stamp{T(i), static_cast<kvmem::version_t>(i)}).value();
  }
  auto t1 = clock::now();
  std::string img;
  REQUIRE(write_image(t, [&](std::string_view s) {
    img.append(s);
    return true;
  }));
  auto t2 = clock::now();
  auto r = read_of(img);
  auto t3 = clock::now();
  REQUIRE(r);
  auto ms = [](auto d) { return std::chrono::duration<double, std::milli>(d).count(); };
  WARN(fmt::format("build {:.0f} ms; image {} MB: write_image {:.0f} ms, read_image {:.0f} ms",
                   ms(t1 - t0), img.size() / 1e6, ms(t2 - t1), ms(t3 - t2)));
  CHECK(r->used() == t.used());
  CHECK(r->count_nodes() == t.count_nodes());
  CHECK(r->verify() == "");
  auto t4 = clock::now();
  { tree gone = std::move(r).value(); }
  WARN(fmt::format("freeing the copy {:.0f} ms", ms(clock::now() - t4)));
}
