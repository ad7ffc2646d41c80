// Deleting the store's big files without stalling its journal syncs
// (internal). Freeing a file's blocks happens in the file system's next
// journal commit, and on a disk mounted with `discard` that commit also
// trims every freed block: unlinking a 150 MB checkpoint held a concurrent
// 200-byte fdatasync for 43-63 ms (4 runs on this machine's ext4), while
// cutting it down 16 MiB at a time, each cut synced, kept the worst sync at
// 9-12 ms. RocksDB rate-limits its file deletions for the same reason.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "kvmem/file_io.hpp"

namespace kvmem::detail {

/// The suffix of a file being removed: recovery deletes such files and
/// never reads them.
inline constexpr std::string_view removal_suffix = ".del";

/// Removes dir/name, a file the store no longer needs, gradually: renames it
/// to name + removal_suffix (so that a crash half way leaves nothing that
/// recovery would read as a cut-short segment or checkpoint), then cuts it
/// down `step` bytes at a time, each cut synced and followed by `pace` (if
/// set), then removes it. Best effort: after a failed rename or directory
/// sync it removes the file at once (never cutting it under a name that a
/// crash could bring back); after any other failure it removes what is left.
void remove_gradually(file_system& fs, const std::string& dir, const std::string& name,
                      std::uint64_t step = std::uint64_t{16} << 20,
                      const std::function<void()>& pace = {});

} // namespace kvmem::detail
