// Tests of the file_system implementations: the simulated disk of the
// persistence tests (tests/support/sim_fs.hpp: crash semantics, torn writes,
// fault injection, locks) and the real one, posix_file_system(), on a
// temporary directory.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

#include "kvmem/file_io.hpp"
#include "support/sim_fs.hpp"

using kvmem::errc;
using kvmem::file_system;
using kvmem::test::op_kind;
using kvmem::test::sim_fs;
using mode = kvmem::file_system::mode;

namespace {

std::span<const char> bytes(std::string_view s) { return {s.data(), s.size()}; }

/// Reads the whole file through a handle.
std::string read_all(kvmem::file& f) {
  auto n = f.size();
  REQUIRE(n);
  std::string out(*n, '\0');
  auto got = f.read_at(0, {out.data(), out.size()});
  REQUIRE(got);
  out.resize(*got);
  return out;
}

/// Creates dir/name with `data`, synced and dir-synced.
void durable_file(file_system& fs, const std::string& path, std::string_view data) {
  auto f = fs.open(path, mode::create_new);
  REQUIRE(f);
  REQUIRE((*f)->write_at(0, bytes(data)));
  REQUIRE((*f)->sync());
  REQUIRE(fs.sync_dir(path.substr(0, path.rfind('/'))));
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

} // namespace

// -- sim_fs: crash semantics -------------------------------------------------

TEST_CASE("sim_fs: reads see writes; a crash keeps only synced bytes", "[sim_fs]") {
  auto fs = std::make_shared<sim_fs>();
  REQUIRE(fs->make_dir("db"));
  durable_file(*fs, "db/a", "hello");
  auto f = fs->open("db/a", mode::write);
  REQUIRE(f);
  REQUIRE((*f)->write_at(5, bytes(" world")));
  CHECK(read_all(**f) == "hello world");
  CHECK(fs->contents("db/a") == "hello world");
  fs->crash();
  CHECK(fs->contents("db/a") == "hello");
  // A sync before the crash keeps it.
  auto g = fs->open("db/a", mode::write);
  REQUIRE(g);
  REQUIRE((*g)->write_at(5, bytes("!")));
  REQUIRE((*g)->sync());
  fs->crash();
  CHECK(fs->contents("db/a") == "hello!");
}

TEST_CASE("sim_fs: a file never dir-synced disappears at a crash", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  auto f = fs.open("db/new", mode::create_new);
  REQUIRE(f);
  REQUIRE((*f)->write_at(0, bytes("data")));
  REQUIRE((*f)->sync()); // the data, but not the name
  CHECK(fs.files("db") == std::vector<std::string>{"new"});
  fs.crash();
  CHECK(fs.files("db").empty());
  auto again = fs.open("db/new", mode::read);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == errc::io_error);
  CHECK(contains(again.error().detail, "No such file or directory"));
}

TEST_CASE("sim_fs: a rename not dir-synced is undone, a synced one is kept", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  durable_file(fs, "db/old", "old");
  durable_file(fs, "db/tmp", "new");
  REQUIRE(fs.rename("db/tmp", "db/old"));
  CHECK(fs.files("db") == std::vector<std::string>{"old"});
  CHECK(fs.contents("db/old") == "new");
  fs.crash();
  CHECK(fs.files("db") == std::vector<std::string>{"old", "tmp"});
  CHECK(fs.contents("db/old") == "old");
  CHECK(fs.contents("db/tmp") == "new");

  REQUIRE(fs.rename("db/tmp", "db/old"));
  REQUIRE(fs.sync_dir("db"));
  fs.crash();
  CHECK(fs.files("db") == std::vector<std::string>{"old"});
  CHECK(fs.contents("db/old") == "new");
}

TEST_CASE("sim_fs: a removal not dir-synced comes back with its durable bytes", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  durable_file(fs, "db/a", "synced");
  {
    auto f = fs.open("db/a", mode::write);
    REQUIRE(f);
    REQUIRE((*f)->write_at(0, bytes("UNSYNCED")));
  }
  REQUIRE(fs.remove("db/a"));
  CHECK(fs.files("db").empty());
  fs.crash();
  CHECK(fs.contents("db/a") == "synced");
  REQUIRE(fs.remove("db/a"));
  REQUIRE(fs.sync_dir("db"));
  fs.crash();
  CHECK(fs.files("db").empty());
}

