#include "data.hpp"

#include <fmt/format.h>

namespace bench {

namespace {

dataset make(std::string name, std::size_t dirs, std::size_t per_dir, std::uint32_t seed) {
  dataset d;
  d.name = std::move(name);
  d.keys.reserve(dirs * per_dir);
  d.paths.reserve(dirs * per_dir);
  for (std::size_t i = 0; i < dirs; ++i)
    for (std::size_t j = 0; j < per_dir; ++j) {
      auto leaf = fmt::format("k{}", j);
      if (dirs == 1) {
        d.keys.push_back(kvmem::key{} / leaf);
        d.paths.push_back("/" + leaf);
      } else {
        auto dir = fmt::format("d{}", i);
        d.keys.push_back(kvmem::key{} / dir / leaf);
        d.paths.push_back(fmt::format("/{}/{}", dir, leaf));
      }
    }
  std::mt19937 rng(seed);
  d.value.resize(100);
  for (auto& c : d.value)
    c = static_cast<char>('a' + rng() % 26);
  d.value_bytes = kvmem::bytes{d.value};
  d.order.resize(1 << 20);
  for (auto& o : d.order)
    o = static_cast<std::uint32_t>(rng() % d.keys.size());
  return d;
}

} // namespace

const kvmem::tree& dataset::tree() const {
  if (!tree_) {
    kvmem::tree t;
    for (auto& k : keys)
      t.set(k, value_bytes, {}).value();
    tree_ = std::move(t);
  }
  return *tree_;
}

std::map<std::string, std::string> dataset::build_map() const {
  std::map<std::string, std::string> m;
  for (auto& p : paths)
    m.emplace(p, value);
  return m;
}

const dataset& dataset::nested(const options& o) {
  static const dataset d = make("1000 x 1000", 1000, 1000, o.seed);
  return d;
}

const dataset& dataset::flat(const options& o) {
  static const dataset d = make("flat 10^6", 1, 1'000'000, o.seed);
  return d;
}

} // namespace bench
