// A persistent store across restarts, crashes and disk failures, on the
// simulated disk (tests/support/sim_fs.hpp): what is acknowledged survives,
// what fails changes nothing, damage is named, owned keys go.
#include <filesystem>
#include <random>

#include <unistd.h>

#include <catch2/catch.hpp>

#include "eventually.hpp"
#include "persist/journal_record.hpp"
#include "kvmem/batch.hpp"
#include "persist_fixture.hpp"

using kvmem::errc;
using kvmem::sync_policy;
using test::K;

namespace {

std::string value_of(std::uint64_t i, std::size_t size) {
  std::string v(size, '\0');
  for (std::size_t j = 0; j < size; ++j)
    v[j] = static_cast<char>('a' + (i * 31 + j) % 26);
  return v;
}

// Step i of a scripted workload: every kind of write, values of many sizes,
// batches; some steps fail or change nothing (they must leave no trace).
void step(kvmem::client& c, std::uint64_t i) {
  static const std::size_t sizes[] = {0, 1, 100, 4000, 70000};
  auto k = K(fmt::format("/w/{}/{}", i % 5, i % 13));
  switch (i % 8) {
    case 0:
    case 1: (void)c.set(k, value_of(i, sizes[i % 5])); break;
    case 2:
      (void)c.batch([&](kvmem::batch_view& b) {
        for (int j = 0; j < 3; ++j)
          (void)b.set(K(fmt::format("/b/{}/{}", i % 4, j)), value_of(i + j, 10));
      });
      break;
    case 3: (void)c.rename(k, K(fmt::format("/r/{}", i % 3))); break;
    case 4: (void)c.remove(K(fmt::format("/w/{}", i % 5))); break;
    case 5: (void)c.set_partial(k, i % 7, "xyz"); break;
    case 6: (void)c.allocate(K(fmt::format("/a/{}", i % 9)), i % 50); break;
    case 7: (void)c.set(K("/w"), "a value over a dictionary: fails"); break;
  }
}

} // namespace

TEST_CASE_METHOD(test::disk_fixture, "a persistent store comes back exactly as it was",
                 "[persist]") {
  auto s = open(options());
  CHECK(report.created);
  std::string before;
  kvmem::version_t v = 0;
  {
    kvmem::client c{sys, s};
    for (std::uint64_t i = 0; i < 200; ++i) {
      clock->advance(std::chrono::milliseconds(3));
      step(c, i);
    }
    auto snap = test::root_of(sys, s);
    before = test::describe(snap.root);
    v = snap.version;
  }
  close(s);
  s = open(options());
  CHECK_FALSE(report.created);
  CHECK(report.version == v);
  CHECK_FALSE(report.torn_tail);
  auto after = test::root_of(sys, s);
  CHECK(after.version == v);
  CHECK(test::describe(after.root) == before);
  // Versions continue from the recovered one.
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/next"), "x"));
  CHECK(c.last_version() == v + 1);
}

TEST_CASE_METHOD(test::disk_fixture, "a second store on the same directory is refused",
                 "[persist]") {
  auto s = open(options());
  auto second = try_open(options());
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::unavailable);
  CHECK_THAT(second.error().detail, Catch::Contains("locked"));
  close(s);
  CHECK(try_open(options()));
}

TEST_CASE_METHOD(test::disk_fixture, "power loss after each acknowledged write loses nothing "
                                     "acknowledged (sync always)",
                 "[persist]") {
  // Run the workload once, keeping every acknowledged state; then for each
  // point, run it again on a fresh disk up to there and pull the power.
  const std::uint64_t steps = 40;
  std::vector<std::string> states; // after step i
  {
    auto s = open(options());
    kvmem::client c{sys, s};
    for (std::uint64_t i = 0; i < steps; ++i) {
      step(c, i);
      states.push_back(test::describe(test::root_of(sys, s).root));
    }
    close(s);
  }
  for (std::uint64_t cut = 0; cut < steps; ++cut) {
    CAPTURE(cut);
    fs = std::make_shared<kvmem::test::sim_fs>();
    clock->set(kvmem::ptime{100, 0});
    auto s = open(options());
    {
      kvmem::client c{sys, s};
      for (std::uint64_t i = 0; i <= cut; ++i)
        step(c, i);
    }
    fs->crash(cut, true); // torn writes of whatever was not synced
    close(s);
    s = open(options());
    CHECK(test::describe(test::root_of(sys, s).root) == states[cut]);
    close(s);
  }
}

