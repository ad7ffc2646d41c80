// kvmem::file_system — every file operation a persistent store makes, behind
// one small interface (as LevelDB's Env and SQLite's VFS), so that tests can
// simulate what real disks do: lose what was not synced at a crash, tear a
// write, fail with ENOSPC or EIO at the N-th call. No CAF.
//
// The store's journal, checkpoints and lock go through the file_system of
// its persistence options (persistence.hpp); kvmem::posix_file_system() is
// the real one. Every call returns its failure as a value: errc::io_error
// (detail: the operation, the file, the offset if any and strerror) or
// errc::unavailable for a lock held by someone else.
//
// Durability contract, the one a POSIX file system gives and the one the
// store relies on:
//   - bytes written to a file are durable once file::sync() returned success
//     (fdatasync: the data and the size needed to read it back);
//   - a file's creation, removal or rename is durable once
//     file_system::sync_dir() of its directory returned success;
//   - a failed sync() leaves unknown what reached the disk (the store stops
//     writing; see docs/persistence.md).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kvmem/result.hpp"

namespace kvmem {

/// One open file. Not for concurrent use of one object, except that sync()
/// may run on one thread while write_at() runs on another (the journal's
/// group commit does: the sync covers what was written before it began).
class file {
public:
  virtual ~file() = default;
  /// Writes all of `data` at `offset` (extending the file if needed), or
  /// fails; a failure may have written a part of it.
  virtual result<void> write_at(std::uint64_t offset, std::span<const char> data) = 0;
  /// Reads up to out.size() bytes at `offset`; fewer only at the end of the
  /// file. Returns how many were read.
  virtual result<std::size_t> read_at(std::uint64_t offset, std::span<char> out) = 0;
  /// Makes everything written so far durable (fdatasync).
  virtual result<void> sync() = 0;
  /// Writes [offset, offset + length) to the disk and waits for it, without
  /// making it durable (no metadata, no cache flush: sync() still must
  /// follow): a hint that keeps a large file being written from piling up
  /// dirty pages that another file's sync would then wait for
  /// (sync_file_range). The default does nothing.
  virtual result<void> write_back(std::uint64_t offset, std::uint64_t length) {
    (void)offset;
    (void)length;
    return {};
  }
  /// Cuts (or extends with zeros) the file to `size` bytes.
  virtual result<void> truncate(std::uint64_t size) = 0;
  /// The file's size.
  virtual result<std::uint64_t> size() = 0;
};

/// Held while it lives: the exclusive lock of a directory.
class file_lock {
public:
  virtual ~file_lock() = default;
};

class file_system {
public:
  virtual ~file_system() = default;
  enum class mode : std::uint8_t {
    read,       // an existing file, read only
    write,      // an existing file, read and write
    create_new, // a new file, read and write; fails if it exists
  };
  virtual result<std::unique_ptr<file>> open(const std::string& path, mode m) = 0;
  /// Replaces `to` by `from` atomically (rename(2)).
  virtual result<void> rename(const std::string& from, const std::string& to) = 0;
  virtual result<void> remove(const std::string& path) = 0;
  /// The names (not paths) of the files in `dir`, sorted.
  virtual result<std::vector<std::string>> list(const std::string& dir) = 0;
  /// Makes the creations, removals and renames in `dir` durable.
  virtual result<void> sync_dir(const std::string& dir) = 0;
  /// Creates `dir` (and its parents) if missing.
  virtual result<void> make_dir(const std::string& dir) = 0;
  /// Takes the exclusive lock `path` (created if missing): one holder across
  /// processes and within one (errc::unavailable, naming the holder's pid
  /// if known, while another holds it). Released when the result dies or
  /// its process ends.
  virtual result<std::unique_ptr<file_lock>> lock(const std::string& path) = 0;
};

/// The real file system (POSIX: pwrite, fdatasync, rename, flock). Shared,
/// stateless.
std::shared_ptr<file_system> posix_file_system();

} // namespace kvmem
