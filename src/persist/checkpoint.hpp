// Checkpoints: the whole tree at one version in one file, written from a
// snapshot (an O(1) copy of the root) off the store's thread (internal).
// docs/persistence.md, "Checkpoints", has the layout.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "kvmem/file_io.hpp"
#include "kvmem/result.hpp"
#include "kvmem/tree.hpp"

namespace kvmem::detail {

/// "checkpoint-<version, 20 digits>.kvc"; parse_checkpoint_name: the version.
std::string checkpoint_name(version_t v);
std::optional<version_t> parse_checkpoint_name(std::string_view name);

struct checkpoint_data {
  version_t version = 0;
  ptime taken;            // the store's clock when it was taken
  tree root;
  std::vector<key> owned; // keys owned by an actor at that version
};

/// How a checkpoint hands its bytes to the file system: in pieces of
/// `unit` bytes (the last one shorter), each written back to the disk before
/// the next (file::write_back); `before_each`, if set, runs before each.
struct checkpoint_pacing {
  std::size_t unit = std::size_t{1} << 20;
  std::function<void()> before_each;
};

/// Writes `c` as dir/checkpoint-<v>.kvc: to a temporary file, synced, renamed
/// over the final name, the directory synced, its bytes paced by `pacing`.
/// Returns the file's size. On failure the temporary file is removed (best
/// effort) and nothing else changed. Safe on any thread while other threads
/// use copies of c.root. `*cancel` turning true stops it before its next
/// piece (errc::unavailable).
result<std::uint64_t> write_checkpoint(file_system& fs, const std::string& dir,
                                       const checkpoint_data& c,
                                       const std::atomic<bool>* cancel = nullptr,
                                       const checkpoint_pacing& pacing = {});

/// Reads dir/name entirely and checks it (magic, format, the checksum over
/// the whole file). errc::corrupt names the file and the offset of what is
/// wrong; errc::io_error for a failed read.
result<checkpoint_data> read_checkpoint(file_system& fs, const std::string& dir,
                                        const std::string& name, std::uint64_t capacity);

} // namespace kvmem::detail
