#include "redis_server.hpp"

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include <fmt/format.h>

namespace bench {

std::optional<redis_server> redis_server::start(std::string& why,
                                                const std::vector<std::string>& extra_args) {
  std::string exe;
  if (const char* e = std::getenv("KVMEM_BENCH_REDIS"))
    exe = e;
  else
    exe = find_program("redis-server");
  if (exe.empty() || access(exe.c_str(), X_OK) != 0) {
    why = exe.empty() ? "redis-server not found (apt-get install redis-server, or set "
                        "KVMEM_BENCH_REDIS)"
                      : fmt::format("{} is not an executable", exe);
    return std::nullopt;
  }
  // The port is free when chosen but could be taken before Redis binds it:
  // try a few.
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto port = free_loopback_port();
    if (!port) {
      why = "no free loopback port";
      return std::nullopt;
    }
    std::vector<std::string> argv{exe,           "--port",     std::to_string(*port),
                                  "--bind",      "127.0.0.1",  "--save",
                                  "",            "--appendonly", "no",
                                  "--daemonize", "no",         "--loglevel",
                                  "warning",     "--logfile",  ""};
    argv.insert(argv.end(), extra_args.begin(), extra_args.end());
    auto p = child_process::start(argv, false);
    if (!p) {
      why = "fork failed";
      return std::nullopt;
    }
    redis_server r{std::move(*p), *port};
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (r.proc_.alive() && std::chrono::steady_clock::now() < deadline) {
      if (auto c = r.connect()) {
        if (auto pong = c->call({"PING"}); pong && pong->text == "PONG") {
          if (auto info = c->call({"INFO", "server"}); info && info->type == '$') {
            auto at = info->text.find("redis_version:");
            if (at != std::string::npos)
              r.version_ = info->text.substr(at + 14, info->text.find('\r', at) - at - 14);
          }
          return r;
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    why = fmt::format("{} did not answer on port {}", exe, *port);
  }
  return std::nullopt;
}

std::optional<resp_client> redis_server::connect() const {
  return resp_client::connect(port_, std::chrono::milliseconds(5000));
}

long redis_server::info_number(resp_client& c, const std::string& section,
                               const std::string& field) {
  auto info = c.call({"INFO", section});
  if (!info || info->type != '$')
    return -1;
  auto at = info->text.find("\n" + field + ":"); // every field starts a line
  if (at == std::string::npos)
    return -1;
  return std::atol(info->text.c_str() + at + field.size() + 2);
}

} // namespace bench
