// kvmem::test::sim_fs — a simulated disk (a kvmem::file_system in memory)
// that loses at a crash what a real disk may lose, and fails on demand.
//
// The model (what survives power loss):
//   - A file is an inode with `current` bytes (what reads see) and `durable`
//     bytes (what survives a crash). file::sync() copies current to durable
//     for that inode. A failed sync() (injected) makes nothing durable.
//   - A directory maps names to inodes twice: its current entries and its
//     durable entries. A creation, rename or removal changes the current
//     entries only; sync_dir(dir) copies them to the durable ones. A rename
//     between two directories needs both synced.
//   - crash(): every directory reverts to its durable entries (a file
//     created and never dir-synced disappears, a rename not dir-synced is
//     undone, a removal not dir-synced comes back), every surviving inode's
//     current = durable, all locks are released, and every file object
//     opened before fails each later call with errc::io_error "stale handle
//     after crash".
//   - crash(seed, tear = true), a torn write: for an inode whose current
//     differs from durable, let p be their common prefix and n the changed
//     bytes after it (current.size() - p). A seeded-random k in [0, n] of
//     them reached the disk: the file becomes current[0, p+k) followed by
//     what durable held beyond p+k (k == n: exactly current, a truncation
//     included). With probability 1/4, if current is longer than durable,
//     the size update reached the disk without the data instead: the file
//     becomes durable followed by zeros up to current's length.
//   - Directories exist once make_dir() created them (with their parents);
//     that is immediately durable and they are never removed. Paths are
//     strings "dir/name" split at the last '/'; a name without '/' is in
//     ".". list() returns the files of a directory, not its subdirectories.
//   - Unlinked files stay usable through the handles that have them open.
//
// Not modelled: sector-level garbage inside a torn write, reordering of
// writes within one file other than the prefix rule above, read errors,
// permissions, file data durable without fdatasync by luck (crash() always
// loses everything unsynced unless torn mode keeps a prefix), partial
// writes on an injected failure (it writes nothing).
//
// Fault injection counts the calls of each op_kind: write (file::write_at),
// sync (file::sync), sync_dir, open (file_system::open and lock), rename,
// remove, truncate (file::truncate); `any` is all of them. Reads, size(),
// list() and make_dir() are not counted and never fail on purpose.
//
// Thread-safe: one mutex guards everything (a journal's sync() may run on
// one thread while another writes). Handles and locks keep the state alive,
// so they may outlive the sim_fs.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kvmem/error.hpp"
#include "kvmem/file_io.hpp"

namespace kvmem::test {

enum class op_kind { any, write, sync, sync_dir, open, rename, remove, truncate };

class sim_fs : public kvmem::file_system {
public:
  sim_fs();
  ~sim_fs() override;

  // -- kvmem::file_system ---------------------------------------------------
  result<std::unique_ptr<file>> open(const std::string& path, mode m) override;
  result<void> rename(const std::string& from, const std::string& to) override;
  result<void> remove(const std::string& path) override;
  result<std::vector<std::string>> list(const std::string& dir) override;
  result<void> sync_dir(const std::string& dir) override;
  result<void> make_dir(const std::string& dir) override;
  result<std::unique_ptr<file_lock>> lock(const std::string& path) override;

  // -- power loss -----------------------------------------------------------
  /// Power loss without torn writes: everything unsynced is lost.
  void crash();
  /// Power loss; with tear, unsynced changes may partly survive (see the
  /// model above), chosen by a generator seeded with `seed`.
  void crash(std::uint64_t seed, bool tear);

  // -- fault injection --------------------------------------------------------
  /// The n-th call (n >= 1, counting from now) of kind `which` fails with e,
  /// once. Several may be armed.
  void fail_at(std::uint64_t n, kvmem::error e, op_kind which = op_kind::any);
  /// Every call of kind `which` from the n-th on (counting from now) fails
  /// with e, until clear_faults().
  void fail_from(std::uint64_t n, kvmem::error e, op_kind which = op_kind::any);
  /// Disarms every fail_at and fail_from.
  void clear_faults();
  /// The total current bytes of all files may not exceed `bytes`: a write or
  /// truncate that would grow past it fails with errc::io_error "... No
  /// space left on device" and changes nothing. UINT64_MAX lifts it.
  void set_capacity(std::uint64_t bytes);
  /// Calls of kind `which` since construction (failed ones included).
  std::uint64_t calls(op_kind which) const;
  /// calls(sync) + calls(sync_dir).
  std::uint64_t syncs() const;

  // -- inspection (for tests) -------------------------------------------------
  /// The current names of the files in dir, sorted (empty if no such dir).
  std::vector<std::string> files(const std::string& dir) const;
  /// The current bytes of a file; throws std::out_of_range if it is missing.
  std::string contents(const std::string& path) const;
  /// Replaces a file's bytes, current and durable (created, durably, if
  /// missing; its directory must exist, else std::out_of_range).
  void set_contents(const std::string& path, std::string bytes);
  /// The current size of a file; throws std::out_of_range if it is missing.
  std::uint64_t size(const std::string& path) const;

  struct state; // shared with the handles and locks it gave out

private:
  std::shared_ptr<state> s_;
};

/// errc::io_error with detail `what` (e.g. "injected EIO"), for fail_at.
inline kvmem::error io_error(std::string what) {
  return kvmem::error::make(kvmem::errc::io_error, std::move(what));
}

} // namespace kvmem::test