TEST_CASE("sim_fs: handles opened before a crash are stale", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  durable_file(fs, "db/a", "x");
  auto f = fs.open("db/a", mode::write);
  REQUIRE(f);
  fs.crash();
  char buf[4];
  for (auto r : {(*f)->write_at(0, bytes("y")), (*f)->sync(), (*f)->truncate(0)}) {
    REQUIRE_FALSE(r);
    CHECK(r.error().code == errc::io_error);
    CHECK(contains(r.error().detail, "stale handle after crash"));
  }
  CHECK_FALSE((*f)->read_at(0, {buf, sizeof buf}));
  CHECK_FALSE((*f)->size());
  // A new handle works.
  auto g = fs.open("db/a", mode::write);
  REQUIRE(g);
  REQUIRE((*g)->write_at(1, bytes("y")));
  CHECK(read_all(**g) == "xy");
}

TEST_CASE("sim_fs: open modes, truncate, list and missing files", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("a/b"));
  CHECK(fs.list("a"));
  durable_file(fs, "a/b/z", "12345");
  durable_file(fs, "a/b/y", "");
  CHECK(*fs.list("a/b") == std::vector<std::string>{"y", "z"});
  CHECK(*fs.list("a/b/") == std::vector<std::string>{"y", "z"});
  auto exists = fs.open("a/b/z", mode::create_new);
  REQUIRE_FALSE(exists);
  CHECK(exists.error().code == errc::io_error);
  CHECK(contains(exists.error().detail, "File exists"));
  CHECK_FALSE(fs.open("nodir/x", mode::create_new));
  CHECK_FALSE(fs.list("nodir"));
  CHECK_FALSE(fs.remove("a/b/none"));
  CHECK_FALSE(fs.rename("a/b/none", "a/b/x"));

  auto ro = fs.open("a/b/z", mode::read);
  REQUIRE(ro);
  CHECK_FALSE((*ro)->write_at(0, bytes("no")));
  char buf[8];
  CHECK(*(*ro)->read_at(3, {buf, sizeof buf}) == 2);
  CHECK(*(*ro)->read_at(9, {buf, sizeof buf}) == 0);

  auto rw = fs.open("a/b/z", mode::write);
  REQUIRE(rw);
  REQUIRE((*rw)->truncate(2));
  CHECK(fs.size("a/b/z") == 2);
  REQUIRE((*rw)->truncate(4));
  CHECK(fs.contents("a/b/z") == std::string("12\0\0", 4));
  REQUIRE((*rw)->write_at(6, bytes("x"))); // a hole reads as zeros
  CHECK(fs.contents("a/b/z") == std::string("12\0\0\0\0x", 7));
  fs.crash();
  CHECK(fs.contents("a/b/z") == "12345");
}

TEST_CASE("sim_fs: set_contents is durable", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  fs.set_contents("db/j", "corrupted");
  durable_file(fs, "db/k", "abc");
  fs.set_contents("db/k", "ab");
  fs.crash();
  CHECK(fs.contents("db/j") == "corrupted");
  CHECK(fs.contents("db/k") == "ab");
  CHECK(fs.size("db/k") == 2);
  CHECK_THROWS_AS(fs.contents("db/none"), std::out_of_range);
}

