// The kvmem tool's two long-running modes, besides one-shot commands.
#pragma once

#include <string>

#include <kvmem/client.hpp>

#include "args.hpp"
#include "commands.hpp"
#include "signals.hpp"

namespace kvmem::cli {

/// kvmem serve: runs a store and serves it until SIGINT or SIGTERM. Returns
/// an exit code (usage_error for a refused bind address, connection_error
/// if the port cannot be bound).
int serve(const serve_args& args);

/// kvmem watch: subscribes to the changes under a.key1 (after a.from, with
/// a.window) and prints a start line, then each delivery, flushing after
/// each, until SIGINT or SIGTERM (taken from `stop`, constructed before any
/// thread started): then exit code 0. Errors: those of the subscription
/// (1, 3), a lost connection (3), output that cannot be written (2).
int watch(client& c, const command_args& a, const output& o, stop_signals& stop);

/// The interactive shell on `c`, connected to `where` (HOST:PORT). Reads
/// lines until EOF, quit or exit; returns the last command's exit code.
int shell(client& c, const std::string& where);

} // namespace kvmem::cli
