// Which subscriptions an event concerns (internal): those whose prefix is
// the event's key or above it, and those below it.
//
// A trie of prefixes, one level per segment, answers "at or above" by one
// walk down the event's key: O(key length) (a hash of each segment), not a
// map lookup of every prefix of it (O(depth²) and worse: a key 60,000
// segments deep stalled the store for seconds). Subscriptions below the key
// are a range of an ordered map, scanned only when the trie says there are
// any. The memory is one node per segment of each distinct prefix.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "kvmem/key.hpp"

namespace kvmem::detail {

class subscription_index {
public:
  subscription_index();
  ~subscription_index();
  subscription_index(const subscription_index&) = delete;
  subscription_index& operator=(const subscription_index&) = delete;

  /// Adds subscription `id` at `prefix`. O(prefix length + log S).
  void add(const key& prefix, std::uint64_t id);
  /// Removes it (nothing if it is not there). O(prefix length + log S).
  void remove(const key& prefix, std::uint64_t id);

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
    std::vector<std::uint64_t> ids; // subscriptions at this prefix
    std::size_t count = 0;          // subscriptions at this prefix or below
  };
  std::unique_ptr<node> root_;
  std::map<key, std::vector<std::uint64_t>> below_; // every prefix, ordered
};

} // namespace kvmem::detail
