// kvmem::change — one event of a change feed or of a diff between two trees.
// No CAF.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "kvmem/bytes.hpp"
#include "kvmem/key.hpp"
#include "kvmem/kind.hpp"
#include "kvmem/version.hpp"

namespace kvmem {

/// What happened at a key.
enum class change_op : std::uint8_t {
  /// The key now holds a value, carried in `value` (set, set_partial,
  /// allocate; in a diff: a value that is new or differs).
  set = 1,
  /// The key, and everything below it, is gone (one event for a whole
  /// subtree). `what` is the kind it had.
  remove = 2,
  /// The key was moved away by a rename, to `other`. `what` is its kind.
  rename_out = 3,
  /// The key arrived by a rename, from `other`. A value's bytes are carried
  /// in `value`; a dictionary's contents are read from the snapshot the
  /// event comes with (see watch.hpp).
  rename_in = 4,
  /// (Diffs only.) The key now holds a dictionary that is new or replaced
  /// what was there; its contents are those of the newer tree.
  dictionary = 5,
};
inline constexpr std::uint8_t max_change_op = 5;

/// "set", "remove", "rename_out", "rename_in" or "dictionary".
constexpr std::string_view to_string(change_op op) noexcept {
  switch (op) {
    case change_op::set: return "set";
    case change_op::remove: return "remove";
    case change_op::rename_out: return "rename_out";
    case change_op::rename_in: return "rename_in";
    case change_op::dictionary: return "dictionary";
  }
  return "unknown";
}

struct change {
  version_t version = 0; // of the write (in a diff: of the newer tree)
  change_op op = change_op::set;
  key path;
  kind what = kind::value;
  std::optional<key> other; // the other end of a rename
  bytes value;              // set, and rename_in of a value

  friend bool operator==(const change&, const change&) = default;
};

using change_list = std::vector<change>;

} // namespace kvmem

template <>
struct fmt::formatter<kvmem::change_op> : kvmem::detail::to_string_formatter<kvmem::change_op> {};
