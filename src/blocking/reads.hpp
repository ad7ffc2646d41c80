// The seven reads of Mirage_kv.RO as an interface (internal): what a batch
// view of a remote store reads through (message_reads, to a snapshot the
// store keeps pinned). Local views read their tree directly.
#pragma once

#include <cstdint>
#include <optional>

#include "kvmem/tree.hpp"

namespace kvmem::detail {

class reads {
public:
  virtual ~reads() = default;
  virtual result<std::optional<kind>> exists(const key& k) = 0;
  virtual result<bytes> get(const key& k) = 0;
  virtual result<bytes> get_partial(const key& k, std::uint64_t off, std::uint64_t len) = 0;
  virtual result<std::uint64_t> size(const key& k) = 0;
  virtual result<listing> list(const key& k) = 0;
  virtual result<ptime> last_modified(const key& k) = 0;
  virtual result<kvmem::digest> digest(const key& k) = 0;
  virtual result<entry_stat> stat(const key& k) = 0;
};

} // namespace kvmem::detail
