// kvmem: a command-line client and server for kvmem stores, in the spirit of
// redis-cli.
//   kvmem serve [--port P] [--bind ADDR] [--capacity BYTES] [--insecure-nonlocal] [TLS]
//   kvmem [--connect HOST:PORT] [--timeout MS] [TLS] COMMAND ARGS...   (one command)
//   kvmem [--connect HOST:PORT] [TLS]                                  (interactive shell)
//   TLS: --tls-cert FILE --tls-key FILE --tls-ca FILE
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <kvmem/remote.hpp>

#include "commands.hpp"

namespace kvmem::cli {
int serve(const std::vector<std::string>& args);
int shell(client& c, const std::string& where);
inline constexpr std::uint16_t default_port = 7470;
} // namespace kvmem::cli

namespace {

using namespace kvmem::cli;

bool parse_endpoint(const std::string& s, std::string* host, std::uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == s.size())
    return false;
  try {
    auto p = std::stoul(s.substr(colon + 1));
    if (p == 0 || p > 65535)
      return false;
    *host = s.substr(0, colon);
    *port = static_cast<std::uint16_t>(p);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

int usage() {
  fmt::print(stderr,
             "usage: kvmem serve [--port P] [--bind ADDR] [--capacity BYTES] [--insecure-nonlocal]\n"
             "                   [TLS]\n"
             "       kvmem [--connect HOST:PORT] [--timeout MS] [TLS] [COMMAND ARGS...]\n"
             "       TLS: --tls-cert FILE --tls-key FILE --tls-ca FILE (mutual TLS, both ends)\n"
             "       (no COMMAND: interactive shell; 'kvmem help' lists the commands;\n"
             "        default HOST:PORT 127.0.0.1:{}, or $KVMEM_CONNECT)\n",
             default_port);
  return usage_error;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (!args.empty() && args[0] == "serve")
    return serve({args.begin() + 1, args.end()});
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    usage();
    std::fputs(help_text(), stderr);
    return ok;
  }
  std::string host = "127.0.0.1";
  std::uint16_t port = default_port;
  if (auto* env = std::getenv("KVMEM_CONNECT"); env && !parse_endpoint(env, &host, &port)) {
    fmt::print(stderr, "kvmem: bad KVMEM_CONNECT {:?}: expected HOST:PORT\n", env);
    return usage_error;
  }
  kvmem::connect_options copts;
  kvmem::tls_options tls;
  std::size_t i = 0;
  for (; i < args.size() && args[i].rfind("--", 0) == 0; ++i) {
    if (args[i] == "--connect" && i + 1 < args.size()) {
      if (!parse_endpoint(args[++i], &host, &port)) {
        fmt::print(stderr, "kvmem: bad --connect {:?}: expected HOST:PORT\n", args[i]);
        return usage_error;
      }
    } else if (args[i] == "--tls-cert" && i + 1 < args.size()) {
      tls.certificate = args[++i];
    } else if (args[i] == "--tls-key" && i + 1 < args.size()) {
      tls.key = args[++i];
    } else if (args[i] == "--tls-ca" && i + 1 < args.size()) {
      tls.cafile = args[++i];
    } else if (args[i] == "--timeout" && i + 1 < args.size()) {
      copts.call_timeout = std::chrono::milliseconds(std::atol(args[++i].c_str()));
    } else {
      fmt::print(stderr, "kvmem: unknown option {:?}\n", args[i]);
      return usage();
    }
  }
  std::vector<std::string> command(args.begin() + static_cast<long>(i), args.end());
  if (!command.empty() && command[0] == "help") {
    std::fputs(help_text(), stdout);
    return ok;
  }
  caf::actor_system_config cfg;
  if (auto r = kvmem::enable_remote(cfg, tls); !r) {
    fmt::print(stderr, "kvmem: {}\n", r.error().message());
    return usage_error;
  }
  cfg.set("scheduler.policy", caf::atom("sharing")); // see docs/remote.md
  cfg.set("logger.verbosity", caf::atom("quiet"));
  caf::actor_system sys{cfg};
  auto s = kvmem::remote_store(sys, host, port, copts);
  if (!s) {
    fmt::print(stderr, "kvmem: {}\n", s.error().message());
    return connection_error;
  }
  int rc;
  {
    kvmem::client c{sys, *s};
    if (command.empty())
      rc = shell(c, fmt::format("{}:{}", host, port));
    else
      rc = run_command(c, command, {});
  }
  return rc;
}
