#include "store/subscription_index.hpp"

#include <algorithm>

namespace kvmem::detail {

subscription_index::subscription_index() : root_(std::make_unique<node>()) {}

// Iterative, so that a deep trie is not freed by deep recursion.
subscription_index::~subscription_index() {
  std::vector<std::unique_ptr<node>> dying;
  dying.push_back(std::move(root_));
  while (!dying.empty()) {
    auto n = std::move(dying.back());
    dying.pop_back();
    for (auto& [seg, child] : n->next)
      dying.push_back(std::move(child));
  }
}

void subscription_index::add(const key& prefix, std::uint64_t id) {
  auto& ids = below_[prefix];
  ids.reserve(ids.size() + 1);
  // Create the path first, then count: a failure leaves counts exact (empty
  // nodes it created are harmless and reused).
  std::vector<node*> path{root_.get()};
  path.reserve(prefix.depth() + 1);
  for (auto& seg : prefix.segments()) {
    auto& child = path.back()->next[seg];
    if (!child)
      child = std::make_unique<node>();
    path.push_back(child.get());
  }
  path.back()->ids.push_back(id);
  ids.push_back(id);
  for (auto* n : path)
    ++n->count;
}

void subscription_index::remove(const key& prefix, std::uint64_t id) {
  auto b = below_.find(prefix);
  if (b == below_.end() || std::find(b->second.begin(), b->second.end(), id) == b->second.end())
    return;
  std::erase(b->second, id);
  if (b->second.empty())
    below_.erase(b);
  std::vector<node*> path{root_.get()};
  path.reserve(prefix.depth() + 1);
  for (auto& seg : prefix.segments())
    path.push_back(path.back()->next.at(seg).get());
  std::erase(path.back()->ids, id);
  for (auto* n : path)
    --n->count;
  // Prune the nodes that no longer lead to a subscription, deepest first.
  for (std::size_t i = prefix.depth(); i > 0; --i) {
    if (path[i]->count != 0)
      break;
    path[i - 1]->next.erase(prefix.segments()[i - 1]); // frees path[i] (and nothing below: empty)
  }
}

} // namespace kvmem::detail