TEST_CASE_METHOD(test::disk_fixture, "a sync that fails at any point, then power loss: the last "
                                     "acknowledged state or the one in flight",
                 "[persist]") {
  // A reference run: the states after each step, and how many file syncs
  // the workload makes.
  const std::uint64_t steps = 24;
  std::vector<std::string> states;
  std::uint64_t syncs = 0;
  {
    auto s = open(options());
    states.push_back(test::describe(test::root_of(sys, s).root));
    auto base = fs->calls(kvmem::test::op_kind::sync);
    kvmem::client c{sys, s};
    for (std::uint64_t i = 0; i < steps; ++i) {
      step(c, i);
      states.push_back(test::describe(test::root_of(sys, s).root));
    }
    syncs = fs->calls(kvmem::test::op_kind::sync) - base;
    close(s);
  }
  REQUIRE(syncs > 10);
  for (std::uint64_t k = 1; k <= syncs; ++k) {
    CAPTURE(k);
    fs = std::make_shared<kvmem::test::sim_fs>();
    clock->set(kvmem::ptime{100, 0});
    auto s = open(options());
    std::size_t acked = 0; // states[acked]: the last acknowledged state
    {
      kvmem::client c{sys, s};
      fs->fail_from(k, kvmem::test::io_error("fdatasync: Input/output error"),
                    kvmem::test::op_kind::sync);
      for (std::uint64_t i = 0; i < steps; ++i) {
        step(c, i);
        if (c.info().value().writes_refused)
          break;
        acked = i + 1;
      }
    }
    fs->crash(k, true);
    fs->clear_faults();
    close(s);
    s = open(options());
    auto got = test::describe(test::root_of(sys, s).root);
    bool last_or_next = got == states[acked] || (acked + 1 < states.size() && got == states[acked + 1]);
    CHECK(last_or_next);
    close(s);
  }
}

TEST_CASE_METHOD(test::disk_fixture, "power loss under sync interval or none keeps a prefix of "
                                     "the acknowledged writes",
                 "[persist]") {
  auto policy = GENERATE(sync_policy::interval, sync_policy::none);
  CAPTURE(to_string(policy));
  std::vector<std::string> states{""};
  auto s = open(options(policy));
  states[0] = test::describe(test::root_of(sys, s).root);
  {
    kvmem::client c{sys, s};
    for (std::uint64_t i = 0; i < 30; ++i) {
      step(c, i);
      states.push_back(test::describe(test::root_of(sys, s).root));
    }
    if (policy == sync_policy::interval) {
      // The sync thread catches up within the interval: then all survives.
      auto v = c.version().value();
      REQUIRE(test::eventually([&] { return c.info().value().synced_version >= v; }));
      REQUIRE(c.set(K("/late"), "maybe lost"));
    }
  }
  fs->crash(7, true);
  close(s);
  s = open(options(policy));
  auto got = test::describe(test::root_of(sys, s).root);
  auto at = std::find(states.begin(), states.end(), got);
  if (policy == sync_policy::interval)
    CHECK(at >= states.end() - 1); // everything synced before the last write survived
  else
    CHECK(at != states.end()); // some prefix, never a mix
  if (at == states.end() && got.find("/late") != std::string::npos) // the last write made it
    SUCCEED("the write after the sync survived too");
}

TEST_CASE_METHOD(test::disk_fixture, "a full disk fails the write and changes nothing; writes "
                                     "work again when space returns",
                 "[persist]") {
  auto s = open(options());
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  auto v = c.version().value();
  fs->set_capacity(0); // nothing more fits
  auto r = c.set(K("/b"), std::string(1000, 'x'));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
  CHECK_THAT(r.error().detail, Catch::Contains("No space left on device"));
  CHECK(c.version().value() == v);              // not applied
  CHECK(c.get(K("/b")).error().code == errc::not_found);
  CHECK(c.get(K("/a")).value() == "1");         // reads go on
  auto b = c.batch([](kvmem::batch_view& bv) { (void)bv.set(K("/c"), "3"); });
  CHECK_FALSE(b);
  fs->set_capacity(UINT64_MAX);
  REQUIRE(c.set(K("/b"), "2"));
  close(s);
  s = open(options());
  kvmem::client c2{sys, s};
  CHECK(c2.get(K("/b")).value() == "2");
  CHECK(c2.get(K("/c")).error().code == errc::not_found);
  CHECK(c2.version().value() == v + 1);
}

