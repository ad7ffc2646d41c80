// RESP commands (internal): the command table, and the data commands run
// over a store snapshot.
//
// The server runs the commands that arrived together as a group, like a
// batch: over a working copy of the store's published root (an O(1) copy of
// an immutable tree), applying each write to the copy as it goes, so that
// every reply is computed here, on the I/O thread. What the group wrote goes
// to the store as one commit, with every read its replies depended on; the
// store applies it only if those reads still hold, and otherwise the server
// runs the group again over a fresh snapshot (group_run is then rebuilt).
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kvmem/messages.hpp"
#include "kvmem/read_op.hpp"
#include "kvmem/tree.hpp"
#include "kvmem/write_op.hpp"
#include "resp/reply_writer.hpp"

namespace kvmem::detail::resp {

using args_t = std::span<const std::string_view>; // args[0] is the command's name

/// One group's run over a snapshot: what a batch records.
///
/// Plain sets (SET, MSET, the set of SETNX...) are recorded without being
/// applied, and applied only when a later command reads (view()): a round
/// of blind writes then leaves the tree to the store, which edits its own
/// unshared root in place instead of this copy copying a path per write.
/// A recorded set that fails when applied (a path through a value) makes
/// the run fail (lazy_error): its reply (+OK) was given too early, so the
/// server runs the commands again one at a time, and the store's own
/// application reports the error to the command that caused it.
struct group_run {
  group_run(const tree& root, version_t base_version, ptime now)
    : work(root), base(base_version), at{now, base_version + 1} {}
  /// The snapshot with every write recorded so far applied.
  tree& view() {
    for (; applied < ops.size(); ++applied) {
      auto r = apply(work, ops[applied], at, nullptr);
      if (!r) {
        if (!lazy_error)
          lazy_error = std::move(r).error();
      } else {
        changed = changed || *r;
      }
    }
    return work;
  }
  tree work;        // the snapshot, then with ops[0, applied) applied
  version_t base;   // the snapshot's version
  stamp at;         // the group's writes' stamp (its commit's version if the store is still at base)
  std::vector<write_op> ops;
  std::size_t applied = 0;
  std::optional<error> lazy_error;
  std::vector<read_op> reads;
  bool reads_complete = true; // false: a reply depended on more than `reads` records (KEYS, SCAN, DBSIZE)
  bool changed = false;       // whether any applied write changed `work`
  bool eager = false;         // apply sets at once (inside EXEC: each command has its own outcome)
  bool record_reads = true;   // false for a group that only reads (no commit to validate)
  void note(read_op r) {
    if (record_reads)
      reads.push_back(std::move(r));
  }
};

/// SCAN's cursors, shared by a server's connections (a pooled client may
/// continue a scan on another connection): a cursor holds the snapshot it
/// started on and where it is in its walk, so that a scan sees one
/// consistent state (stronger than Redis's guarantee) and each call costs
/// what it returns, not the size of the store. A scan not continued before
/// max_open newer ones started is forgotten (ERR invalid cursor).
class scan_cursors {
public:
  struct frame {
    listing entries;
    std::size_t next = 0;
  };
  struct cursor {
    std::uint64_t id = 0;
    tree root;
    std::vector<frame> stack;
  };
  /// A new cursor over `root` (at most `max_open` are kept: the oldest is
  /// dropped and its id becomes invalid).
  cursor& open(const tree& root);
  cursor* find(std::uint64_t id);
  void close(std::uint64_t id);

private:
  static constexpr std::size_t max_open = 1024;
  std::deque<cursor> open_;
  std::uint64_t next_id_ = 0;
};

/// What a command may do and where it runs.
enum command_flags : unsigned {
  cmd_read = 1,        // reads the tree (runs in a group)
  cmd_write = 2,       // writes the tree (runs in a group)
  cmd_connection = 4,  // connection and server commands (the server runs them)
  cmd_transaction = 8, // MULTI EXEC DISCARD WATCH UNWATCH (the server)
  cmd_no_auth = 16,    // allowed before AUTH
  cmd_walk = 32,       // walks the whole tree (KEYS, SCAN, DBSIZE)
};

struct session_data {
  scan_cursors cursors;
};

using data_handler = void (*)(args_t, group_run&, session_data&, reply_writer&);

struct command_spec {
  std::string_view name; // lower case
  int arity;             // Redis's: n exactly, -n at least n (the name counts)
  unsigned flags;
  int first_key, last_key, key_step; // as COMMAND INFO reports them
  data_handler run;      // data commands; null for the server's own
  std::string_view summary; // for COMMAND DOCS
};

/// `s` in ASCII lower case (command and option names).
std::string lower(std::string_view s);
/// Whether a and b are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

/// The command named `lower_name`, or null.
const command_spec* find_command(std::string_view lower_name);
/// Every command, in table order.
std::span<const command_spec> all_commands();

/// Whether `args` has the right number of arguments for `c`.
inline bool arity_ok(const command_spec& c, std::size_t argc) {
  return c.arity >= 0 ? argc == static_cast<std::size_t>(c.arity)
                      : argc >= static_cast<std::size_t>(-c.arity);
}

/// Redis's wording for errors the server reports itself.
std::string unknown_command_error(args_t args);
std::string arity_error(std::string_view name);

/// A kvmem error as a Redis error line (WRONGTYPE for a dictionary where a
/// value was expected, OOM for a full store, MISCONF for a store that
/// cannot journal, ERR otherwise).
std::string error_line(const error& e);

/// The Redis-facing text of a key: its path without the leading '/'.
std::string key_text(const key& k);

/// The number of values in `t` (DBSIZE). O(n).
std::uint64_t count_values(const tree& t);

} // namespace kvmem::detail::resp
