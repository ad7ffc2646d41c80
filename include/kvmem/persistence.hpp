// Persistence options of a store, and what recovery reports
// (docs/persistence.md has the guarantees, the file formats and the tests).
//
// A store with a directory journals every commit before applying it (one
// checksummed record per commit: its stamp and its writes), checkpoints its
// whole tree from a snapshot on a background thread while it goes on
// serving, and is recovered from the newest checkpoint and the journal
// after it when it is opened again (kvmem::open_store, store.hpp).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kvmem/error.hpp"
#include "kvmem/file_io.hpp"
#include "kvmem/time.hpp"
#include "kvmem/version.hpp"

namespace kvmem {

/// When journal records reach the disk, and what an acknowledgement means.
enum class sync_policy : std::uint8_t {
  /// Records kept in the process and written to the OS by a background
  /// thread at most `interval` after the first of them (or at 1 MiB);
  /// synced only by checkpoints and a clean shutdown. A crash of the process
  /// loses at most the last `interval`; a crash of the machine may lose any
  /// amount not yet written back by the OS.
  none = 0,
  /// Records kept in the process and written and synced (fdatasync) by a
  /// background thread at most `interval` after the first of them, in one
  /// write: a crash (process or machine) loses at most the commits
  /// acknowledged in the last `interval`, plus those of a write in flight.
  /// Replies do not wait for the disk; no system call on a commit's path.
  interval = 1,
  /// A commit is acknowledged only after its record is on disk (fdatasync).
  /// Commits that arrive while a sync runs are written and synced together
  /// (group commit): one sync for all of them.
  always = 2,
};

/// "none", "interval", "always"; parse_sync_policy is the inverse (nullopt
/// for anything else).
std::string_view to_string(sync_policy p) noexcept;
std::optional<sync_policy> parse_sync_policy(std::string_view s) noexcept;

struct persistence_options {
  /// The store's directory (created if missing); empty: no persistence, the
  /// store is exactly as without this option.
  std::string dir;
  sync_policy sync = sync_policy::always;
  /// sync_policy::interval: the most time between a commit and the sync
  /// that makes it durable (`none`: the write to the OS).
  std::chrono::milliseconds interval{1000};
  /// A journal segment is closed, and a new one started, once it holds this
  /// many bytes (a record never spans segments; one larger than this gets a
  /// segment of its own).
  std::uint64_t segment_bytes = std::uint64_t{64} << 20;
  /// A checkpoint starts by itself once the journal holds this many bytes
  /// written since the last one (0: only on request).
  std::uint64_t checkpoint_bytes = std::uint64_t{256} << 20;
  /// Recovery: on damage before the journal's tail (a record whose checksum
  /// fails with valid data after it, or a bad checkpoint with no older valid
  /// one), recover the state up to the damage instead of failing. The
  /// report says what was dropped. For an operator who has copied the
  /// directory first.
  bool recover_to_damage = false;
  /// Where the files are; null: the real file system. Tests pass a
  /// simulated disk.
  std::shared_ptr<file_system> fs;
};

/// What opening a persistent store found (kvmem::open_store).
struct recovery_report {
  bool created = false;               // the directory held no store: a new one
  version_t checkpoint_version = 0;   // the checkpoint loaded (0: none)
  std::string checkpoint_file;        // its name ("" if none)
  std::uint64_t records_replayed = 0; // journal records applied after it
  version_t version = 0;              // the recovered version
  /// A torn final record (a crash in mid-write) was dropped: where it began,
  /// and how many bytes were cut.
  bool torn_tail = false;
  std::string torn_file;
  std::uint64_t torn_offset = 0;
  std::uint64_t torn_bytes = 0;
  /// recover_to_damage only: the damage recovery stopped at (file, offset).
  std::optional<error> damage;
  /// Keys owned by an actor before the restart, removed in one commit.
  std::uint64_t owned_keys_removed = 0;
  std::chrono::nanoseconds took{0};
};

/// One line describing a report, for logs and the CLI.
std::string to_string(const recovery_report& r);

} // namespace kvmem
