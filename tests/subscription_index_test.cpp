// The store's index of subscriptions by prefix (src/store/subscription_index)
// against the naive rule it replaces: a subscription at prefix P concerns an
// event at key K if P is a prefix of K or K of P.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>

#include "store/subscription_index.hpp"

namespace {

kvmem::key random_key(std::mt19937_64& rng, std::size_t max_depth) {
  static const char* segs[] = {"a", "b", "ab", "c"};
  kvmem::key k;
  auto depth = rng() % (max_depth + 1);
  for (std::size_t i = 0; i < depth; ++i)
    k = std::move(k) / segs[rng() % 4];
  return k;
}

} // namespace

TEST_CASE("the subscription index finds exactly the subscriptions at, above and below a key") {
  auto seed = Catch::rngSeed() ? Catch::rngSeed() : std::random_device{}();
  INFO("seed " << seed);
  std::mt19937_64 rng(seed);
  kvmem::detail::subscription_index index;
  std::vector<std::pair<kvmem::key, std::uint64_t>> model; // (prefix, id)
  std::uint64_t next = 1;
  for (int step = 0; step < 4000; ++step) {
    auto what = rng() % 10;
    if (what < 4 || model.empty()) {
      auto p = random_key(rng, 4);
      index.add(p, next);
      model.emplace_back(p, next++);
    } else if (what < 7) {
      auto i = rng() % model.size();
      index.remove(model[i].first, model[i].second);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(i));
    } else if (what == 7) {
      // Removing what is not there (a wrong prefix or id) changes nothing.
      index.remove(random_key(rng, 4), next + 1000);
    }
    auto k = random_key(rng, 5);
    std::vector<std::uint64_t> got, want;
    index.for_each_concerned(k, [&](std::uint64_t id) { got.push_back(id); });
    for (auto& [p, id] : model)
      if (p.is_prefix_of(k) || k.is_prefix_of(p))
        want.push_back(id);
    std::sort(want.begin(), want.end());
    auto sorted = got;
    std::sort(sorted.begin(), sorted.end());
    INFO("step " << step << ", key " << k.to_string());
    REQUIRE(sorted == want);
    REQUIRE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()); // once each
    REQUIRE(index.empty() == model.empty());
  }
}

TEST_CASE("the subscription index handles keys tens of thousands of segments deep") {
  kvmem::key deep;
  for (int i = 0; i < 50'000; ++i)
    deep = std::move(deep) / "s";
  kvmem::detail::subscription_index index;
  index.add(deep, 1);
  index.add(kvmem::key{}, 2);
  std::vector<std::uint64_t> got;
  index.for_each_concerned(deep / "x", [&](std::uint64_t id) { got.push_back(id); });
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint64_t>{1, 2});
  got.clear();
  index.for_each_concerned(kvmem::key::v("/s/s"), [&](std::uint64_t id) { got.push_back(id); });
  std::sort(got.begin(), got.end());
  CHECK(got == std::vector<std::uint64_t>{1, 2});
  index.remove(deep, 1);
  got.clear();
  index.for_each_concerned(deep, [&](std::uint64_t id) { got.push_back(id); });
  CHECK(got == std::vector<std::uint64_t>{2});
  // The index (and its deep trie, freed without recursion) goes here.
}
