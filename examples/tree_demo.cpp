// A short tour of kvmem::tree, the persistent tree a store owns: writes,
// reads, errors as values, snapshots that never change, digests.
#include <fmt/core.h>

#include <kvmem/clock.hpp>
#include <kvmem/tree.hpp>

int main() {
  using kvmem::key;
  kvmem::manual_clock clock{*kvmem::ptime::of_d_ps(20'000, 0)}; // 2024-10-04
  kvmem::tree t{clock.now()};

  (void)t.set(key::v("/etc/hosts"), "127.0.0.1 localhost\n", clock.now());
  (void)t.set(key::v("/etc/motd"), "welcome\n", clock.now());
  clock.advance(std::chrono::seconds(90));
  (void)t.set(key::v("/home/alice/notes"), "buy milk", clock.now());

  kvmem::tree snapshot = t; // O(1): shares every node
  clock.advance(std::chrono::seconds(30));
  (void)t.rename(key::v("/home/alice/notes"), key::v("/home/alice/todo"), clock.now());
  (void)t.remove(key::v("/etc/motd"), clock.now());

  fmt::print("current tree:\n{}", t.pretty());
  fmt::print("snapshot taken before the rename and the remove:\n{}", snapshot.pretty());

  for (auto& [k, kind] : *t.list(key::v("/home/alice")))
    fmt::print("list /home/alice: {} ({})\n", k, kind);

  // Errors are values, rendered in mirage-kv's words.
  if (auto r = t.set(key::v("/etc"), "oops", clock.now()); !r)
    fmt::print("set /etc: {}\n", r.error());
  if (auto r = t.get(key::v("/etc/hosts/x")); !r)
    fmt::print("get /etc/hosts/x: {}\n", r.error());
  if (auto r = t.rename(key::v("/home"), key::v("/home/alice/x"), clock.now()); !r)
    fmt::print("rename: {}\n", r.error());

  fmt::print("digest of /etc: {}\n", *t.digest(key::v("/etc")));
  fmt::print("last modified /home/alice: {}\n", *t.last_modified(key::v("/home/alice")));
  fmt::print("bytes used: {}, trees equal: {}\n", t.used(), equal(t, snapshot));
}
