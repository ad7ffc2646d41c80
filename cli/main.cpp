// kvmem: a command-line client and server for kvmem stores, in the spirit of
// redis-cli. `kvmem --help` and docs/cli.md describe every command, option,
// output format and exit code.
#include <unistd.h>

#include <algorithm>
#include <exception>
#include <new>
#include <optional>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <fmt/format.h>
#include <kvmem/remote.hpp>

#include "command_line.hpp"
#include "input.hpp"
#include "commands.hpp"
#include "modes.hpp"
#include "signals.hpp"
#include "text.hpp"

namespace {

using namespace kvmem::cli;

// Connects and runs the command, or the shell without one.
int run_client(const main_args& a) {
  const auto& cl = a.client;
  // watch stops on SIGINT and SIGTERM: block them before CAF starts threads.
  std::optional<stop_signals> stop;
  if (a.command.name == "watch")
    stop.emplace();
  caf::actor_system_config cfg;
  if (auto r = kvmem::enable_remote(cfg, cl.tls); !r) {
    fmt::print(stderr, "kvmem: {}\n", one_line(r.error().message()));
    return usage_error;
  }
  cfg.set("scheduler.policy", caf::atom("sharing")); // see docs/remote.md
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  kvmem::connect_options copts;
  copts.call_timeout = cl.call_timeout;
  // A peer that accepts and never answers must not hold a one-shot command
  // longer than the user allowed for the command itself.
  copts.connect_timeout =
      cl.connect_timeout.value_or(std::min(copts.connect_timeout, cl.call_timeout));
  auto where = fmt::format("{}:{}", cl.where.host, cl.where.port);
  auto s = kvmem::remote_store(sys, cl.where.host, cl.where.port, copts);
  if (!s) {
    fmt::print(stderr, "kvmem: {}\n", one_line(s.error().message()));
    return s.error().code == kvmem::errc::invalid_argument ? usage_error : connection_error;
  }
  kvmem::client c{sys, *s};
  if (a.command.name.empty())
    return shell(c, where);
  output o;
  o.for_person = ::isatty(STDOUT_FILENO) != 0;
  o.server = where;
  if (stop)
    return watch(c, a.command, o, *stop);
  return run_command(c, a.command, o);
}

} // namespace

int main(int argc, char** argv) {
  check_standard_input();
  try {
    auto p = parse_command_line(argc, argv);
    if (!p.args)
      return p.exit;
    if (p.args->serve)
      return serve(p.args->server);
    if (p.args->command.name == "help") { // needs no store
      std::fputs(help_text(), stdout);
      return ok;
    }
    return run_client(*p.args);
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "kvmem: out of memory\n");
  } catch (const std::exception& e) {
    fmt::print(stderr, "kvmem: internal error: {}\n", one_line(e.what()));
  }
  return store_error;
}
