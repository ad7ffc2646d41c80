// The journal: segments of framed commit records, appended by the store's
// thread and synced by a thread of its own (internal). docs/persistence.md
// has the format and the guarantees.
//
// Group commit: under sync_policy::always the store appends a commit's
// record and hands its acknowledgement to when_synced(); the sync thread
// syncs everything written so far and then acknowledges every commit it
// covered, while the store goes on appending the next ones — which the next
// sync covers, all together.
//
// Under `interval` and `none` a commit's record is kept in this process
// (keep()) and written to the file by the thread, with the others that came
// within `interval` (or 1 MiB), in one write — synced right after under
// `interval` — as Redis's everysec does once per event-loop pass: no system
// call on a commit's path. A crash (of the process or the machine) then
// loses at most the last `interval`. A write that fails (disk full, EIO)
// keeps the records and makes appends fail with io_error until a retry (every
// 100 ms) succeeds; nothing kept is lost unless the process ends meanwhile. Writers released by one sync come back
// together: if fewer are waiting than the last sync covered, the thread
// holds the next sync for them, at most a quarter of the last sync's time
// (PostgreSQL's commit_delay, adaptive), so that n writers share one sync
// per round instead of splitting into two groups that alternate. Under `interval` the thread syncs at most
// `interval` after the first unsynced append; under `none`, only at
// sync_now() (checkpoints) and when the journal closes.
//
// Failures: an append that fails is cut back (nothing of it stays) and
// reported; if it cannot be cut back, or a sync fails, the journal refuses
// every later append (refused()) until the store is reopened: after a failed
// fsync nothing says what reached the disk.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kvmem/file_io.hpp"
#include "kvmem/persistence.hpp"

namespace kvmem::detail {

/// Segment files: "journal-<first version, 20 digits>.kvj".
std::string segment_name(version_t first);
/// The first version named by a segment file name, or nullopt.
std::optional<version_t> parse_segment_name(std::string_view name);
/// A segment's header: magic "KVMEMJ01", u32 format (1), u32 0, u64 first.
inline constexpr std::size_t segment_header_bytes = 24;
std::string segment_header(version_t first);
/// Checks a header read from a segment; the first version it names.
std::optional<version_t> check_segment_header(std::string_view h);

/// Called once, on the sync thread (or at close), when what was appended
/// before it was handed over is on disk: with null, or with the error.
using sync_waiter = std::function<void(const error*)>;

class journal {
public:
  struct segment {
    std::string name;
    version_t first = 0;
    std::uint64_t bytes = 0; // its size (the last one's: where the next record goes)
  };
  /// Takes over the segments recovery kept (oldest first, each complete, the
  /// last one cut after its last good record), and appends after `version`
  /// (to the last segment if it has room, else to a new one).
  static result<std::unique_ptr<journal>> open(std::shared_ptr<file_system> fs, std::string dir,
                                               const persistence_options& o,
                                               std::vector<segment> segments, version_t version);
  /// Syncs what was appended (a clean shutdown loses nothing, whatever the
  /// policy), acknowledges what waits, and stops the sync thread.
  ~journal();
  journal(const journal&) = delete;
  journal& operator=(const journal&) = delete;

  /// Why appends are refused (a failed sync, or an append that could not be
  /// cut back), or nullopt.
  std::optional<error> refused() const;

  /// Appends one framed record (journal_record.hpp) of commit version `v`,
  /// before the commit is applied; then exactly one of keep() (it applied)
  /// or retract() (it failed or changed nothing) follows. Under `always`
  /// the record is written to the OS before append returns; otherwise it is
  /// staged, and keep() hands it to the thread. Errors: io_error (nothing of
  /// it stays; under interval/none also while writes of kept records fail),
  /// read_only (refused()).
  result<void> append(std::string_view framed, version_t v);
  /// The last append's commit was applied: its record stays.
  void keep() noexcept;
  /// Takes back the last append (its commit failed or changed nothing). If
  /// that fails, appends are refused from then on.
  void retract();
  /// sync_policy::always: `w` is called once the last append is on disk.
  void when_synced(sync_waiter w);
  /// Syncs everything appended so far on the caller's thread.
  result<void> sync_now();
  /// A checkpoint's pacing (checkpoint.hpp), under sync_policy::always:
  /// returns at once if no commit waits for a sync and none runs; otherwise
  /// when the sync that runs (or the next one) has ended, or after `limit`.
  /// A checkpoint that writes only then puts its writes right after a sync
  /// instead of ahead of one in the disk's queue and cache. Takes none of
  /// the locks the store's thread takes (the checkpoint thread runs at
  /// nice 19: a lock it held while preempted would stall the store). Not
  /// concurrently with the journal's destruction.
  void yield_to_syncs(std::chrono::steady_clock::duration limit);
  /// How many threads wait in yield_to_syncs now (for tests).
  int pacers_waiting() const noexcept { return pacers_; }
  /// Deletes the segments that hold only versions <= v (a checkpoint of v is
  /// durable); the one being appended to stays. Best effort, gradually
  /// (removal.hpp), with `pace` after each piece.
  void drop_through(version_t v, const std::function<void()>& pace = {});