TEST_CASE_METHOD(test::disk_fixture, "under sync interval a full disk refuses writes until the "
                                     "kept records can be written, and loses none of them",
                 "[persist]") {
  auto s = open(options(sync_policy::interval));
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  fs->set_capacity(0);
  REQUIRE(c.set(K("/b"), "kept in memory")); // acknowledged: the journal keeps it
  // Once the thread fails to write it, writes are refused with io_error.
  int n = 0;
  REQUIRE(test::eventually([&] {
    auto r = c.set(K(fmt::format("/c/{}", n++)), "x");
    return !r && r.error().code == errc::io_error;
  }));
  CHECK(c.get(K("/a")).value() == "1"); // reads go on
  fs->set_capacity(UINT64_MAX);
  REQUIRE(test::eventually([&] { return static_cast<bool>(c.set(K("/d"), "after")); }));
  auto v = c.version().value();
  REQUIRE(test::eventually([&] { return c.info().value().synced_version >= v; }));
  close(s);
  s = open(options(sync_policy::interval));
  kvmem::client c2{sys, s};
  CHECK(c2.version().value() == v);
  CHECK(c2.get(K("/b")).value() == "kept in memory");
  CHECK(c2.get(K("/d")).value() == "after");
}

TEST_CASE_METHOD(test::disk_fixture, "an I/O error on write fails only that write",
                 "[persist]") {
  auto s = open(options());
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  fs->fail_at(1, kvmem::test::io_error("write: Input/output error"), kvmem::test::op_kind::write);
  auto r = c.set(K("/b"), "2");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
  REQUIRE(c.set(K("/b"), "3"));
  CHECK(c.get(K("/b")).value() == "3");
}

TEST_CASE_METHOD(test::disk_fixture, "after a failed sync the store refuses every write until "
                                     "it is reopened",
                 "[persist]") {
  auto s = open(options());
  kvmem::client c{sys, s};
  REQUIRE(c.set(K("/a"), "1"));
  fs->fail_at(1, kvmem::test::io_error("fdatasync: Input/output error"),
              kvmem::test::op_kind::sync);
  auto r = c.set(K("/b"), "2");
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::read_only);
  auto again = c.set(K("/c"), "3");
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::read_only);
  CHECK(c.get(K("/a")).value() == "1"); // reads go on
  CHECK(c.info().value().writes_refused == 1);
  close(s);
  s = open(options());
  kvmem::client c2{sys, s};
  CHECK(c2.get(K("/a")).value() == "1");
  REQUIRE(c2.set(K("/c"), "3"));
}

TEST_CASE_METHOD(test::disk_fixture, "the journal cut at every byte of its last record recovers "
                                     "the record before",
                 "[persist]") {
  auto s = open(options());
  kvmem::version_t v1 = 0;
  std::string state1;
  {
    kvmem::client c{sys, s};
    REQUIRE(c.set(K("/a"), "first"));
    v1 = c.version().value();
    state1 = test::describe(test::root_of(sys, s).root);
  }
  close(s);
  auto seg = segment();
  const auto last_record = fs->size(seg);
  s = open(options());
  {
    kvmem::client c{sys, s};
    REQUIRE(c.set(K("/b"), std::string(300, 'q')));
  }
  close(s);
  const auto full = fs->contents(seg);
  REQUIRE(full.size() > last_record + 300);
  for (auto cut = last_record; cut < full.size(); ++cut) {
    CAPTURE(cut);
    fs->set_contents(seg, full.substr(0, cut));
    auto t = open(options());
    CHECK(report.version == v1);
    CHECK(report.torn_tail == (cut > last_record));
    CHECK(test::describe(test::root_of(sys, t).root) == state1);
    close(t);
  }
}