TEST_CASE("sim_fs: a torn crash keeps durable plus a prefix of the unsynced tail", "[sim_fs]") {
  const std::string base = "durable-";
  const std::string tail = "0123456789abcdefghijklmnopqrstuvwxyz";
  bool saw_partial = false, saw_zeros = false, saw_none = false, saw_all = false;
  for (std::uint64_t seed = 0; seed < 200; ++seed) {
    sim_fs fs;
    REQUIRE(fs.make_dir("db"));
    durable_file(fs, "db/j", base);
    auto f = fs.open("db/j", mode::write);
    REQUIRE(f);
    REQUIRE((*f)->write_at(base.size(), bytes(tail)));
    fs.crash(seed, true);
    auto got = fs.contents("db/j");
    INFO("seed " << seed << ": " << got);
    REQUIRE(got.substr(0, base.size()) == base);
    auto rest = got.substr(base.size());
    if (rest == std::string(tail.size(), '\0')) {
      saw_zeros = true;
    } else {
      REQUIRE(tail.substr(0, rest.size()) == rest); // a prefix
      saw_none |= rest.empty();
      saw_all |= rest == tail;
      saw_partial |= !rest.empty() && rest != tail;
    }
    // Deterministic per seed.
    sim_fs again;
    REQUIRE(again.make_dir("db"));
    durable_file(again, "db/j", base);
    auto g = again.open("db/j", mode::write);
    REQUIRE(g);
    REQUIRE((*g)->write_at(base.size(), bytes(tail)));
    again.crash(seed, true);
    REQUIRE(again.contents("db/j") == got);
  }
  CHECK(saw_partial);
  CHECK(saw_zeros);
  CHECK(saw_none);
  CHECK(saw_all);
}

TEST_CASE("sim_fs: a torn overwrite keeps the new bytes' prefix over the old", "[sim_fs]") {
  for (std::uint64_t seed = 0; seed < 50; ++seed) {
    sim_fs fs;
    REQUIRE(fs.make_dir("db"));
    durable_file(fs, "db/h", "AAAAAAAA");
    auto f = fs.open("db/h", mode::write);
    REQUIRE(f);
    REQUIRE((*f)->write_at(2, bytes("BBBB")));
    fs.crash(seed, true);
    auto got = fs.contents("db/h");
    INFO("seed " << seed << ": " << got);
    REQUIRE(got.size() == 8);
    auto k = got.find_first_not_of("AB"); // only A and B
    REQUIRE(k == std::string::npos);
    auto bs = std::count(got.begin(), got.end(), 'B');
    REQUIRE(got == "AA" + std::string(bs, 'B') + std::string(6 - bs, 'A'));
  }
}

// -- sim_fs: fault injection -------------------------------------------------

TEST_CASE("sim_fs: fail_at fails the n-th call of a kind once", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  auto f = fs.open("db/a", mode::create_new);
  REQUIRE(f);
  fs.fail_at(2, kvmem::test::io_error("injected EIO"), op_kind::write);
  REQUIRE((*f)->write_at(0, bytes("one")));
  auto r = (*f)->write_at(3, bytes("two"));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == errc::io_error);
  CHECK(r.error().detail == "injected EIO");
  CHECK(fs.contents("db/a") == "one"); // the failed write wrote nothing
  REQUIRE((*f)->write_at(3, bytes("two")));
  CHECK(fs.contents("db/a") == "onetwo");
  CHECK(fs.calls(op_kind::write) == 3);

  // A failed sync makes nothing durable.
  fs.fail_at(1, kvmem::test::io_error("sync EIO"), op_kind::sync);
  CHECK_FALSE((*f)->sync());
  REQUIRE(fs.sync_dir("db"));
  fs.crash();
  CHECK(fs.contents("db/a").empty());
}

TEST_CASE("sim_fs: fail_from fails every call until clear_faults", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  fs.fail_from(2, kvmem::test::io_error("gone"));
  CHECK(fs.open("db/a", mode::create_new)); // call 1 of any
  CHECK_FALSE(fs.sync_dir("db"));
  CHECK_FALSE(fs.rename("db/a", "db/b"));
  CHECK_FALSE(fs.open("db/a", mode::write));
  fs.clear_faults();
  CHECK(fs.sync_dir("db"));
  CHECK(fs.calls(op_kind::any) == 5);
  CHECK(fs.calls(op_kind::open) == 2);
  CHECK(fs.calls(op_kind::rename) == 1);
  CHECK(fs.syncs() == 2);
}

