// The benchmark data: 10^6 keys as 1000 dictionaries x 1000 entries
// (/d<i>/k<j>) or flat (/k<i>), 100-byte values, a fixed-seed access order.
#pragma once

#include <map>
#include <random>
#include <string>
#include <vector>

#include <kvmem/tree.hpp>

#include "harness.hpp"

namespace bench {

struct dataset {
  std::string name;
  std::vector<kvmem::key> keys;
  std::vector<std::string> paths; // the same keys as full-path strings
  std::string value;              // 100 bytes
  kvmem::bytes value_bytes;       // the same, as one shared buffer
  std::vector<std::uint32_t> order; // random indices into keys

  std::size_t size() const { return keys.size(); }
  /// A tree holding every key (built once, then shared: copies are O(1)).
  const kvmem::tree& tree() const;
  std::map<std::string, std::string> build_map() const;

  static const dataset& nested(const options& o); // 1000 x 1000
  static const dataset& flat(const options& o);   // 10^6 in one dictionary

private:
  mutable std::optional<kvmem::tree> tree_;
};

} // namespace bench
