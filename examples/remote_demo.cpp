// A store served on a loopback port and used from a second actor system, as
// another process would: the same client API, batches included.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/send.hpp>
#include <fmt/core.h>

#include <kvmem/client.hpp>
#include <kvmem/remote.hpp>

int main() {
  // Server side: a store, served on 127.0.0.1 (port 0: the OS picks one).
  caf::actor_system_config server_cfg;
  kvmem::enable_remote(server_cfg).value();
  caf::actor_system server_sys{server_cfg};
  // Served to remote clients only: on the scheduler, the default (docs/remote.md).
  kvmem::store s = kvmem::spawn_store(server_sys, kvmem::system_clock{});
  std::uint16_t port = kvmem::publish(server_sys, s, 0).value();
  fmt::print("serving on 127.0.0.1:{}\n", port);

  // Client side: connect, then use the store as if it were local.
  caf::actor_system_config client_cfg;
  kvmem::enable_remote(client_cfg).value();
  caf::actor_system client_sys{client_cfg};
  auto remote = kvmem::remote_store(client_sys, "127.0.0.1", port);
  if (!remote) {
    fmt::print("connect failed: {}\n", remote.error());
    return 1;
  }
  {
    kvmem::client c{client_sys, *remote};
    c.set(kvmem::key::v("/greeting"), "hello over the network").value();
    fmt::print("get /greeting: {}\n", c.get(kvmem::key::v("/greeting")).value());
    auto n = c.batch([](kvmem::batch_view& b) { // reads a pinned snapshot
      auto v = b.get(kvmem::key::v("/greeting"));
      (void)b.set(kvmem::key::v("/length"), std::to_string(v ? v->size() : 0));
      return v ? v->size() : 0;
    });
    fmt::print("batch saw {} bytes; /length = {}\n", n.value(),
               c.get(kvmem::key::v("/length")).value());
    fmt::print("error kinds travel: {}\n", c.get(kvmem::key::v("/nope")).error());
  }
  kvmem::unpublish(server_sys, s, port);
  caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
}
