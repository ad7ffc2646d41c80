// A separate project using the installed kvmem (store and client) through
// find_package.
#include <fmt/core.h>
#include <kvmem/client.hpp>

int main() {
  caf::actor_system_config cfg;
  kvmem::register_types(cfg);
  caf::actor_system sys{cfg};
  kvmem::scoped_store s{kvmem::spawn_store(sys)};
  kvmem::client c{sys, s};
  if (!c.set(kvmem::key::v("/hello"), "world"))
    return 1;
  auto v = c.get(kvmem::key::v("/hello"));
  if (!v || *v != "world")
    return 2;
  fmt::print("consumer ok: {}\n", c.digest(kvmem::key{})->hex());
}
