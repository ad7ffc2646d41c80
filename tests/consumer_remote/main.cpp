// A separate project using the installed kvmem::remote through find_package:
// a store served on loopback and reached through it, in one process.
#include <fmt/core.h>
#include <kvmem/client.hpp>
#include <kvmem/remote.hpp>

int main() {
  caf::actor_system_config server_cfg, client_cfg;
  if (!kvmem::enable_remote(server_cfg) || !kvmem::enable_remote(client_cfg))
    return 1;
  caf::actor_system server{server_cfg};
  kvmem::scoped_store s{kvmem::spawn_store(server, kvmem::system_clock{}, {.detached = false})};
  auto port = kvmem::publish(server, s, 0);
  if (!port)
    return 2;
  caf::actor_system client_sys{client_cfg};
  auto remote = kvmem::remote_store(client_sys, "127.0.0.1", *port);
  if (!remote)
    return 3;
  kvmem::client c{client_sys, *remote};
  if (!c.set(kvmem::key::v("/hello"), "world") || c.get(kvmem::key::v("/hello")).value() != "world")
    return 4;
  c.disconnect();
  kvmem::unpublish(server, s, *port);
  fmt::print("remote consumer ok\n");
}
