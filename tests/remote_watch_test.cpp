// Change feeds and owned keys across nodes (actor systems over loopback,
// and a client process killed with SIGKILL): deliveries travel, a dropped
// link ends the subscription and releases owned keys, and resuming from the
// last version seen gives no gap and no duplicate.
#include <catch2/catch.hpp>

#include <optional>
#include <thread>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "eventually.hpp"
#include "net_fixture.hpp"

using kvmem::change_op;
using test::K;

namespace {

using namespace std::chrono_literals;

struct served {
  test::node server;
  kvmem::store local = kvmem::spawn_store(server.sys, kvmem::system_clock{},
                                          {.detached = false, .history_versions = 100});
  std::uint16_t port = kvmem::publish(server.sys, local, 0).value();
  kvmem::client here{server.sys, local};
  ~served() {
    here.disconnect();
    kvmem::unpublish(server.sys, local, port);
    caf::anon_send_exit(local.actor(), caf::exit_reason::user_shutdown);
  }
  // Waits (bounded: test::eventually) until the store reports what `done` expects.
  template <class F>
  bool reports(F done) {
    return test::eventually([&] { return done(here.info().value()); });
  }
};

} // namespace

TEST_CASE_METHOD(served, "a remote watcher gets its deliveries and resumes without gap or duplicate") {
  kvmem::version_t last = 0;
  {
    test::node far;
    auto remote = kvmem::remote_store(far.sys, "127.0.0.1", port).value();
    kvmem::client c{far.sys, remote};
    auto w = c.watch(K("/p")).value();
    CHECK_FALSE(w.start_snapshot()); // a tree does not travel
    REQUIRE(here.set(K("/p/a"), "1"));
    REQUIRE(here.set(K("/p/b"), "2"));
    auto d = w.next(5s).value().value();
    CHECK(d.events.at(0).path == K("/p/a"));
    CHECK(d.events.at(0).value == "1"); // values travel with their events
    d = w.next(5s).value().value();
    last = d.to;
    REQUIRE(here.info().value().subscriptions == 1);
  } // the watcher, its client and its node stop
  CHECK(reports([](const kvmem::store_info& i) { return i.subscriptions == 0; }));
  // Meanwhile, more writes; another process resumes from `last`.
  REQUIRE(here.set(K("/p/c"), "3"));
  REQUIRE(here.remove(K("/p/a")));
  test::node other;
  auto remote = kvmem::remote_store(other.sys, "127.0.0.1", port).value();
  kvmem::client c{other.sys, remote};
  auto w = c.watch(K("/p"), last).value();
  auto d = w.next(5s).value().value();
  CHECK(d.from == last); // no gap
  CHECK(d.coalesced);
  REQUIRE(d.events.size() == 2); // no duplicate: /p/b (version 2) is not there again
  CHECK((d.events[0].op == change_op::remove && d.events[0].path == K("/p/a")));
  CHECK((d.events[1].op == change_op::set && d.events[1].path == K("/p/c")));
  CHECK(c.get_at(last, K("/p/a")).value() == "1"); // reads at a version travel too
}

TEST_CASE_METHOD(served, "a client process killed with SIGKILL: its watch and its owned keys go") {
  int out[2];
  REQUIRE(::pipe(out) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  auto port_arg = std::to_string(port);
  char* argv[] = {const_cast<char*>(KVMEM_WATCH_CHILD), port_arg.data(), nullptr};
  pid_t pid = -1;
  REQUIRE(posix_spawn(&pid, KVMEM_WATCH_CHILD, &fa, nullptr, argv, environ) == 0);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  std::string line;
  char ch;
  while (line.find('\n') == std::string::npos && ::read(out[0], &ch, 1) == 1)
    line += ch;
  ::close(out[0]);
  REQUIRE(line == "ready\n");
  CHECK(here.info().value().subscriptions == 1);
  CHECK(here.info().value().owned_keys == 1);
  ::kill(pid, SIGKILL); // no goodbye: only the dropped connection tells
  ::waitpid(pid, nullptr, 0);
  CHECK(reports([](const kvmem::store_info& i) {
    return i.subscriptions == 0 && i.owned_keys == 0;
  }));
  CHECK(here.exists(K("/svc/child")).value() == std::nullopt);
}
