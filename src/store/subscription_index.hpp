// Which subscriptions an event concerns (internal): those whose prefix is
// the event's key or above it, and those below it.
//
// A trie of prefixes, one level per segment, answers "at or above" by one
// walk down the event's key: O(key length) (a hash of each segment), not a
// map lookup of every prefix of it (O(depth²) and worse: a key 60,000
// segments deep stalled the store for seconds). Subscriptions below the key
// are a range of an ordered map, scanned only when the trie says there are
// any. The memory is one node per segment of each distinct prefix.
//
// What it holds per subscription is a value of type V: the store keeps a
// pointer to the subscription itself (so that a commit reaches it without a
// lookup by id); the tests keep ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kvmem/key.hpp"

namespace kvmem::detail {

template <class V>
class prefix_index {
public:
  prefix_index() : root_(std::make_unique<node>()) {}
  ~prefix_index();
  prefix_index(const prefix_index&) = delete;
  prefix_index& operator=(const prefix_index&) = delete;

  /// Adds subscription `id` at `prefix`. O(prefix length + log S).
  void add(const key& prefix, V id);
  /// Removes it (nothing if it is not there). O(prefix length + log S).
  void remove(const key& prefix, V id);

  /// Calls f(id) once for every subscription whose prefix is `path` or
  /// above it, then once for each below it. O(path length) plus, if any
  /// prefix lies below `path`, O(log S) key comparisons; plus one call per
  /// subscription concerned.
  template <class F>
  void for_each_concerned(const key& path, F&& f) const {
    const node* n = root_.get();
    for (std::size_t i = 0;; ++i) {
      for (auto id : n->ids)
        f(id);
      if (i == path.depth())
        break;
      auto next = n->next.find(path.segments()[i]);
      if (next == n->next.end())
        return; // no prefix at or below the rest of the path
      n = next->second.get();
    }
    if (n->count == n->ids.size())
      return; // nothing below
    for (auto it = below_.upper_bound(path); it != below_.end() && path.is_prefix_of(it->first);
         ++it)
      for (auto id : it->second)
        f(id);
  }

  bool empty() const noexcept { return root_->count == 0; }

private:
  struct node {
    std::unordered_map<std::string, std::unique_ptr<node>> next;
    std::vector<V> ids; // subscriptions at this prefix
    std::size_t count = 0;          // subscriptions at this prefix or below
  };
  std::unique_ptr<node> root_;
  std::map<key, std::vector<V>> below_; // every prefix, ordered
};

using subscription_index = prefix_index<std::uint64_t>;

// Iterative, so that a deep trie is not freed by deep recursion.
template <class V>
prefix_index<V>::~prefix_index() {
  std::vector<std::unique_ptr<node>> dying;
  dying.push_back(std::move(root_));
  while (!dying.empty()) {
    auto n = std::move(dying.back());
    dying.pop_back();
    for (auto& [seg, child] : n->next)
      dying.push_back(std::move(child));
  }
}

template <class V>
void prefix_index<V>::add(const key& prefix, V id) {
  auto& ids = below_[prefix];
  if (ids.size() == ids.capacity()) // room first (geometric: reserve(size() + 1) copies all)
    ids.reserve(std::max<std::size_t>(4, ids.size() * 2));
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

template <class V>
void prefix_index<V>::remove(const key& prefix, V id) {
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
