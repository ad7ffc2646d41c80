// The blocking client: Mirage_kv.RW semantics through the store, versions,
// failed writes moving nothing, disconnect, concurrent use of one client.
#include <catch2/catch.hpp>

#include <thread>

#include "eventually.hpp"
#include "store_fixture.hpp"

using namespace test;
using kvmem::error;
using kvmem::errc;
using kvmem::kind;
using kvmem::ptime;

TEST_CASE_METHOD(store_fixture, "reads and writes follow the tree's semantics through the store") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a/b"), "hello"));
  CHECK(c.get(K("/a/b")).value() == "hello");
  CHECK(c.exists(K("/a")).value() == kind::dictionary);
  CHECK(c.exists(K("/a/b")).value() == kind::value);
  CHECK(c.exists(K("/q")).value() == std::nullopt);
  CHECK(c.get(K("/a")).error() == error::value_expected(K("/a")));
  CHECK(c.get(K("/q")).error() == error::not_found(K("/q")));
  CHECK(c.get(K("/a/b/c")).error() == error::dictionary_expected(K("/a/b/c")));
  CHECK(c.size(K("/a/b")).value() == 5);
  CHECK(c.get_partial(K("/a/b"), 1, 3).value() == "ell");
  CHECK(c.list(K("/a")).value() == kvmem::listing{{K("/a/b"), kind::value}});
  CHECK(c.last_modified(K("/a/b")).value() == ptime{100, 0});
  clock->advance(std::chrono::seconds(1));
  REQUIRE(c.set_partial(K("/a/b"), 5, " world"));
  CHECK(c.get(K("/a/b")).value() == "hello world");
  CHECK(c.last_modified(K("/a/b")).value() == ptime{100, 1'000'000'000'000});
  CHECK(c.digest(K("/a/b")).value() == kvmem::digest::sha256("hello world"));
  REQUIRE(c.rename(K("/a/b"), K("/c")));
  CHECK(c.get(K("/c")).value() == "hello world");
  REQUIRE(c.allocate(K("/z"), 3));
  CHECK(c.get(K("/z")).value() == std::string(3, '\0'));
  REQUIRE(c.allocate(K("/old"), 1, ptime{1, 2}));
  CHECK(c.last_modified(K("/old")).value() == ptime{1, 2});
  CHECK(c.allocate(K("/z"), 3).error() == error::already_present(K("/z")));
  REQUIRE(c.remove(K("/a")));
  CHECK(c.exists(K("/a")).value() == std::nullopt);
  CHECK(c.set(K("/c/x"), "1").error() == error::dictionary_expected(K("/c/x")));
  CHECK(c.rename(K("/"), K("/x")).error() == error::rename_source_prefix(K("/"), K("/x")));
}

TEST_CASE_METHOD(store_fixture, "the version moves once per effective write, never on failure") {
  kvmem::client c{sys, s};
  CHECK(c.version().value() == 0);
  REQUIRE(c.set(K("/a"), "1"));
  CHECK(c.version().value() == 1);
  CHECK(c.last_version() == 1);
  REQUIRE(c.set(K("/d/x"), "1"));
  CHECK(c.version().value() == 2);
  // Failures move nothing.
  CHECK_FALSE(c.set(K("/d"), "x"));
  CHECK_FALSE(c.get(K("/nope")));
  CHECK_FALSE(c.rename(K("/nope"), K("/x")));
  CHECK_FALSE(c.allocate(K("/a"), 1));
  CHECK(c.version().value() == 2);
  // No-ops by definition move nothing either.
  REQUIRE(c.remove(K("/missing")));
  REQUIRE(c.rename(K("/a"), K("/a")));
  CHECK(c.version().value() == 2);
  auto before = c.last_modified(K("/")).value();
  clock->advance(std::chrono::seconds(5));
  REQUIRE(c.remove(K("/missing")));
  CHECK(c.last_modified(K("/")).value() == before);
  REQUIRE(c.remove(K("/a")));
  CHECK(c.version().value() == 3);
}

