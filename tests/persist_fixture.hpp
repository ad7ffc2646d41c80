// Fixtures for persistence tests: a store on a simulated disk
// (tests/support/sim_fs.hpp) that a test opens, closes, crashes and reopens,
// and a description of a whole tree (every key's stat, time and digest) to
// compare states across a restart.
#pragma once

#include <string>
#include <vector>

#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>
#include <fmt/core.h>

#include "store_fixture.hpp"
#include "support/sim_fs.hpp"

namespace test {

/// Every entry of `t` below `k`, one line each: key, kind, stat (versions,
/// size, entries), last-modified time, digest. Equal strings: equal trees,
/// times and versions included.
inline std::string describe(const kvmem::tree& t, const kvmem::key& from = {}) {
  std::string out;
  std::vector<kvmem::key> todo{from};
  while (!todo.empty()) {
    auto k = std::move(todo.back());
    todo.pop_back();
    auto st = t.stat(k).value();
    out += fmt::format("{} {} c{} m{} s{} n{} e{} t{} {}\n", k.to_string(),
                       st.what == kvmem::kind::value ? "v" : "d", st.created, st.modified,
                       st.subtree, st.size, st.entries, t.last_modified(k).value().to_rfc3339(),
                       t.digest(k).value().hex());
    if (st.what == kvmem::kind::dictionary) {
      auto l = t.list(k).value();
      for (auto i = l.rbegin(); i != l.rend(); ++i)
        todo.push_back(i->first);
    }
  }
  return out;
}

/// The current root of a store in this process.
inline kvmem::local_snapshot root_of(caf::actor_system& sys, const kvmem::store& s) {
  caf::scoped_actor self{sys};
  kvmem::local_snapshot out;
  self->request(s.actor(), caf::infinite, kvmem::snapshot_atom::value)
      .receive([&](kvmem::local_snapshot& ls) { out = std::move(ls); },
               [&](caf::error& e) { FAIL("snapshot: " << sys.render(e)); });
  return out;
}

struct disk_fixture : system_fixture {
  std::shared_ptr<kvmem::test::sim_fs> fs = std::make_shared<kvmem::test::sim_fs>();
  std::shared_ptr<kvmem::manual_clock> clock =
      std::make_shared<kvmem::manual_clock>(kvmem::ptime{100, 0});
  kvmem::recovery_report report;
  std::vector<kvmem::store> open_stores; // shut down by close() or at the end

  kvmem::store_options options(kvmem::sync_policy p = kvmem::sync_policy::always) const {
    kvmem::store_options o;
    o.persistence.dir = "db";
    o.persistence.fs = fs;
    o.persistence.sync = p;
    o.persistence.interval = std::chrono::milliseconds(20);
    return o;
  }
  /// The path of the (first) journal segment on the simulated disk.
  std::string segment() const {
    for (auto& n : fs->files("db"))
      if (n.starts_with("journal-"))
        return "db/" + n;
    FAIL("no journal segment in db");
    return {};
  }
  /// A closed store whose journal holds five sets (/k0../k4), the first at
  /// offset 24 of its segment; returns the segment's path.
  std::string five_records() {
    auto s = open(options());
    {
      kvmem::client c{sys, s};
      for (int i = 0; i < 5; ++i)
        REQUIRE(c.set(K(fmt::format("/k{}", i)), "value"));
    }
    close(s);
    return segment();
  }
  kvmem::result<kvmem::store> try_open(const kvmem::store_options& o) {
    auto s = kvmem::open_store(sys, kvmem::any_clock::shared(clock), o, &report);
    if (s)
      open_stores.push_back(*s);
    return s;
  }
  kvmem::store open(const kvmem::store_options& o) {
    auto s = try_open(o);
    if (!s)
      FAIL("open_store: " << s.error().message());
    return *s;
  }
  /// Shuts the store down and waits until it has terminated (its journal
  /// synced and closed, its directory unlocked).
  void close(const kvmem::store& s) {
    caf::scoped_actor self{sys};
    caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
    self->wait_for(s.actor());
    std::erase_if(open_stores, [&](const kvmem::store& x) { return x.actor() == s.actor(); });
  }
  ~disk_fixture() {
    for (auto s : std::vector<kvmem::store>(open_stores))
      close(s);
  }
};

} // namespace test