TEST_CASE("sim_fs: crashing at every sync boundary", "[sim_fs]") {
  // The pattern a persistence test uses: run once to count the syncs, then
  // once per sync with every call failing from it on, and crash: the
  // replacement of db/cur is all or nothing.
  auto workload = [](sim_fs& fs) {
    auto f = fs.open("db/tmp", mode::create_new);
    if (!f || !(*f)->write_at(0, bytes("v2")) || !(*f)->sync())
      return;
    if (fs.rename("db/tmp", "db/cur"))
      (void)fs.sync_dir("db");
  };
  auto fresh = [] {
    auto fs = std::make_shared<sim_fs>();
    REQUIRE(fs->make_dir("db"));
    fs->set_contents("db/cur", "v1");
    return fs;
  };
  auto counting = fresh();
  workload(*counting);
  REQUIRE(counting->syncs() == 2);
  for (auto kind : {op_kind::sync, op_kind::sync_dir}) {
    for (std::uint64_t n = 1; n <= counting->calls(kind); ++n) {
      auto fs = fresh();
      fs->fail_from(n, kvmem::test::io_error("power"), kind);
      workload(*fs);
      fs->crash();
      CHECK(fs->contents("db/cur") == "v1"); // the rename never became durable
      CHECK(fs->files("db") == std::vector<std::string>{"cur"});
    }
  }
  counting->crash();
  CHECK(counting->contents("db/cur") == "v2");
}

TEST_CASE("sim_fs: capacity limits the current bytes; lifting it works", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  fs.set_capacity(10);
  auto a = fs.open("db/a", mode::create_new);
  auto b = fs.open("db/b", mode::create_new);
  REQUIRE(a);
  REQUIRE(b);
  REQUIRE((*a)->write_at(0, bytes("123456")));
  REQUIRE((*a)->write_at(0, bytes("abcdef"))); // an overwrite needs no space
  auto full = (*b)->write_at(0, bytes("12345"));
  REQUIRE_FALSE(full);
  CHECK(full.error().code == errc::io_error);
  CHECK(full.error().detail == "write db/b at offset 0: No space left on device");
  CHECK(fs.size("db/b") == 0);
  CHECK_FALSE((*b)->truncate(5));
  REQUIRE((*b)->write_at(0, bytes("1234")));
  REQUIRE(fs.remove("db/a")); // frees its bytes
  REQUIRE((*b)->write_at(4, bytes("5")));
  fs.set_capacity(UINT64_MAX);
  REQUIRE((*b)->write_at(5, bytes(std::string(1000, 'x'))));
  CHECK(fs.size("db/b") == 1005);
}

TEST_CASE("sim_fs: locks are exclusive and released by death or crash", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  auto first = fs.lock("db/LOCK");
  REQUIRE(first);
  auto second = fs.lock("db/LOCK");
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::unavailable);
  CHECK(contains(second.error().detail, "db/LOCK is locked by another store"));
  CHECK(fs.lock("db/OTHER"));
  first->reset();
  auto third = fs.lock("db/LOCK");
  REQUIRE(third);
  fs.crash();
  auto fourth = fs.lock("db/LOCK");
  CHECK(fourth);
  third->reset(); // the pre-crash holder dying releases nothing of fourth's
  CHECK_FALSE(fs.lock("db/LOCK"));
  CHECK_FALSE(fs.lock("nodir/LOCK"));
}

TEST_CASE("sim_fs: handles and locks may outlive the sim_fs", "[sim_fs]") {
  std::unique_ptr<kvmem::file> f;
  std::unique_ptr<kvmem::file_lock> l;
  {
    sim_fs fs;
    REQUIRE(fs.make_dir("db"));
    f = *fs.open("db/a", mode::create_new);
    l = *fs.lock("db/LOCK");
  }
  CHECK(f->write_at(0, bytes("x")));
  l.reset();
}