TEST_CASE_METHOD(test::disk_fixture, "damage before the tail is an error naming the file and "
                                     "offset",
                 "[persist]") {
  auto seg = five_records();
  auto bytes = fs->contents(seg);
  bytes[40] ^= 0x20; // inside the first record's body
  fs->set_contents(seg, bytes);
  auto r = try_open(options());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corrupt);
  CHECK_THAT(r.error().detail, Catch::Contains(seg.substr(3)) && Catch::Contains("offset 24"));
  // An operator's explicit choice: recover up to the damage.
  auto o = options();
  o.persistence.recover_to_damage = true;
  auto t = open(o);
  REQUIRE(report.damage);
  CHECK(report.version == 0);
  kvmem::client c2{sys, t};
  REQUIRE(c2.set(K("/again"), "1"));
  close(t);
  CHECK(open(options()).actor());
}

TEST_CASE_METHOD(test::disk_fixture, "a damaged length in the middle of the last segment is "
                                     "damage, not a torn tail",
                 "[persist]") {
  auto seg = five_records();
  auto bytes = fs->contents(seg);
  // The second record: its length made larger than the rest of the file,
  // so that it looks cut short, as a torn tail would.
  std::size_t off = 24;
  auto first = kvmem::detail::check_frame(std::string_view{bytes}.substr(off));
  REQUIRE(first.status == kvmem::detail::frame_check::ok);
  off += kvmem::detail::record_header_bytes + first.length;
  bytes[off + 3] = static_cast<char>(0x7f);
  fs->set_contents(seg, bytes);
  auto r = try_open(options());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corrupt);
  CHECK_THAT(r.error().detail, Catch::Contains(fmt::format("offset {}", off)));
}

TEST_CASE_METHOD(test::disk_fixture, "recovering up to damage never applies half a record",
                 "[persist]") {
  auto s = open(options());
  kvmem::version_t v = 0;
  {
    kvmem::client c{sys, s};
    REQUIRE(c.set(K("/x"), "1"));
    v = c.version().value();
  }
  close(s);
  auto seg = segment();
  // A well-framed record whose second write cannot apply (a key under a
  // value), then a good one after it: damage, not a tail.
  std::string more;
  std::vector<kvmem::write_op> bad{kvmem::write_op::set(K("/half"), "1"),
                                   kvmem::write_op::set(K("/x/under"), "2")};
  kvmem::detail::encode_record(more, kvmem::stamp{kvmem::ptime{100, 0}, v + 1}, bad, {});
  std::vector<kvmem::write_op> good{kvmem::write_op::set(K("/after"), "3")};
  kvmem::detail::encode_record(more, kvmem::stamp{kvmem::ptime{100, 0}, v + 2}, good, {});
  fs->set_contents(seg, fs->contents(seg) + more);
  auto r = try_open(options());
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::corrupt);
  CHECK_THAT(r.error().detail, Catch::Contains("does not apply"));
  auto o = options();
  o.persistence.recover_to_damage = true;
  s = open(o);
  CHECK(report.version == v);
  kvmem::client c{sys, s};
  CHECK_FALSE(c.exists(K("/half")).value()); // not half of the record
  CHECK_FALSE(c.exists(K("/after")).value());
  REQUIRE(c.set(K("/next"), "4"));
  CHECK(c.last_version() == v + 1);
}

TEST_CASE_METHOD(test::disk_fixture, "a store reopened with a smaller capacity keeps what it "
                                     "holds and refuses writes beyond it",
                 "[persist]") {
  auto o = options();
  auto s = open(o);
  {
    kvmem::client c{sys, s};
    for (int i = 0; i < 10; ++i)
      REQUIRE(c.set(K(fmt::format("/k{}", i)), std::string(100, 'v')));
  }
  REQUIRE(kvmem::client{sys, s}.checkpoint()); // some of it in a checkpoint, some in the journal
  {
    kvmem::client c{sys, s};
    for (int i = 10; i < 20; ++i)
      REQUIRE(c.set(K(fmt::format("/k{}", i)), std::string(100, 'v')));
  }
  const auto before = test::describe(test::root_of(sys, s).root);
  close(s);

  o.capacity = 500; // the store holds over 2000 bytes
  auto back = try_open(o);
  REQUIRE(back);
  CHECK(report.version == 20);
  CHECK(test::describe(test::root_of(sys, *back).root) == before);
  kvmem::client c{sys, *back};
  auto w = c.set(K("/more"), "x");
  REQUIRE_FALSE(w);
  CHECK(w.error().code == errc::no_space);
  REQUIRE(c.remove(K("/k0"))); // removing works, and goes into the journal
  close(*back);
  o.capacity = kvmem::unlimited;
  auto again = open(o);
  CHECK(report.version == 21);
  CHECK_FALSE(kvmem::client{sys, again}.exists(K("/k0")).value().has_value());
}

