// Process crashes: a child (crash_writer) writes to a persistent store with
// sync always, reporting each acknowledgement on a pipe, and is killed with
// SIGKILL at a random moment; the store is then opened again here. Every
// acknowledged write must be there, no batch half applied, and the version
// at least the last acknowledged one. (The benchmark's DUR group runs more
// trials: kvmem_bench --only durability.)
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <set>

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <caf/scoped_actor.hpp>
#include <catch2/catch.hpp>

#include "crash_values.hpp"
#include "store_fixture.hpp"

extern char** environ;

namespace {

using test::crash_value;

struct acked {
  std::uint64_t step;
  kvmem::version_t version;
};

// Runs crash_writer on `dir` from `first`, reads `acks` acknowledgements
// (fewer if it dies), kills it and reaps it.
std::vector<acked> write_then_kill(const std::string& dir, std::uint64_t first, int acks) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  auto first_s = std::to_string(first);
  const char* argv[] = {KVMEM_CRASH_WRITER, dir.c_str(), first_s.c_str(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, KVMEM_CRASH_WRITER, &fa, nullptr, const_cast<char**>(argv), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  REQUIRE(rc == 0);
  std::vector<acked> out;
  FILE* in = fdopen(fds[0], "r");
  unsigned long long step = 0, version = 0;
  while (static_cast<int>(out.size()) < acks && std::fscanf(in, "%llu %llu", &step, &version) == 2)
    out.push_back({step, version});
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  std::fclose(in);
  return out;
}

} // namespace

TEST_CASE("every acknowledged write survives SIGKILL at a random moment", "[crash]") {
  auto seed = Catch::rngSeed();
  CAPTURE(seed);
  std::mt19937_64 rng{seed};
  auto dir = std::filesystem::temp_directory_path() /
             fmt::format("kvmem-crash-{}-{}", getpid(), seed);
  std::filesystem::remove_all(dir);
  test::system_fixture sf;
  std::uint64_t next = 0;
  kvmem::version_t last_acked = 0;
  std::set<std::uint64_t> acked_steps;
  for (int trial = 0; trial < 12; ++trial) {
    CAPTURE(trial);
    int acks = static_cast<int>(rng() % 40) + 1;
    auto got = write_then_kill(dir.string(), next, acks);
    REQUIRE_FALSE(got.empty());
    for (auto& a : got) {
      acked_steps.insert(a.step);
      last_acked = std::max(last_acked, a.version);
    }
    // Reopen here and check everything written so far.
    kvmem::store_options o;
    o.persistence.dir = dir.string();
    kvmem::recovery_report rep;
    auto s = kvmem::open_store(sf.sys, {}, o, &rep);
    REQUIRE(s);
    kvmem::scoped_store held{*s};
    kvmem::client c{sf.sys, *s};
    INFO(to_string(rep));
    CHECK(rep.version >= last_acked);
    const std::uint64_t end = got.back().step + 64; // past anything in flight
    for (std::uint64_t st = 0; st < end; ++st) {
      if (st % 3 == 0) {
        int present = 0;
        for (std::uint64_t j = 0; j < 4; ++j) {
          auto v = c.get(kvmem::key::v(fmt::format("/b/{}/{}", st, j)));
          if (v) {
            ++present;
            CHECK(v->view() == crash_value(st, j));
          }
        }
        CHECK((present == 0 || present == 4)); // never half a batch
        if (acked_steps.count(st))
          CHECK(present == 4);
      } else {
        auto v = c.get(kvmem::key::v(fmt::format("/s/{}", st)));
        if (v)
          CHECK(v->view() == crash_value(st, 0));
        else if (acked_steps.count(st))
          FAIL("acknowledged step " << st << " is lost");
      }
    }
    last_acked = std::max(last_acked, c.version().value());
    held.reset();
    caf::scoped_actor self{sf.sys};
    self->wait_for(s->actor());
    next = end; // the next run writes new keys
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a real file-size limit fails writes cleanly; they work again once lifted", "[crash]") {
  auto dir = std::filesystem::temp_directory_path() / fmt::format("kvmem-fsize-{}", getpid());
  std::filesystem::remove_all(dir);
  std::string cmd = fmt::format("{} {} 0 {}", KVMEM_CRASH_WRITER, dir.string(), 2 << 20);
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string out;
  char buf[256];
  while (std::fgets(buf, sizeof buf, p))
    out += buf;
  int status = pclose(p);
  INFO(out);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  unsigned long long acked = 0;
  REQUIRE(std::sscanf(out.c_str(), "acked %llu", &acked) == 1);
  CHECK(acked > 10);
  // Everything acknowledged is there after a restart.
  test::system_fixture sf;
  kvmem::store_options o;
  o.persistence.dir = dir.string();
  auto s = kvmem::open_store(sf.sys, {}, o);
  REQUIRE(s);
  kvmem::scoped_store held{*s};
  kvmem::client c{sf.sys, *s};
  for (unsigned long long i = 0; i < acked; ++i)
    CHECK(c.size(kvmem::key::v(fmt::format("/full/{}", i))).value_or(0) == 65536);
  CHECK(c.get(kvmem::key::v("/again")).value() == "x");
  held.reset();
  caf::scoped_actor self{sf.sys};
  self->wait_for(s->actor());
  std::filesystem::remove_all(dir);
}
