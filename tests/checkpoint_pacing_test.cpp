// How a checkpoint shares the disk with the journal (src/persist/checkpoint.*,
// journal.*): its file gets whole units at unit boundaries, each written
// back before the next and paced first, and the journal's pacing waits for
// the sync that commits wait on.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "persist/checkpoint.hpp"
#include "persist/journal.hpp"
#include "persist/removal.hpp"
#include "eventually.hpp"
#include "support/sim_fs.hpp"

using namespace kvmem;

namespace {

// A file_system over a sim_fs that notes, in order, the writes and
// write-backs of checkpoint files (*.tmp), and can hold the journal's syncs
// (journal-*) until the test lets them go.
struct watching_fs final : file_system {
  std::shared_ptr<kvmem::test::sim_fs> disk = std::make_shared<kvmem::test::sim_fs>();

  std::mutex m;
  std::condition_variable cv;
  std::vector<std::string> ops; // "pace", "write <off> <len>", "back <off> <len>"
  bool hold_syncs = false;
  int syncs_entered = 0;
  std::atomic<int> syncs_done{0};

  void note(std::string s) {
    std::lock_guard lk{m};
    ops.push_back(std::move(s));
  }

  struct watched_file final : file {
    watching_fs& fs;
    std::unique_ptr<file> f;
    bool checkpoint, journal;
    watched_file(watching_fs& fs, std::unique_ptr<file> f, const std::string& path)
        : fs(fs), f(std::move(f)), checkpoint(path.ends_with(".tmp")),
          journal(path.find("journal-") != std::string::npos) {}
    result<void> write_at(std::uint64_t off, std::span<const char> data) override {
      if (checkpoint)
        fs.note("write " + std::to_string(off) + " " + std::to_string(data.size()));
      return f->write_at(off, data);
    }
    result<std::size_t> read_at(std::uint64_t off, std::span<char> out) override {
      return f->read_at(off, out);
    }
    result<void> sync() override {
      if (journal) {
        std::unique_lock lk{fs.m};
        ++fs.syncs_entered;
        fs.cv.notify_all();
        fs.cv.wait(lk, [&] { return !fs.hold_syncs; });
      }
      auto r = f->sync();
      if (journal)
        ++fs.syncs_done;
      return r;
    }
    result<void> write_back(std::uint64_t off, std::uint64_t len) override {
      if (checkpoint)
        fs.note("back " + std::to_string(off) + " " + std::to_string(len));
      return f->write_back(off, len);
    }
    result<void> truncate(std::uint64_t size) override { return f->truncate(size); }
    result<std::uint64_t> size() override { return f->size(); }
  };

  result<std::unique_ptr<file>> open(const std::string& path, mode md) override {
    auto f = disk->open(path, md);
    if (!f)
      return std::move(f).error();
    return std::unique_ptr<file>{std::make_unique<watched_file>(*this, std::move(*f), path)};
  }
  result<void> rename(const std::string& a, const std::string& b) override {
    return disk->rename(a, b);
  }
  result<void> remove(const std::string& p) override { return disk->remove(p); }
  result<std::vector<std::string>> list(const std::string& d) override { return disk->list(d); }
  result<void> sync_dir(const std::string& d) override { return disk->sync_dir(d); }
  result<void> make_dir(const std::string& d) override { return disk->make_dir(d); }
  result<std::unique_ptr<file_lock>> lock(const std::string& p) override { return disk->lock(p); }
};

} // namespace

TEST_CASE("a checkpoint reaches its file in whole units at unit boundaries, each paced and "
          "written back before the next",
          "[checkpoint_pacing]") {
  watching_fs fs;
  REQUIRE(fs.make_dir("d"));
  detail::checkpoint_data c;
  c.version = 7;
  // Small entries, a value of 2.5 units, small entries again, and another
  // large value: over 1 MiB of image, which the image writer hands over in
  // chunks of about 1 MiB that do not end at unit boundaries.
  detail::checkpoint_pacing pacing;
  pacing.unit = std::size_t{128} << 10;
  pacing.before_each = [&] { fs.note("pace"); };
  const std::size_t unit = pacing.unit;
  for (int i = 0; i < 4000; ++i)
    REQUIRE(c.root.set(key::v("/a/" + std::to_string(i)), std::string(100, 'x'), stamp{{}, 1}));
  REQUIRE(c.root.set(key::v("/b"), std::string(unit * 5 / 2, 'y'), stamp{{}, 2}));
  for (int i = 0; i < 100; ++i)
    REQUIRE(c.root.set(key::v("/c/" + std::to_string(i)), std::string(10, 'z'), stamp{{}, 3}));
  REQUIRE(c.root.set(key::v("/d"), std::string(unit * 6 + 1000, 'w'), stamp{{}, 4}));
  auto size = detail::write_checkpoint(fs, "d", c, nullptr, pacing);
  REQUIRE(size);
  REQUIRE(*size > 9 * unit);

  // pace, write, back; pace, write, back; ... covering the file in order.
  std::lock_guard lk{fs.m};
  REQUIRE(fs.ops.size() % 3 == 0);
  std::uint64_t at = 0;
  for (std::size_t i = 0; i < fs.ops.size(); i += 3) {
    INFO("op " << i << ": " << fs.ops[i] << " | " << fs.ops[i + 1] << " | " << fs.ops[i + 2]);
    REQUIRE(fs.ops[i] == "pace");
    std::uint64_t off = 0, len = 0;
    REQUIRE(std::sscanf(fs.ops[i + 1].c_str(), "write %lu %lu", &off, &len) == 2);
    CHECK(off == at);
    CHECK(off % unit == 0);
    const bool last = i + 3 == fs.ops.size();
    CHECK((last ? len > 0 && len <= unit : len == unit));
    CHECK(fs.ops[i + 2] == "back " + std::to_string(off) + " " + std::to_string(len));
    at = off + len;
  }
  CHECK(at == *size);

  // And the file reads back as the tree.
  auto back = detail::read_checkpoint(*fs.disk, "d", detail::checkpoint_name(7), 1ull << 40);
  REQUIRE(back);
  CHECK(back->version == 7);
  CHECK(back->root.digest(key{}).value() == c.root.digest(key{}).value());
}

