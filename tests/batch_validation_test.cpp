// Batches validated by their read set, on the deterministic test
// coordinator: the precision matrix (each read against a write that must
// and one that must not conflict with it), the four interleavings of a
// commit, and the old rule (validation::by_version) for comparison.
#include <catch2/catch.hpp>

#include <functional>

#include "coordinator_fixture.hpp"

using namespace test;
using kvmem::batch_view;
using kvmem::errc;
using kvmem::expect;
using kvmem::write_op;

namespace {

using read_fn = std::function<void(batch_view&)>;

// The state every run starts from (whatever the store held before).
void setup(coordinator_fixture& f) {
  REQUIRE(f.ask<kvmem::version_t>(kvmem::remove_atom::value, K("/")));
  for (auto [k, v] : {std::pair{"/r/v", "1"}, {"/r/w", "2"}, {"/r/d/x", "3"}, {"/s/x", "9"}})
    REQUIRE(f.ask<kvmem::version_t>(kvmem::set_atom::value, K(k), kvmem::bytes{v}));
}

// Runs a batch that does `read`, then (on its first run only) has `writes`
// land in the store's mailbox before its commit, then writes /sink. Returns
// how many times f ran: 1 if the commit was validated and applied, 2 if it
// was rejected and replayed.
int runs_of(coordinator_fixture& f, const read_fn& read, std::vector<write_op> writes) {
  auto runs = std::make_shared<int>(0);
  auto store = f.s.actor();
  auto r = f.batch([=](batch_view& v) {
    ++*runs;
    read(v);
    if (*runs == 1)
      for (auto& w : writes)
        caf::anon_send(store, kvmem::write_atom::value, w);
    (void)v.set(K("/sink"), std::to_string(*runs));
  });
  REQUIRE(r);
  return *runs;
}

struct row {
  const char* what;
  read_fn read;
  std::vector<write_op> conflicting; // must force a replay
  std::vector<write_op> unrelated;   // must not
};

std::vector<row> matrix() {
  auto set = [](const char* k, const char* v = "new") { return write_op::set(K(k), v); };
  auto rm = [](const char* k) { return write_op::remove(K(k)); };
  auto mv = [](const char* a, const char* b) { return write_op::rename(K(a), K(b)); };
  return {
      {"get of a value", [](batch_view& v) { (void)v.get(K("/r/v")); }, {set("/r/v")}, {set("/r/w")}},
      {"get of a value replaced above", [](batch_view& v) { (void)v.get(K("/r/d/x")); },
       {rm("/r/d"), mv("/s", "/r/d")}, {set("/r/d/y")}},
      {"get_partial of a value", [](batch_view& v) { (void)v.get_partial(K("/r/v"), 0, 1); },
       {set("/r/v", "1")}, {set("/r/d/x")}},
      {"size of a value", [](batch_view& v) { (void)v.size(K("/r/v")); }, {rm("/r/v")}, {set("/r/w")}},
      {"last_modified of a value", [](batch_view& v) { (void)v.last_modified(K("/r/v")); },
       {set("/r/v")}, {set("/r/w")}},
      {"stat of a value", [](batch_view& v) { (void)v.stat(K("/r/v")); }, {set("/r/v")},
       {set("/r/w")}},
      {"digest of a value", [](batch_view& v) { (void)v.digest(K("/r/v")); }, {set("/r/v")},
       {set("/r/w")}},
      {"exists of a value: replacing it, not rewriting it", [](batch_view& v) { (void)v.exists(K("/r/v")); },
       {rm("/r/v")}, {set("/r/v", "rewritten")}},
      {"exists of a dictionary: neither its entries nor below", [](batch_view& v) { (void)v.exists(K("/r")); },
       {rm("/r")}, {set("/r/new"), set("/r/d/y")}},
      {"stat of a dictionary: anything below", [](batch_view& v) { (void)v.stat(K("/r")); },
       {set("/r/d/x")}, {set("/s/y")}},
      {"last_modified of a dictionary: its direct entries", [](batch_view& v) { (void)v.last_modified(K("/r")); },
       {set("/r/new")}, {set("/r/d/x")}},
      {"list: direct entries, not deeper", [](batch_view& v) { (void)v.list(K("/r")); },
       {rm("/r/w")}, {set("/r/d/x")}},
      {"digest of a dictionary: anything below", [](batch_view& v) { (void)v.digest(K("/r")); },
       {set("/r/d/x")}, {set("/s/x")}},
      {"a key read as absent: its creation", [](batch_view& v) { (void)v.exists(K("/r/nope")); },
       {set("/r/nope")}, {set("/r/other")}},
      {"a key read as absent: created by a rename", [](batch_view& v) { (void)v.get(K("/r/nope")); },
       {mv("/r/w", "/r/nope")}, {mv("/s/x", "/s/y")}},
      {"a path through a value", [](batch_view& v) { (void)v.get(K("/r/v/under")); },
       {rm("/r/v")}, {set("/r/v", "another value")}},
  };
}

} // namespace

