// Redis as the NET rows' external peer: Debian's redis-server, started by
// the benchmark on a free loopback port without persistence
// (--save "" --appendonly no), stopped when this handle goes away (and
// killed with the benchmark if that dies first: see child_process).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "resp_client.hpp"

namespace bench {

class redis_server {
public:
  /// Starts redis-server ($KVMEM_BENCH_REDIS, else found on $PATH) and waits
  /// until it answers PING (5 s at most). nullopt, with `why` set, if it is
  /// not installed or does not come up.
  static std::optional<redis_server> start(std::string& why) { return start(why, {}); }
  /// The same with more arguments after the defaults (later ones override
  /// earlier ones, e.g. {"--dir", D, "--appendonly", "yes"}).
  static std::optional<redis_server> start(std::string& why,
                                           const std::vector<std::string>& extra_args);

  std::uint16_t port() const noexcept { return port_; }
  child_process& process() noexcept { return proc_; }
  /// The server's version (INFO server: redis_version).
  const std::string& version() const noexcept { return version_; }
  /// A fresh client connection (5 s read deadline).
  std::optional<resp_client> connect() const;
  /// A field of INFO (e.g. "used_memory"), -1 if unavailable.
  static long info_number(resp_client& c, const std::string& section, const std::string& field);

private:
  redis_server(child_process p, std::uint16_t port) : proc_(std::move(p)), port_(port) {}
  child_process proc_;
  std::uint16_t port_;
  std::string version_;
};

} // namespace bench
