// What the command line (or a shell line) asked for, once parsed and
// checked by command_line.cpp. Plain values: the code that acts on them
// needs no knowledge of the parser.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include <kvmem/remote.hpp>
#include <kvmem/tree.hpp>
#include <kvmem/version.hpp>

#include "values.hpp"

namespace kvmem::cli {

/// Exit codes: what a script can tell apart.
enum exit_code : int {
  ok = 0,
  store_error = 1,      // the store answered with an error (mirage wording)
  usage_error = 2,      // unknown command or option, bad value, bad key; file errors
  connection_error = 3, // refused, unreachable, no answer in time, lost
  condition_failed = 4, // --if-version / --if-absent did not hold: nothing was written
};

inline constexpr std::uint16_t default_port = 7470;

/// One store command: `get /a`, `ls --json /`...
struct command_args {
  std::string name;       // "get", "set", ...; empty: none (the shell)
  std::string key1 = "/"; // KEY, or SRC of mv (checked: starts with '/')
  std::string key2;       // DST of mv
  std::string value;      // set KEY VALUE; "-" is standard input
  std::string file;       // set KEY --file PATH
  bool json = false;      // ls, stat, info: one JSON document
  bool nul = false;       // ls -0: NUL-terminated records, raw bytes
  /// set, rm, mv (about SRC): --if-version V or --if-absent; none: unconditional.
  std::optional<expect> condition;
  /// get, ls: --at V reads the store as it was at version V (if retained).
  std::optional<version_t> at;
  version_t v1 = 0, v2 = 0; // diff V1 V2
  /// watch: --from V (the events after V; none: from now) and --window N.
  std::optional<version_t> from;
  std::uint32_t window = 16;
  bool values = false; // watch, diff: --values prints the values' bytes
};

/// How the client reaches the store.
struct client_args {
  endpoint where{"127.0.0.1", default_port};
  std::chrono::milliseconds call_timeout{30'000};
  std::optional<std::chrono::milliseconds> connect_timeout; // default: min(5 s, call_timeout)
  tls_options tls;
};

/// kvmem serve's options.
struct serve_args {
  std::uint16_t port = default_port;
  std::string bind = "127.0.0.1";
  std::uint64_t capacity = unlimited;
  std::uint64_t max_batch_bytes = store_options{}.max_batch_bytes;
  bool insecure_nonlocal = false;
  bool insecure_unguarded_tls = false;
  tls_options tls;
  /// --resp-port P (RESP beside the CAF port), --resp-password, --resp-only
  /// (no CAF port): docs/resp.md.
  std::optional<std::uint16_t> resp_port;
  std::string resp_password;
  bool resp_only = false;
  /// --history N, --history-age DURATION: versions retained for get --at,
  /// ls --at, diff and watch --from (store_options::history_*).
  std::size_t history_versions = 0;
  std::chrono::milliseconds history_age{0};
  /// --dir D, --sync, --sync-interval, --checkpoint-bytes,
  /// --recover-to-damage: persistence (store_options::persistence).
  std::string dir;
  sync_policy sync = sync_policy::always;
  std::chrono::milliseconds sync_interval{1000};
  std::uint64_t checkpoint_bytes = persistence_options{}.checkpoint_bytes;
  bool recover_to_damage = false;
};

/// The whole command line.
struct main_args {
  bool serve = false;
  serve_args server;
  client_args client;
  command_args command; // command.name empty and !serve: the interactive shell
};

} // namespace kvmem::cli
