// The seven reads of Mirage_kv.RO over either source a reader may have
// (internal): a tree in this process, or messages to a store (possibly to a
// snapshot it keeps pinned; see src/detail/message_reads.hpp). The blocking
// client and the batch view both read through these, so each read is written
// once per source.
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
};

/// Reads of a tree in this process: no message. The tree must outlive it.
class tree_reads final : public reads {
public:
  explicit tree_reads(const tree& t) noexcept : t_(t) {}
  result<std::optional<kind>> exists(const key& k) override { return t_.exists(k); }
  result<bytes> get(const key& k) override { return t_.get(k); }
  result<bytes> get_partial(const key& k, std::uint64_t off, std::uint64_t len) override {
    return t_.get_partial(k, off, len);
  }
  result<std::uint64_t> size(const key& k) override { return t_.size(k); }
  result<listing> list(const key& k) override { return t_.list(k); }
  result<ptime> last_modified(const key& k) override { return t_.last_modified(k); }
  result<kvmem::digest> digest(const key& k) override { return t_.digest(k); }

private:
  const tree& t_;
};

} // namespace kvmem::detail