TEST_CASE_METHOD(test::disk_fixture, "recovery deletes the files a removal left half done and "
                                     "reads none of them",
                 "[persist]") {
  auto path = five_records();
  // A crash cut short the removal of an old segment and an old checkpoint:
  // what is left of them (any bytes) has the removal suffix.
  fs->set_contents(path + ".del", "half a segment");
  fs->set_contents("db/checkpoint-00000000000000000000.kvc.del", std::string(100, '\0'));
  auto s = open(options());
  CHECK(report.version == 5);
  for (auto& n : fs->files("db"))
    CHECK_FALSE(n.ends_with(".del"));
  close(s);
}

TEST_CASE_METHOD(test::disk_fixture, "keys owned by an actor are removed at recovery, in one "
                                     "commit",
                 "[persist]") {
  auto s = open(options());
  {
    kvmem::client c{sys, s};
    auto owner = c.owner_handle();
    REQUIRE(c.set_owned(K("/svc/a"), "1", owner));
    REQUIRE(c.set_owned(K("/svc/b"), "2", owner));
    REQUIRE(c.set_owned(K("/svc/c"), "3", owner));
    REQUIRE(c.set(K("/svc/c"), "plain now")); // ends c's ownership
    REQUIRE(c.set(K("/keep"), "x"));
    REQUIRE(c.checkpoint()); // owned keys recorded in a checkpoint too
    REQUIRE(c.set_owned(K("/svc/d"), "4", owner));
  }
  close(s);
  s = open(options());
  CHECK(report.owned_keys_removed == 3);
  kvmem::client c{sys, s};
  REQUIRE(test::eventually([&] { return !c.exists(K("/svc/a")).value(); }));
  CHECK_FALSE(c.exists(K("/svc/b")).value());
  CHECK_FALSE(c.exists(K("/svc/d")).value());
  CHECK(c.get(K("/svc/c")).value() == "plain now");
  CHECK(c.get(K("/keep")).value() == "x");
  CHECK(c.info().value().owned_keys == 0);
  // The removal is itself journaled: they stay gone.
  auto v = c.version().value();
  close(s);
  s = open(options());
  CHECK(report.owned_keys_removed == 0);
  CHECK(report.version == v);
}

TEST_CASE_METHOD(test::disk_fixture, "a checkpoint replaces the journal before it, and recovery "
                                     "starts from it",
                 "[persist]") {
  auto o = options();
  o.persistence.segment_bytes = 4096; // many segments
  auto s = open(o);
  kvmem::client c{sys, s};
  for (int i = 0; i < 300; ++i)
    REQUIRE(c.set(K(fmt::format("/k/{}", i % 50)), value_of(static_cast<std::uint64_t>(i), 40)));
  auto info = c.info().value();
  CHECK(info.journal_segments > 3);
  auto v = c.checkpoint().value();
  CHECK(v == c.version().value());
  info = c.info().value();
  CHECK(info.checkpoint_version == v);
  CHECK(info.journal_segments <= 2);
  CHECK(info.checkpoint_bytes > 0);
  CHECK(c.checkpoint().value() == v); // nothing new: the same one
  for (int i = 0; i < 10; ++i)
    REQUIRE(c.set(K(fmt::format("/after/{}", i)), "x"));
  auto state = test::describe(test::root_of(sys, s).root);
  close(s);
  s = open(o);
  CHECK(report.checkpoint_version == v);
  CHECK(report.records_replayed == 10);
  CHECK(test::describe(test::root_of(sys, s).root) == state);
}

