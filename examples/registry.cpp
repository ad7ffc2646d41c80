// A service registry on a kvmem store: services are actors that register
// themselves under /services with keys they own; a watcher prints the
// membership as it changes. When a service dies — crashes, is stopped, or
// (over the network) its process or link goes — the store removes its key,
// in one version, and the watcher sees it. No heartbeats, no leases.
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/send.hpp>
#include <fmt/core.h>

#include <kvmem/client.hpp>

using kvmem::key;
using namespace std::chrono_literals;

// A service: registers its address under /services/<name>, owned by itself,
// then serves until stopped.
caf::behavior service(caf::event_based_actor* self, kvmem::store s, std::string name) {
  self->request(s.actor(), caf::infinite, kvmem::set_atom::value, key::v("/services") / name,
                kvmem::bytes{fmt::format("{}:{}", name, 9000 + name.size())},
                caf::actor_cast<caf::actor>(self))
      .then([](kvmem::version_t) {});
  return {[](int request) { return request * 2; }};
}

// Prints what a delivery changed under /services.
void show(const kvmem::changes& d) {
  for (auto& e : d.events) {
    if (e.op == kvmem::change_op::set)
      fmt::print("  v{}: {} is up at {}\n", e.version, e.path.basename(), e.value);
    else if (e.op == kvmem::change_op::remove)
      fmt::print("  v{}: {} is gone\n", e.version, e.path.basename());
  }
}

int main() {
  caf::actor_system_config cfg;
  kvmem::register_types(cfg);
  caf::actor_system sys{cfg};
  kvmem::scoped_store s{kvmem::spawn_store(sys)};
  kvmem::client c{sys, s};

  // List, then watch from exactly the version listed: nothing is missed.
  auto w = c.watch(key::v("/services")).value();
  fmt::print("registry at version {}: {} services\n", w.start_version(),
             w.start_snapshot()->list(key::v("/services")).value_or(kvmem::listing{}).size());

  std::vector<caf::actor> services;
  for (auto name : {"billing", "search", "mail"})
    services.push_back(sys.spawn(service, s.get(), std::string(name)));
  for (int seen = 0; seen < 3;) // three registrations
    if (auto d = w.next(5s).value()) {
      show(*d);
      seen += static_cast<int>(d->events.size());
    }

  fmt::print("stopping search\n");
  caf::anon_send_exit(services[1], caf::exit_reason::user_shutdown);
  if (auto d = w.next(5s).value())
    show(*d);

  std::string members;
  for (auto& [k, kd] : c.list(key::v("/services")).value())
    members += fmt::format(" {}", k.basename());
  fmt::print("members now:{}\n", members);
  for (auto& a : services)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  return members == " billing mail" ? 0 : 1;
}