TEST_CASE_METHOD(coordinator_fixture, "a read conflicts exactly with the writes that change its result") {
  for (auto& r : matrix()) {
    INFO(r.what);
    setup(*this);
    CHECK(runs_of(*this, r.read, r.conflicting) == 2);
    setup(*this);
    CHECK(runs_of(*this, r.read, r.unrelated) == 1);
  }
}

TEST_CASE_METHOD(coordinator_fixture, "a batch that only writes never conflicts") {
  setup(*this);
  CHECK(runs_of(*this, [](batch_view&) {}, {write_op::set(K("/sink"), "other"), write_op::remove(K("/r"))}) == 1);
  CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/sink"))).value() == "1");
}

TEST_CASE_METHOD(coordinator_fixture, "the four interleavings of a commit") {
  setup(*this);
  auto v0 = ask<kvmem::version_t>(kvmem::version_atom::value).value();
  auto incr = [](batch_view& v) {
    auto n = std::stoi(v.get(K("/r/v")).value().str());
    (void)v.set(K("/r/v"), std::to_string(n + 1));
  };
  SECTION("at its base: applied") {
    CHECK(runs_of(*this, incr, {}) == 1);
    CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == v0 + 1);
  }
  SECTION("after an unrelated write: validated and applied to the current state") {
    CHECK(runs_of(*this, incr, {write_op::set(K("/r/w"), "x")}) == 1);
    CHECK(ask<kvmem::version_t>(kvmem::version_atom::value).value() == v0 + 2);
    CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/r/w"))).value() == "x"); // kept
  }
  SECTION("after a conflicting write: rejected and replayed on the new state") {
    CHECK(runs_of(*this, incr, {write_op::set(K("/r/v"), "10")}) == 2);
    CHECK(read<kvmem::bytes>(kvmem::read_op::get(K("/r/v"))).value() == "11");
  }
  SECTION("a requirement that no longer holds: version_mismatch, not replayed, nothing applied") {
    auto seen = read<kvmem::entry_stat>(kvmem::read_op::stat(K("/r/w"))).value().modified;
    auto runs = std::make_shared<int>(0);
    auto store = s.actor();
    auto r = batch([=](batch_view& v) {
      ++*runs;
      REQUIRE(v.require(K("/r/w"), expect::modified(seen)));
      caf::anon_send(store, kvmem::set_atom::value, K("/r/w"), kvmem::bytes{"moved"});
      (void)v.set(K("/sink"), "never");
    });
    CHECK(r.error().code == errc::version_mismatch);
    CHECK(r.error().path == K("/r/w"));
    CHECK(r.error().expected == seen);
    CHECK(r.error().actual == v0 + 1);
    CHECK(*runs == 1);
    CHECK(read<std::optional<kvmem::kind>>(kvmem::read_op::exists(K("/sink"))).value() ==
          std::nullopt);
  }
}

TEST_CASE_METHOD(coordinator_fixture, "a requirement that fails in the snapshot ends the batch at once") {
  setup(*this);
  int runs = 0;
  auto r = batch([&](batch_view& v) {
    ++runs;
    CHECK_FALSE(v.require(K("/r/v"), expect::none()));
    (void)v.set(K("/sink"), "never");
  });
  CHECK(r.error().code == errc::version_mismatch);
  CHECK_FALSE(r.error().expected);
  CHECK(runs == 1);
}

namespace {
struct by_version_fixture : coordinator_fixture {
  by_version_fixture() : coordinator_fixture({.validation = kvmem::validation::by_version}) {}
};
} // namespace

TEST_CASE_METHOD(by_version_fixture, "validation by version: any commit in between forces a replay") {
  setup(*this);
  CHECK(runs_of(*this, [](batch_view& v) { (void)v.get(K("/r/v")); }, {write_op::set(K("/s/y"), "x")}) == 2);
  CHECK(runs_of(*this, [](batch_view&) {}, {write_op::set(K("/s/y"), "y")}) == 2);
  CHECK(runs_of(*this, [](batch_view& v) { (void)v.get(K("/r/v")); }, {}) == 1);
}