TEST_CASE("the journal's pacing waits for the sync that commits wait on, and not when none "
          "waits",
          "[checkpoint_pacing]") {
  auto fs = std::make_shared<watching_fs>();
  REQUIRE(fs->make_dir("d"));
  persistence_options o;
  o.dir = "d";
  o.sync = sync_policy::always;
  auto j = detail::journal::open(fs, "d", o, {}, 0);
  REQUIRE(j);
  auto& jr = **j;

  // Nothing waits for a sync: it returns at once, even with no limit to speak of.
  jr.yield_to_syncs(std::chrono::hours(1));

  // A commit waits for a sync that the disk holds. (Opening the journal
  // synced its new segment already.)
  const int done_before = fs->syncs_done;
  int entered_before = 0;
  {
    std::lock_guard lk{fs->m};
    fs->hold_syncs = true;
    entered_before = fs->syncs_entered;
  }
  REQUIRE(jr.append("record one", 1));
  jr.keep();
  std::atomic<bool> acked{false};
  jr.when_synced([&](const error* e) {
    CHECK(e == nullptr);
    acked = true;
  });
  {
    std::unique_lock lk{fs->m};
    fs->cv.wait(lk, [&] { return fs->syncs_entered > entered_before; });
  }
  // A deadline is kept while the sync is held.
  jr.yield_to_syncs(std::chrono::milliseconds(0));
  CHECK(fs->syncs_done == done_before);

  // Pacing from another thread waits (seen by the journal's count of
  // pacers) and returns only once that sync has ended.
  std::atomic<int> done_when_returned{-1};
  std::thread pacer([&] {
    jr.yield_to_syncs(std::chrono::hours(1));
    done_when_returned = fs->syncs_done.load();
  });
  const bool waited = ::test::eventually([&] { return jr.pacers_waiting() == 1; });
  CHECK(waited);
  CHECK(done_when_returned == -1);
  {
    std::lock_guard lk{fs->m};
    fs->hold_syncs = false;
  }
  fs->cv.notify_all();
  pacer.join();
  CHECK(done_when_returned > done_before);
  j->reset(); // closes the journal: the commit is acknowledged
  CHECK(acked);
}

TEST_CASE("a file the store no longer needs is removed a piece at a time, under a name recovery "
          "deletes",
          "[checkpoint_pacing]") {
  auto disk = std::make_shared<kvmem::test::sim_fs>();
  REQUIRE(disk->make_dir("d"));
  disk->set_contents("d/journal-00000000000000000001.kvj", std::string(5 << 20, 'j'));
  disk->set_contents("d/keep", "k");
  const auto truncates = disk->calls(kvmem::test::op_kind::truncate);
  int paced = 0;
  detail::remove_gradually(*disk, "d", "journal-00000000000000000001.kvj", 1 << 20,
                           [&] { ++paced; });
  CHECK(disk->files("d") == std::vector<std::string>{"keep"});
  CHECK(disk->calls(kvmem::test::op_kind::truncate) - truncates == 5);
  CHECK(paced == 5);

  // Cut short (the disk refuses the second cut, then the removal): what is
  // left has the removal suffix, and nothing else of it remains.
  disk->set_contents("d/checkpoint-00000000000000000009.kvc", std::string(5 << 20, 'c'));
  disk->fail_from(2, kvmem::test::io_error("injected EIO"), kvmem::test::op_kind::truncate);
  disk->fail_from(1, kvmem::test::io_error("injected EIO"), kvmem::test::op_kind::remove);
  detail::remove_gradually(*disk, "d", "checkpoint-00000000000000000009.kvc", 1 << 20);
  disk->clear_faults();
  CHECK(disk->files("d") ==
        std::vector<std::string>{"checkpoint-00000000000000000009.kvc.del", "keep"});
  CHECK(disk->size("d/checkpoint-00000000000000000009.kvc.del") == 4u << 20);

  // If the rename cannot be made durable, nothing is cut: the file goes at
  // once (a crash could otherwise bring the old name back, cut short).
  disk->set_contents("d/journal-00000000000000000002.kvj", std::string(3 << 20, 'j'));
  const auto before = disk->calls(kvmem::test::op_kind::truncate);
  disk->fail_at(1, kvmem::test::io_error("injected EIO"), kvmem::test::op_kind::sync_dir);
  detail::remove_gradually(*disk, "d", "journal-00000000000000000002.kvj", 1 << 20);
  disk->clear_faults();
  CHECK(disk->calls(kvmem::test::op_kind::truncate) == before);
  CHECK(disk->files("d") ==
        std::vector<std::string>{"checkpoint-00000000000000000009.kvc.del", "keep"});
}
