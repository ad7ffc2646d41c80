// The kvmem tool's two long-running modes, besides one-shot commands.
#pragma once

#include <string>

#include <kvmem/client.hpp>

#include "args.hpp"

namespace kvmem::cli {

/// kvmem serve: runs a store and serves it until SIGINT or SIGTERM. Returns
/// an exit code (usage_error for a refused bind address, connection_error
/// if the port cannot be bound).
int serve(const serve_args& args);

/// The interactive shell on `c`, connected to `where` (HOST:PORT). Reads
/// lines until EOF, quit or exit; returns the last command's exit code.
int shell(client& c, const std::string& where);

} // namespace kvmem::cli
