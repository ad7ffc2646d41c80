// Change feeds and owned keys across nodes (actor systems over loopback,
// and a client process killed with SIGKILL): deliveries travel, a dropped
// link ends the subscription and releases owned keys, and resuming from the
// last version seen gives no gap and no duplicate.
#include <catch2/catch.hpp>

#include <cstring>
#include <fstream>
#include <mutex>
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

namespace {
// This process's resident memory now and at its peak since the last reset
// (VmRSS, VmHWM; the peak is reset by writing 5 to clear_refs).
std::size_t watch_status_bytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0)
      return std::stoull(line.substr(std::strlen(field))) * 1024;
  return 0;
}
} // namespace

// Issue 15, finding 7: deliveries are one-way sends, which the guard's
// back-pressure on requests does not hold back. A stopped process with 500
// subscriptions, and another client writing 1 MB, made the server hold
// 566 MB indefinitely. Now the server drops a peer owed more than
// max_unread_deliveries (64 MiB) of deliveries.
TEST_CASE_METHOD(test::logged_server, "a stopped subscriber process is dropped before it costs more than the bound") {
  test::child sub{{KVMEM_WATCH_CHILD, std::to_string(port), "500"}};
  REQUIRE(sub.line() == "ready");
  kvmem::client here{server.sys, st};
  REQUIRE(here.info().value().subscriptions == 500);
  REQUIRE(::kill(sub.pid, SIGSTOP) == 0);
  std::ofstream("/proc/self/clear_refs") << "5";
  auto before = watch_status_bytes("VmRSS:");
  REQUIRE(c.set(K("/p/big"), std::string(std::size_t{1} << 20, 'x')));
  // Dropped: its connection closes and its subscriptions end, while it is
  // still stopped.
  CHECK(test::eventually([&] { return here.info().value().subscriptions == 0; }));
  auto grew = watch_status_bytes("VmHWM:") - before;
  INFO("peak growth " << (grew >> 20) << " MiB");
  CHECK(grew < (std::size_t{160} << 20)); // 64 MiB of deliveries, a few frames, the value
  CHECK_THAT(last_log(), Catch::Contains("bytes of watch deliveries, above the limit"));
  // Everyone else is served; the owned key of the dropped process is gone.
  REQUIRE(c.set(K("/p/after"), "1"));
  CHECK(c.get(K("/p/big")).value().size() == std::size_t{1} << 20);
  CHECK(test::eventually([&] { return !here.exists(K("/svc/child")).value(); }));
  ::kill(sub.pid, SIGCONT);
}

// Below that bound, a peer owed more than max_pending_output that takes
// nothing for stall_timeout is dropped too (checked as more output arrives).
struct watch_stall_server : test::logged_server {
  static kvmem::serve_options short_stall() {
    kvmem::serve_options o;
    o.stall_timeout = std::chrono::milliseconds(50);
    return o;
  }
  watch_stall_server() : logged_server(short_stall()) {}
};

TEST_CASE_METHOD(watch_stall_server, "a stopped subscriber owed more than max_pending_output is dropped after stall_timeout") {
  // 32 MiB owed: more than the kernel's socket buffers take (a few MiB) plus
  // max_pending_output (4 MiB), less than max_unread_deliveries (64 MiB).
  test::child sub{{KVMEM_WATCH_CHILD, std::to_string(port), "32"}};
  REQUIRE(sub.line() == "ready");
  kvmem::client here{server.sys, st};
  REQUIRE(here.info().value().subscriptions == 32);
  REQUIRE(::kill(sub.pid, SIGSTOP) == 0);
  REQUIRE(here.set(K("/p/big"), std::string(std::size_t{1} << 20, 'x')));
  int writes = 0;
  CHECK(test::eventually([&] {
    return here.set(K("/p/tick"), std::to_string(++writes)) && here.info().value().subscriptions == 0;
  }));
  CHECK_THAT(last_log(), Catch::Contains("took none of the"));
  ::kill(sub.pid, SIGCONT);
}
