// The kvmem command-line client's commands (one-shot and shell share them).
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include <kvmem/client.hpp>
#include <kvmem/write_op.hpp>

#include "args.hpp"

namespace kvmem::cli {

/// Where a command writes, and for whom.
struct output {
  std::FILE* out = stdout;
  std::FILE* err = stderr;
  /// A person reads `out` (a terminal, or the shell): `get` then ends its
  /// output with a newline if the value does not. Otherwise its bytes are
  /// written exactly.
  bool for_person = false;
  /// The server's HOST:PORT, named in connection errors.
  std::string server;
};

/// Runs one parsed command against `c`; returns an exit code. Errors are
/// one line on `o.err` (escaped: a key with a newline cannot split it).
/// A failed write to `o.out` (a full disk, a closed pipe) is a file error.
int run_command(client& c, const command_args& args, const output& o);

/// Prints `e` as one line on `o.err` (after `context` and ": ", if any) and
/// returns its exit code: unavailable and disconnected are connection
/// errors (3), version_mismatch a failed condition (4), every other kind is
/// the store's answer (1).
int report(const error& e, const output& o, std::string_view context = {});

/// Whether `args` is a write: set, rm or mv.
bool is_write(const command_args& args);

/// The most bytes a value read from a file or standard input may have,
/// asked only when one is read (the store's max_batch_bytes: one round trip).
using value_limit = std::function<std::uint64_t()>;

/// The limit of the store `c` serves: its max_batch_bytes (unlimited if it
/// cannot say; the store then refuses what is too large).
value_limit limit_of(client& c);

/// The write that `args` (set, rm or mv) describes, with its condition; for
/// set the value is read now (--file, standard input), at most `limit()`
/// bytes. On a file error, the error is printed on `o.err` and `exit` says
/// usage_error.
struct write_or_exit {
  std::optional<write_op> w;
  int exit = ok;
};
write_or_exit make_write(const command_args& args, const output& o, const value_limit& limit);

/// The list of commands (`kvmem help`, `help` in the shell).
const char* help_text();

} // namespace kvmem::cli