TEST_CASE("sim_fs: sync on one thread while another writes", "[sim_fs]") {
  sim_fs fs;
  REQUIRE(fs.make_dir("db"));
  auto f = fs.open("db/j", mode::create_new);
  REQUIRE(f);
  std::atomic<int> failed{0}; // Catch2 assertions are not thread-safe
  std::thread syncer([&] {
    for (int i = 0; i < 200; ++i)
      if (!(*f)->sync())
        ++failed;
  });
  for (std::uint64_t i = 0; i < 200; ++i)
    REQUIRE((*f)->write_at(i, bytes("x")));
  syncer.join();
  CHECK(failed == 0);
  REQUIRE((*f)->sync());
  REQUIRE(fs.sync_dir("db"));
  fs.crash();
  CHECK(fs.contents("db/j") == std::string(200, 'x'));
}

// -- posix_file_system ---------------------------------------------------------

namespace {

/// A fresh directory under /tmp, removed with its contents at the end.
struct temp_dir {
  std::string path;
  temp_dir() {
    char tmpl[] = "/tmp/kvmem_fs_test.XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
};

} // namespace

TEST_CASE("posix_file_system: files, directories and errors", "[sim_fs]") {
  temp_dir tmp;
  auto fs = kvmem::posix_file_system();
  auto dir = tmp.path + "/x/y";
  REQUIRE(fs->make_dir(dir));
  REQUIRE(fs->make_dir(dir)); // again: fine
  CHECK(fs->list(dir)->empty());

  auto f = fs->open(dir + "/a", mode::create_new);
  REQUIRE(f);
  REQUIRE((*f)->write_at(0, bytes("hello")));
  REQUIRE((*f)->write_at(5, bytes(" world")));
  REQUIRE((*f)->sync());
  CHECK(read_all(**f) == "hello world");
  char buf[16];
  CHECK(*(*f)->read_at(6, {buf, sizeof buf}) == 5);
  CHECK(std::string_view(buf, 5) == "world");
  REQUIRE((*f)->truncate(5));
  CHECK(*(*f)->size() == 5);
  REQUIRE(fs->sync_dir(dir));

  auto exists = fs->open(dir + "/a", mode::create_new);
  REQUIRE_FALSE(exists);
  CHECK(exists.error().code == errc::io_error);
  CHECK(exists.error().detail == "open " + dir + "/a: File exists");

  durable_file(*fs, dir + "/b", "bee");
  CHECK(*fs->list(dir) == std::vector<std::string>{"a", "b"});
  REQUIRE(fs->rename(dir + "/b", dir + "/a"));
  CHECK(*fs->list(dir) == std::vector<std::string>{"a"});
  auto ro = fs->open(dir + "/a", mode::read);
  REQUIRE(ro);
  CHECK(read_all(**ro) == "bee");
  auto denied = (*ro)->write_at(0, bytes("no"));
  REQUIRE_FALSE(denied);
  CHECK(denied.error().detail == "write " + dir + "/a at offset 0: Bad file descriptor");
  REQUIRE(fs->remove(dir + "/a"));
  CHECK(fs->list(dir)->empty());

  auto missing = fs->open(dir + "/a", mode::write);
  REQUIRE_FALSE(missing);
  CHECK(contains(missing.error().detail, "No such file or directory"));
  CHECK_FALSE(fs->remove(dir + "/a"));
  CHECK_FALSE(fs->rename(dir + "/a", dir + "/c"));
  CHECK_FALSE(fs->list(dir + "/none"));
  CHECK_FALSE(fs->sync_dir(dir + "/none"));
  durable_file(*fs, dir + "/file", "");
  auto not_dir = fs->make_dir(dir + "/file/sub");
  REQUIRE_FALSE(not_dir);
  CHECK(contains(not_dir.error().detail, "Not a directory"));
}

TEST_CASE("posix_file_system: a second lock in one process is refused", "[sim_fs]") {
  temp_dir tmp;
  auto fs = kvmem::posix_file_system();
  auto path = tmp.path + "/LOCK";
  auto first = fs->lock(path);
  REQUIRE(first);
  auto second = fs->lock(path);
  REQUIRE_FALSE(second);
  CHECK(second.error().code == errc::unavailable);
  CHECK(second.error().detail
        == path + " is locked by another store (pid " + std::to_string(::getpid()) + ")");
  first->reset();
  CHECK(fs->lock(path));
  CHECK_FALSE(fs->lock(tmp.path + "/none/LOCK"));
}