  struct stats {
    std::uint64_t bytes = 0;    // in all segments
    std::uint64_t segments = 0;
    version_t written = 0;      // the last version appended
    version_t synced = 0;       // the last version known on disk
    std::uint64_t since_checkpoint = 0; // bytes appended since the last mark_checkpoint
  };
  stats info() const;
  /// Bytes appended since the last mark_checkpoint (a relaxed read).
  std::uint64_t since_checkpoint() const noexcept {
    return since_checkpoint_hint_.load(std::memory_order_relaxed);
  }
  /// Counts appended bytes from zero again (a checkpoint started).
  void mark_checkpoint();

private:
  journal(std::shared_ptr<file_system> fs, std::string dir, const persistence_options& o);
  result<void> roll(version_t first); // the writer: a new segment for version `first` on
  void run();                         // the sync thread
  void refuse(error e);               // m_ held
  /// interval/none: writes the kept records to the file (rolling segments as
  /// needed); returns the last version written. Holds io_m_.
  result<version_t> flush();

  std::shared_ptr<file_system> fs_;
  std::string dir_;
  persistence_options opts_;
  mutable std::mutex m_;
  std::condition_variable cv_;
  std::vector<segment> segments_;    // m_
  std::shared_ptr<file> current_;    // m_ (the last segment's file)
  std::uint64_t end_ = 0;            // store thread: where the next record goes
  std::uint64_t last_bytes_ = 0;     // store thread: the size of the last append
  version_t last_before_ = 0;        // store thread: written_ before the last append
  // A retract re-syncs if a sync ran at any time since its append began:
  // syncs_started_ and syncs_running_ as the append began.
  std::uint64_t syncs_at_append_ = 0;  // store thread
  bool sync_ran_at_append_ = false;    // store thread
  std::uint64_t syncs_started_ = 0;    // m_
  std::uint64_t syncs_running_ = 0;    // m_
  // yield_to_syncs, without m_: whether commits wait for a sync or one runs
  // (waiters_ or syncs_running_, set under m_), the syncs ended so far, and
  // the pacers waiting for the next end (on pace_m_ / sync_ended_).
  std::atomic<bool> sync_busy_{false};
  std::atomic<std::uint64_t> syncs_ended_{0};
  std::atomic<int> pacers_{0};
  std::mutex pace_m_;
  std::condition_variable sync_ended_;
  void note_sync_busy();  // m_ held: sets sync_busy_ from waiters_ and syncs_running_
  void note_sync_ended(); // m_ not held: counts the end, wakes pacers
  version_t written_ = 0;            // m_
  version_t synced_ = 0;             // m_
  std::uint64_t since_checkpoint_ = 0;        // m_
  std::uint64_t total_bytes_ = 0;             // m_
  std::uint64_t generation_ = 0;              // m_: appends so far (what a sync covers)
  std::uint64_t synced_generation_ = 0;       // m_
  std::optional<std::chrono::steady_clock::time_point> unsynced_since_; // m_
  std::vector<sync_waiter> waiters_;          // m_
  // Group commit's hold (run()): how many commits the last sync covered and
  // how long it took, and when the first waiter of the next group came.
  std::size_t last_group_ = 0;                                  // m_
  std::chrono::steady_clock::duration last_sync_{};             // m_
  std::chrono::steady_clock::time_point group_start_{};         // m_
  std::optional<error> refused_;              // m_
  // interval/none (buffered_): records kept in memory until the thread
  // writes them.
  bool buffered_ = false;
  std::string staged_;                        // store thread: the record of the commit in progress
  version_t staged_version_ = 0;              // store thread
  bool has_staged_ = false;                   // store thread
  std::string pending_;                       // m_: kept records, not written yet
  std::vector<std::pair<std::size_t, version_t>> pending_ends_; // m_: each one's end and version
  std::optional<error> write_failing_;        // m_: the last write of them failed
  std::chrono::steady_clock::time_point retry_at_{}; // m_
  version_t flushed_ = 0;                     // m_: the last version written to the file
  std::atomic<bool> failing_{false};          // write_failing_ is set (read without m_)
  std::mutex io_m_;                           // buffered_: held by whoever writes records
  std::atomic<bool> refusing_{false};         // refused_ is set (read without m_)
  std::atomic<std::uint64_t> since_checkpoint_hint_{0}; // since_checkpoint_, without m_
  bool stop_ = false;                         // m_
  std::thread thread_;
};

} // namespace kvmem::detail
