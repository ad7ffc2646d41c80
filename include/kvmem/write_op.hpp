// kvmem::write_op — one write, described as a value: the vocabulary shared by
// single writes, batches and the store's record of each commit (which feeds,
// owned keys and a journal read). No CAF.
//
// A store applies every write — a single set as much as a batch of a
// thousand — as a list of write_ops through one function, apply(), so that
// whatever needs to know which keys a write touched (validation, versions,
// feeds) hooks into one place. Plain value type; cheap to copy (the data is
// a shared kvmem::bytes).
#pragma once

#include <cstdint>
#include <optional>

#include "kvmem/bytes.hpp"
#include "kvmem/change.hpp"
#include "kvmem/key.hpp"
#include "kvmem/result.hpp"
#include "kvmem/time.hpp"
#include "kvmem/version.hpp"

namespace kvmem {

class tree;
struct stamp;

struct write_op {
  enum class code : std::uint8_t { set = 1, set_partial = 2, remove = 3, rename = 4, allocate = 5 };
  static constexpr std::uint8_t max_code = 5;

  code op = code::set;
  key path;                  // the key written (rename: the source)
  key destination;           // rename: where the source goes
  bytes data;                // set, set_partial: the bytes written
  std::uint64_t offset = 0;  // set_partial: where data goes in the value
  std::uint64_t size = 0;    // allocate: the number of zero bytes
  std::optional<ptime> time; // allocate: the last-modified time (default: the write's)
  /// A conditional write: what k (rename: the source) must be before the
  /// write, else it fails with version_mismatch and changes nothing.
  std::optional<expect> precondition;

  /// The writes of Mirage_kv.RW, as values (see tree.hpp for each one's
  /// semantics and errors), optionally conditional.
  static write_op set(key k, bytes v, std::optional<expect> pre = {}) {
    return {code::set, std::move(k), {}, std::move(v), 0, 0, {}, pre};
  }
  static write_op set_partial(key k, std::uint64_t offset, bytes data) {
    return {code::set_partial, std::move(k), {}, std::move(data), offset, 0, {}, {}};
  }
  static write_op remove(key k, std::optional<expect> pre = {}) {
    return {code::remove, std::move(k), {}, {}, 0, 0, {}, pre};
  }
  static write_op rename(key src, key dst, std::optional<expect> pre = {}) {
    return {code::rename, std::move(src), std::move(dst), {}, 0, 0, {}, pre};
  }
  static write_op allocate(key k, std::uint64_t size, std::optional<ptime> mtime = {}) {
    return {code::allocate, std::move(k), {}, {}, 0, size, mtime, {}};
  }

  /// Bytes of keys and data this write may make the store hold: what batch
  /// limits count. Each key segment counts its length plus one; a set its
  /// data; an allocate its size; a set_partial offset + data (it may
  /// extend the value that far, with zeros). Saturates at UINT64_MAX.
  /// O(depth).
  std::uint64_t payload_bytes() const noexcept;

  friend bool operator==(const write_op&, const write_op&) = default;
};

/// Applies `w` to `t` as the tree operation of the same name, stamped `at`
/// (time and version), after checking its precondition if it has one, and
/// appends its effects to `*effects` if given (tree.hpp). Returns whether it
/// changed anything: false for the no-ops (removing an absent key, renaming
/// a value onto itself), true otherwise. Fails exactly as that tree
/// operation does (or with version_mismatch; no_space if memory runs out),
/// and then changes nothing.
result<bool> apply(tree& t, const write_op& w, const stamp& at, change_list* effects = nullptr);

} // namespace kvmem
