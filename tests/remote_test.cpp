// Remote stores over loopback: every operation and error kind through the
// network, remote batches (pinned snapshots, conflicts with a local writer),
// pins released when a client goes away, and connection loss.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <future>
#include <thread>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/scoped_actor.hpp>

#include "eventually.hpp"
#include "net_fixture.hpp"

using kvmem::error;
using kvmem::errc;
using kvmem::kind;

namespace {

using test::K;
using test::node;

// A server node with a store on a loopback port, and a client node.
struct remote_fixture {
  node server;
  node client_node;
  // Served stores run on the scheduler, as `kvmem serve` does: a detached
  // actor that the middleman referenced can hang CAF 0.17's shutdown
  // (actor-framework issue #1196), and remote clients gain nothing from it.
  kvmem::store local = kvmem::spawn_store(server.sys, kvmem::system_clock{}, test::served);
  std::uint16_t port = kvmem::publish(server.sys, local, 0).value();
  kvmem::store remote = kvmem::remote_store(client_node.sys, "127.0.0.1", port).value();

  ~remote_fixture() {
    kvmem::unpublish(server.sys, local, port);
    caf::anon_send_exit(local.actor(), caf::exit_reason::user_shutdown);
  }
};

} // namespace

TEST_CASE_METHOD(remote_fixture, "every operation works through the network, errors included") {
  kvmem::client c{client_node.sys, remote};
  REQUIRE(c.set(K("/a/b"), "hello"));
  CHECK(c.get(K("/a/b")).value() == "hello");
  CHECK(c.exists(K("/a")).value() == kind::dictionary);
  CHECK(c.exists(K("/zz")).value() == std::nullopt);
  CHECK(c.size(K("/a/b")).value() == 5);
  CHECK(c.get_partial(K("/a/b"), 1, 2).value() == "el");
  CHECK(c.list(K("/a")).value() == kvmem::listing{{K("/a/b"), kind::value}});
  CHECK(c.last_modified(K("/a/b")).value().days > 19'000);
  CHECK(c.digest(K("/a/b")).value() == kvmem::digest::sha256("hello"));
  REQUIRE(c.set_partial(K("/a/b"), 5, "!"));
  REQUIRE(c.rename(K("/a/b"), K("/c")));
  REQUIRE(c.allocate(K("/z"), 2));
  REQUIRE(c.allocate(K("/t"), 1, kvmem::ptime{1, 2}));
  CHECK(c.last_modified(K("/t")).value() == kvmem::ptime{1, 2});
  REQUIRE(c.remove(K("/z")));
  CHECK(c.get(K("/c")).value() == "hello!");
  CHECK(c.version().value() == 6);
  // Every error kind comes back with its keys.
  CHECK(c.get(K("/a")).error() == error::value_expected(K("/a")));
  CHECK(c.get(K("/nope")).error() == error::not_found(K("/nope")));
  CHECK(c.get(K("/c/x")).error() == error::dictionary_expected(K("/c/x")));
  CHECK(c.allocate(K("/c"), 1).error() == error::already_present(K("/c")));
  CHECK(c.rename(K("/a"), K("/a/x")).error() == error::rename_source_prefix(K("/a"), K("/a/x")));
  CHECK(c.batch([](kvmem::batch_view&) {}, 0).error().code == errc::invalid_argument);
  // The server's store sees the same state.
  kvmem::client here{server.sys, local};
  CHECK(here.get(K("/c")).value() == "hello!");
}

TEST_CASE_METHOD(remote_fixture, "no_space and too_many_retries travel too") {
  node srv;
  auto small = kvmem::spawn_store(srv.sys, kvmem::system_clock{}, {.capacity = 4, .detached = false});
  auto p = kvmem::publish(srv.sys, small, 0).value();
  auto r = kvmem::remote_store(client_node.sys, "127.0.0.1", p).value();
  kvmem::client c{client_node.sys, r};
  CHECK(c.set(K("/abc"), "12").error() == error::no_space());
  kvmem::client intruder{srv.sys, small};
  auto t = c.batch([&](kvmem::batch_view& v) {
    (void)v.get(K("/x")); // read, then rewritten before the commit
    REQUIRE(intruder.set(K("/x"), "1"));
    (void)v.set(K("/y"), "1");
  }, 2);
  CHECK(t.error() == error::too_many_retries(2));
  kvmem::unpublish(srv.sys, small, p);
  caf::anon_send_exit(small.actor(), caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(remote_fixture, "a remote handle carries the server's limits, and the server enforces them") {
  node srv;
  auto limited = kvmem::spawn_store(
      srv.sys, kvmem::system_clock{},
      {.capacity = 1000, .max_batch_writes = 2, .max_batch_bytes = 64, .detached = false});
  auto p = kvmem::publish(srv.sys, limited, 0).value();
  auto r = kvmem::remote_store(client_node.sys, "127.0.0.1", p).value();
  CHECK_FALSE(r.is_local());
  CHECK(r.options().capacity == 1000);
  CHECK(r.options().max_batch_writes == 2); // the server's, not the client's defaults
  CHECK(r.options().max_batch_bytes == 64);
  kvmem::client c{client_node.sys, r};
  auto three = c.batch([](kvmem::batch_view& v) {
    for (int i = 0; i < 3; ++i)
      (void)v.set(K(fmt::format("/k{}", i)), "v");
  });
  CHECK(three.error().code == errc::batch_too_large);
  // A single write is not checked by the client: the server refuses it at
  // commit, as it would a commit from a client that ignores the limits.
  kvmem::client here{srv.sys, limited};
  CHECK(c.set(K("/big"), kvmem::bytes{std::string(100, 'x')}).error().code ==
        errc::batch_too_large);
  CHECK(here.version().value() == 0);
  kvmem::unpublish(srv.sys, limited, p);
  caf::anon_send_exit(limited.actor(), caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(remote_fixture, "a remote batch reads its pinned snapshot and re-runs after a local writer") {
  kvmem::client c{client_node.sys, remote};
  kvmem::client local_writer{server.sys, local};
  REQUIRE(c.set(K("/n"), "0"));
  int runs = 0;
  auto r = c.batch([&](kvmem::batch_view& v) {
    ++runs;
    auto n = std::stoi(v.get(K("/n")).value().str());
    if (runs == 1) {
      REQUIRE(local_writer.set(K("/n"), "10")); // lands between snapshot and commit
      // The pinned snapshot does not move:
      CHECK(v.get(K("/n")).value() == "0");
    }
    CHECK(v.exists(K("/n")).value() == kind::value);
    CHECK(v.list(K("/")).value().size() == 1);
    (void)v.set(K("/n"), std::to_string(n + 1));
    return n;
  });
  CHECK(runs == 2);
  CHECK(r.value() == 10);
  CHECK(c.get(K("/n")).value() == "11");
}

TEST_CASE_METHOD(remote_fixture, "pins are released when batches end and when their client goes away") {
  {
    kvmem::client c{client_node.sys, remote};
    for (int i = 0; i < 20; ++i)
      REQUIRE(c.batch([](kvmem::batch_view& v) { return v.get(K("/none")).error().code; }));
  }
  // A client that pins by hand and never unpins, then disappears.
  {
    caf::scoped_actor self{client_node.sys, true};
    for (int i = 0; i < 3; ++i)
      self->request(remote.actor(), std::chrono::seconds(10), kvmem::pin_atom::value)
          .receive([](kvmem::snapshot& s) { CHECK(s.pinned.id != 0); },
                   [](caf::error& e) { FAIL(to_string(e)); });
  }
  // The scoped actor is gone: the store hears it through the network and
  // drops its pins (bounded wait for the down message to travel).
  kvmem::client c{client_node.sys, remote};
  CHECK(test::eventually([&] { return c.info().value().pinned == 0; }));
  REQUIRE(c.batch([](kvmem::batch_view& v) { (void)v.set(K("/after"), "1"); }));
  CHECK(c.get(K("/after")).value() == "1");
}

#ifdef KVMEM_CLI_PATH
namespace {

// A `kvmem serve` child process (the real thing: killing it drops the
// connection as a crash would).
struct server_process {
  pid_t pid = -1;
  std::uint16_t port = 0;
  server_process() {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::dup2(fds[1], STDOUT_FILENO);
      ::close(fds[0]);
      ::execl(KVMEM_CLI_PATH, "kvmem", "serve", "--port", "0", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char ch;
    while (out.find('\n') == std::string::npos && ::read(fds[0], &ch, 1) == 1)
      out += ch;
    ::close(fds[0]);
    auto colon = out.rfind(':');
    REQUIRE(colon != std::string::npos);
    port = static_cast<std::uint16_t>(std::stoi(out.substr(colon + 1)));
  }
  void signal(int sig) const { ::kill(pid, sig); }
  // True once every thread of the server is stopped. SIGSTOP stops a
  // multi-threaded process only when the thread chosen to take the signal
  // runs; until then its other threads keep serving (seen under load: a call
  // sent after kill(SIGSTOP) was answered). Waits at most 10 s.
  bool all_threads_stopped() const {
    const auto tasks = std::filesystem::path{"/proc"} / std::to_string(pid) / "task";
    return test::eventually([&] {
      bool stopped = true;
      std::error_code ec;
      for (const auto& t : std::filesystem::directory_iterator{tasks, ec}) {
        std::ifstream stat{t.path() / "stat"};
        std::string line;
        std::getline(stat, line);
        auto paren = line.rfind(')'); // the state follows the command name
        if (paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'T')
          stopped = false;
      }
      return stopped && !ec;
    });
  }
  ~server_process() {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
  }
};

} // namespace

TEST_CASE("a killed server process fails pending and later calls; reconnecting works") {
  node client_node;
  auto server = std::make_unique<server_process>();
  auto remote = kvmem::remote_store(client_node.sys, "127.0.0.1", server->port).value();
  kvmem::client c{client_node.sys, remote};
  REQUIRE(c.set(K("/a"), "1"));
  // Freeze the server so that the next call waits, then kill it once the
  // call has reached the server's socket (sent, never to be answered): a
  // write of 4 KiB, which the bytes waiting there then must include (a
  // message of CAF's own may have come before it).
  server->signal(SIGSTOP);
  REQUIRE(server->all_threads_stopped());
  const auto unread = test::unread_at(server->port);
  const std::string big(4096, 'x');
  auto pending = std::async(std::launch::async, [&] { return c.set(K("/a"), big); });
  REQUIRE(test::eventually([&] { return test::unread_at(server->port) >= unread + big.size(); }));
  server.reset(); // SIGKILL
  auto r = pending.get();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::unavailable);
  // Failed by the lost connection, not by the call's timeout (30 s).
  CHECK(r.error().detail == "the connection to the store was lost");
  CHECK(c.set(K("/a"), "2").error().code == errc::unavailable);
  CHECK(c.batch([](kvmem::batch_view&) {}).error().code == errc::unavailable);
  // A new server; reconnecting gives a working handle.
  server_process again;
  auto r2 = kvmem::remote_store(client_node.sys, "127.0.0.1", again.port);
  REQUIRE(r2);
  kvmem::client c2{client_node.sys, *r2};
  REQUIRE(c2.set(K("/b"), "fresh"));
  CHECK(c2.get(K("/b")).value() == "fresh");
}
#endif

TEST_CASE("publishing refuses non-loopback addresses unless allowed; connecting fails clearly") {
  node n;
  auto st = kvmem::spawn_store(n.sys, kvmem::system_clock{}, test::served);
  auto r = kvmem::publish(n.sys, st, 0, {.bind = "0.0.0.0"});
  CHECK(r.error().code == errc::invalid_argument);
  CHECK_THAT(r.error().message(), Catch::Contains("authentication"));
  // Decided on the address a name resolves to, not on how it looks.
  CHECK(kvmem::publish(n.sys, st, 0, {.bind = "127.example.invalid"}).error().code ==
        errc::invalid_argument);
  CHECK(kvmem::publish(n.sys, st, 0, {.bind = "::"}).error().code == errc::invalid_argument);
  for (auto loop : {"localhost", "127.0.0.2", "::1"}) {
    auto ok = kvmem::publish(n.sys, st, 0, {.bind = loop});
    INFO(loop);
    if (!ok) // no IPv6 here: cannot listen, but not refused as non-local
      CHECK(ok.error().code == errc::unavailable);
    else
      kvmem::unpublish(n.sys, st, *ok);
  }
  node other;
  auto refused = kvmem::remote_store(other.sys, "127.0.0.1", 1); // nothing listens on port 1
  CHECK(refused.error().code == errc::unavailable);
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}

// The guard's identity check must not refuse a process its own server: CAF
// recognizes its own node in the server's handshake, closes the connection
// and hands out the local actor.
TEST_CASE_METHOD(remote_fixture, "a node reaching its own served store gets it") {
  auto own = kvmem::remote_store(server.sys, "127.0.0.1", port);
  REQUIRE(own);
  kvmem::client c{server.sys, *own};
  REQUIRE(c.set(K("/own"), "1"));
  CHECK(kvmem::client{server.sys, local}.get(K("/own")).value() == "1");
}

// A node connecting to a server it is already connected to: CAF closes the
// second connection and hands out the first one's actor; both handles work.
TEST_CASE_METHOD(remote_fixture, "a node connecting twice to one server keeps both handles working") {
  kvmem::client first{client_node.sys, remote};
  REQUIRE(first.set(K("/twice/a"), "1"));
  auto again = kvmem::remote_store(client_node.sys, "127.0.0.1", port);
  REQUIRE(again);
  kvmem::client second{client_node.sys, *again};
  REQUIRE(second.set(K("/twice/b"), "2"));
  CHECK(first.get(K("/twice/b")).value() == "2");
  CHECK(second.get(K("/twice/a")).value() == "1");
}