TEST_CASE_METHOD(test::disk_fixture, "checkpoints start by themselves once the journal grows",
                 "[persist]") {
  auto o = options(sync_policy::none);
  o.persistence.checkpoint_bytes = 20000;
  auto s = open(o);
  kvmem::client c{sys, s};
  for (int i = 0; i < 200; ++i)
    REQUIRE(c.set(K(fmt::format("/k/{}", i)), std::string(200, 'v')));
  REQUIRE(test::eventually([&] { return c.info().value().checkpoint_version > 0; }));
  auto state = test::describe(test::root_of(sys, s).root);
  close(s);
  s = open(o);
  CHECK(report.checkpoint_version > 0);
  CHECK(test::describe(test::root_of(sys, s).root) == state);
}

TEST_CASE_METHOD(test::disk_fixture, "a store without persistence refuses a checkpoint",
                 "[persist]") {
  auto s = kvmem::spawn_store(sys);
  kvmem::client c{sys, s};
  auto r = c.checkpoint();
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::invalid_argument);
  CHECK(c.info().value().sync == 0);
  caf::anon_send_exit(s.actor(), caf::exit_reason::user_shutdown);
}

namespace {
// Whether every entry of a and b has the same stat and last-modified time,
// and their roots the same digest (which covers every value and name).
bool same_everywhere(const kvmem::tree& a, const kvmem::tree& b, std::uint64_t* entries) {
  if (a.digest({}).value() != b.digest({}).value())
    return false;
  std::vector<kvmem::key> todo{kvmem::key{}};
  while (!todo.empty()) {
    auto k = std::move(todo.back());
    todo.pop_back();
    auto sa = a.stat(k), sb = b.stat(k);
    if (!sa || !sb || !(*sa == *sb) || a.last_modified(k).value() != b.last_modified(k).value())
      return false;
    ++*entries;
    if (sa->what == kvmem::kind::dictionary)
      for (auto& [child, kind] : a.list(k).value())
        todo.push_back(child);
  }
  return true;
}
} // namespace

TEST_CASE_METHOD(test::disk_fixture, "a million entries round-trip through a checkpoint and the "
                                     "journal",
                 "[persist]") {
#if defined(__SANITIZE_ADDRESS__) || defined(__has_feature)
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
  const int n = 100'000; // the sanitizers make a million take minutes
#else
  const int n = 1'000'000;
#endif
#else
  const int n = 1'000'000;
#endif
  // On the real file system: the simulated disk copies a file at each sync.
  auto dir = std::filesystem::temp_directory_path() / fmt::format("kvmem-million-{}", getpid());
  std::filesystem::remove_all(dir);
  auto o = options(sync_policy::none);
  o.persistence.checkpoint_bytes = 0;
  o.persistence.fs = nullptr;
  o.persistence.dir = dir.string();
  auto s = open(o);
  kvmem::local_snapshot before;
  {
    kvmem::client c{sys, s};
    for (int base = 0; base < n; base += 10'000) {
      clock->advance(std::chrono::milliseconds(1));
      REQUIRE(c.batch([&](kvmem::batch_view& b) {
        for (int i = base; i < base + 10'000; ++i)
          (void)b.set(K(fmt::format("/d{}/k{}", i % 1000, i)), value_of(static_cast<std::uint64_t>(i), 20));
      }));
    }
    REQUIRE(c.checkpoint());
    for (int i = 0; i < 1000; ++i) { // and a journal after it
      clock->advance(std::chrono::milliseconds(1));
      REQUIRE(c.set(K(fmt::format("/d{}/k{}", i, i * 7)), "rewritten"));
    }
    REQUIRE(c.rename(K("/d5"), K("/moved")));
    before = test::root_of(sys, s);
    auto info = c.info().value();
    CHECK(info.checkpoint_version + 1001 == before.version);
  }
  close(s);
  s = open(o);
  CHECK(report.records_replayed == 1001);
  auto after = test::root_of(sys, s);
  CHECK(after.version == before.version);
  std::uint64_t entries = 0;
  CHECK(same_everywhere(before.root, after.root, &entries));
  CHECK(entries == before.root.count_nodes() + 1);
  CHECK(entries > static_cast<std::uint64_t>(n));
  CHECK(after.root.used() == before.root.used());
  CHECK(after.root.verify() == "");
  close(s);
  std::filesystem::remove_all(dir);
}