TEST_CASE_METHOD(store_fixture, "a read that starts after an acknowledged write sees it") {
  kvmem::client writer{sys, s};
  kvmem::client reader{sys, s};
  for (int i = 0; i < 500; ++i) {
    auto v = std::to_string(i);
    REQUIRE(writer.set(K("/k"), v));
    REQUIRE(reader.get(K("/k")).value() == v);
  }
}

TEST_CASE_METHOD(system_fixture, "capacity gives no_space and leaves the store unchanged") {
  auto small = kvmem::spawn_store(sys, kvmem::system_clock{}, {.capacity = 8});
  kvmem::client c{sys, small};
  REQUIRE(c.set(K("/a"), "1234"));
  CHECK(c.set(K("/b"), "1234").error() == error::no_space());
  CHECK(c.exists(K("/b")).value() == std::nullopt);
  CHECK(c.version().value() == 1);
  caf::anon_send_exit(small.actor(), caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(system_fixture, "a scoped_store shuts its store down when it goes out of scope") {
  kvmem::store shared;
  {
    kvmem::scoped_store owner{kvmem::spawn_store(sys)};
    shared = owner.get();
    kvmem::client c{sys, owner};
    REQUIRE(c.set(K("/a"), "1"));
    kvmem::scoped_store moved = std::move(owner); // ownership moves, the store stays up
    CHECK(c.get(K("/a")).value() == "1");
    CHECK(c.set(K("/b"), "2"));
  } // the store is told to exit here; nothing else would stop it
  kvmem::client late{sys, shared};
  kvmem::result<void> r;
  REQUIRE(eventually([&] { return !(r = late.set(K("/c"), "3")); })); // the exit is asynchronous
  CHECK(r.error().code == errc::unavailable);
  kvmem::scoped_store released{kvmem::spawn_store(sys)};
  auto kept = released.release(); // gives up ownership: still running
  kvmem::client c{sys, kept};
  CHECK(c.set(K("/x"), "1"));
  caf::anon_send_exit(kept.actor(), caf::exit_reason::user_shutdown);
}

TEST_CASE_METHOD(store_fixture, "disconnect releases the store and later calls fail at once") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  c.disconnect();
  CHECK_FALSE(c.connected());
  CHECK(c.get(K("/a")).error().code == errc::disconnected);
  CHECK(c.set(K("/a"), "2").error().code == errc::disconnected);
  CHECK(c.batch([](kvmem::batch_view&) {}).error().code == errc::disconnected);
  c.disconnect(); // twice is fine
  kvmem::client other{sys, s};
  CHECK(other.get(K("/a")).value() == "1"); // the store is still there
}

TEST_CASE_METHOD(store_fixture, "many clients may share one store; one client refuses a second thread") {
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/x"), "0"));
  // While a batch function runs on the batch actor's thread, the calling
  // thread is inside c: using c from the batch thread is refused.
  auto r = c.batch([&](kvmem::batch_view& v) {
    auto inner = c.get(K("/x"));
    CHECK(inner.error().code == errc::client_busy);
    return v.get(K("/x")).value().str();
  });
  CHECK(r.value() == "0");
  // Separate clients on separate threads are fine.
  // (Catch2's assertions are not thread-safe: the threads count, the test
  // thread asserts.)
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      kvmem::client mine{sys, s};
      for (int i = 0; i < 100; ++i)
        if (!mine.set(K(fmt::format("/t{}/{}", t, i)), "v"))
          ++failed;
    });
  for (auto& th : threads)
    th.join();
  CHECK(failed == 0);
  for (int t = 0; t < 4; ++t)
    CHECK(c.list(K(fmt::format("/t{}", t))).value().size() == 100);
}

TEST_CASE_METHOD(system_fixture, "a store on CAF's scheduler works the same") {
  auto st = kvmem::spawn_store(sys, kvmem::system_clock{}, {.detached = false});
  {
    kvmem::client c{sys, st};
    REQUIRE(c.set(K("/a"), "1"));
    CHECK(c.get(K("/a")).value() == "1");
    CHECK(c.batch([](kvmem::batch_view& v) { return v.set(K("/b"), "2"); }).value());
    CHECK(c.get(K("/b")).value() == "2");
  }
  caf::anon_send_exit(st.actor(), caf::exit_reason::user_shutdown);
}
