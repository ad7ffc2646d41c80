// Fuzz target: kvmem::tree against the naive model of tests/tree_model.hpp.
//
// The input is a program: a capacity, then operations (set, set_partial,
// remove, rename, allocate — directly or as write_ops through apply(), with
// or without a precondition — reads, snapshots, capacity changes) on keys
// over a six-segment alphabet, half of them naming entries that exist. Each
// runs on a tree and on the model; after every step the results, used(),
// every entry (exists, get, get_partial, size, list, last_modified, stat,
// digest), count_nodes() and verify() must agree, and every snapshot taken
// earlier must be exactly as it was. A difference aborts with the program
// so far. KVMEM_FUZZ_TRACE=1 prints each operation as it runs.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "kvmem/tree.hpp"
#include "kvmem/write_op.hpp"

#include "fuzz_check.hpp"
#include "tree_model.hpp"

namespace {

using namespace test_model;
using kvmem::stamp;
using kvmem::version_t;
using kvmem::write_op;
using kvmem_fuzz::reader;

constexpr std::size_t max_steps = 96;    // every step checks the whole tree: keep inputs fast
constexpr std::size_t max_snapshots = 3;
constexpr std::size_t segments = 6;      // a, b, cc, ddd, e, f: many collisions

struct snapshot {
  kvmem::tree t;
  model md;
  kvmem::digest root;
  std::string pretty; // with times: a snapshot must not change at all
  std::size_t step;
};

struct program {
  reader in;
  kvmem::tree t;
  model md;
  std::deque<snapshot> snaps;
  std::vector<std::string> log;
  bool trace = std::getenv("KVMEM_FUZZ_TRACE") != nullptr;

  program(reader r, std::uint64_t capacity)
    : in(r), t(ptime{-1, 777}, capacity), md(ptime{-1, 777}, capacity) {}

  std::string seg() { return alphabet[in.byte() % segments]; }

  // An entry that exists (or one more level under it), or a fresh
  // path of depth 0 to 4.
  path any_path() {
    const std::uint8_t b = in.byte();
    if ((b & 0x80) && md.m.size() > 1) {
      path p = std::next(md.m.begin(), static_cast<std::ptrdiff_t>(1 + (b & 0x3f) % (md.m.size() - 1)))->first;
      if (b & 0x40)
        p.push_back(seg());
      return p;
    }
    path p(b % 5);
    for (auto& s : p)
      s = seg();
    return p;
  }

  // A rename's destination, related to its source more often than not.
  path destination(const path& src) {
    path p = src;
    switch (in.byte() % 6) {
      case 0: return parent_of(p);
      case 1: return parent_of(parent_of(p));
      case 2: p.push_back(seg()); return p;
      case 3: if (!p.empty()) p.back() = seg(); return p;
      case 4: return p;
      default: return any_path();
    }
  }

  std::string data(std::size_t max) { return std::string(in.take(in.below(max + 1))); }

  // A precondition on p: absent, its actual modified version, or another.
  std::optional<kvmem::expect> precondition(const path& p) {
    auto s = md.stat(p);
    switch (in.byte() % 5) {
      case 0: return std::nullopt;
      case 1: return kvmem::expect::none();
      case 2: return kvmem::expect::modified(s ? s->modified : 0);
      case 3: return kvmem::expect::modified(s ? s->modified + 1 : 1);
      default: return kvmem::expect::modified(in.byte() % 8);
    }
  }

  // The model's tree::check.
  result<void> model_check(const path& p, const kvmem::expect& e) const {
    std::optional<version_t> actual, expected;
    if (auto s = md.stat(p))
      actual = s->modified;
    if (!e.absent)
      expected = e.version;
    if (actual != expected)
      return error::version_mismatch(to_key(p), expected, actual);
    return {};
  }

  static result<bool> changed(result<void> r) {
    if (!r)
      return r.error();
    return true;
  }

  // The model's apply(): the precondition first, then the write. The model
  // fails a write whose usage after it is above the capacity; the documented
  // rule (docs/semantics.md) is that a write that does not grow usage always
  // succeeds, which differs when set_capacity put the tree below its usage:
  // so the model runs with its capacity raised to its usage.
  result<bool> model_write(const write_op& w, const path& p, const path& p2, const stamp& now) {
    const std::uint64_t cap = md.cap;
    md.cap = std::max(cap, md.used);
    auto r = model_write_op(w, p, p2, now);
    md.cap = cap;
    return r;
  }
  result<bool> model_write_op(const write_op& w, const path& p, const path& p2, const stamp& now) {
    if (w.precondition)
      if (auto r = model_check(p, *w.precondition); !r)
        return r.error();
    switch (w.op) {
      case write_op::code::set: return changed(md.set(p, std::string(w.data.view()), now));
      case write_op::code::set_partial: return changed(md.set_partial(p, w.offset, std::string(w.data.view()), now));
      case write_op::code::remove: return md.remove(p, now);
      case write_op::code::rename: return md.rename(p, p2, now);
      case write_op::code::allocate: return changed(md.allocate(p, w.size, w.time, now));
    }
    throw mismatch("unknown write");
  }

  // One write, on the tree directly or as a write_op through apply() with a
  // precondition; returns the paths whose reads it may have changed.
  std::vector<path> write(std::uint8_t op, const stamp& now) {
    static const char* const names[] = {"?", "set", "set_partial", "remove", "rename", "allocate"};
    const bool via_apply = (op & 0x80) != 0;
    write_op w;
    path p = any_path(), p2;
    w.path = to_key(p);
    switch ((op >> 3) % 5) {
      case 0:
        w.op = write_op::code::set, w.data = kvmem::bytes(data(16));
        break;
      case 1:
        w.op = write_op::code::set_partial;
        w.offset = in.below((md.status(p) == st::value ? md.m.at(p).data.size() : 0) + 4);
        w.data = kvmem::bytes(data(8));
        break;
      case 2:
        w.op = write_op::code::remove;
        break;
      case 3:
        w.op = write_op::code::rename;
        p2 = destination(p);
        w.destination = to_key(p2);
        break;
      default:
        w.op = write_op::code::allocate;
        w.size = in.byte();
        if (md.cap != kvmem::unlimited && (w.size & 0x80) && !p.empty()) // aim at the capacity's edge
          w.size = md.cap - std::min(md.cap, md.used + md.intermediates_cost(p) + p.back().size()) + (w.size & 1);
        if (in.byte() & 1)
          w.time = ptime{static_cast<std::int64_t>(in.below(3)) - 1, static_cast<std::int64_t>(in.byte())};
        break;
    }
    if (via_apply)
      w.precondition = precondition(p);
    log.push_back(fmt::format("{}{}({}{}{}{}{}){}", via_apply ? "apply " : "", names[static_cast<int>(w.op)], w.path,
                              w.op == write_op::code::rename ? fmt::format(", {}", w.destination) : "",
                              w.op == write_op::code::set_partial ? fmt::format(", {}", w.offset)
                                : w.op == write_op::code::allocate ? fmt::format(", {}", w.size) : "",
                              w.op == write_op::code::set || w.op == write_op::code::set_partial
                                ? ", " + show(w.data) : "",
                              w.time ? ", " + show(*w.time) : "",
                              w.precondition ? fmt::format(" if {}", w.precondition->absent ? std::string("absent")
                                               : fmt::format("modified {}", w.precondition->version)) : ""));
    const result<bool> expected = model_write(w, p, p2, now);
    result<bool> actual = false;
    if (via_apply) {
      actual = kvmem::apply(t, w, now);
    } else {
      switch (w.op) {
        case write_op::code::set: actual = changed(t.set(w.path, w.data, now)); break;
        case write_op::code::set_partial: actual = changed(t.set_partial(w.path, w.offset, w.data.view(), now)); break;
        case write_op::code::remove: actual = t.remove(w.path, now); break;
        case write_op::code::rename: actual = t.rename(w.path, w.destination, now); break;
        case write_op::code::allocate: actual = changed(t.allocate(w.path, w.size, w.time, now)); break;
      }
    }
    same("", log.back(), actual, expected);
    if (t.used() != md.used)
      throw mismatch(fmt::format("used(): tree {}, model {}", t.used(), md.used));
    std::vector<path> touched{p, parent_of(p)};
    if (w.op == write_op::code::rename) {
      path target = p2;
      if (!p.empty())
        target.push_back(p.back());
      touched.insert(touched.end(), {p2, parent_of(p2), target});
    }
    return touched;
  }

  void run() {
    for (std::size_t step = 1; step <= max_steps && !in.empty(); ++step) {
      const stamp now{ptime{0, static_cast<std::int64_t>(step)}, step};
      const std::uint8_t op = in.byte();
      std::vector<path> touched;
      switch (op % 8) {
        case 0: case 1: case 2: case 3: case 4: // a write, possibly conditional
          touched = write(op, now);
          break;
        case 5: { // reads of one key, anywhere
          path p = any_path();
          std::uint64_t off = in.below(8), len = in.below(8);
          log.push_back(fmt::format("read {} off={} len={}", to_key(p), off, len));
          check_key(t, md, p, off, len);
          break;
        }
        case 6: // keep a snapshot (the oldest stays)
          log.push_back("snapshot");
          if (snaps.size() == max_snapshots)
            snaps.erase(std::next(snaps.begin()));
          snaps.push_back(snapshot{t, md, t.digest(key{}).value(), t.pretty(), step});
          break;
        case 7: { // a new capacity: what is stored stays, even above it
          std::uint8_t b = in.byte();
          std::uint64_t c = b < 64 ? kvmem::unlimited : (b - 64) * 2u;
          log.push_back(fmt::format("set_capacity {}", c));
          t.set_capacity(c);
          md.cap = c;
          break;
        }
      }
      if (trace)
        fmt::print(stderr, "{}: {}\n", step, log.back());
      for (const auto& p : touched)
        check_key(t, md, p, step % 4, 1 + step % 3);
      check_all(t, md);
      for (const auto& s : snaps) {
        if (s.t.pretty() != s.pretty || s.t.digest(key{}).value() != s.root)
          throw mismatch(fmt::format("the snapshot of step {} changed", s.step));
        if (step % 8 == 0)
          check_all(s.t, s.md);
      }
    }
  }

};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  reader in(data, size);
  const std::uint8_t c = in.byte();
  const std::uint64_t capacity = c < 128 ? kvmem::unlimited : (c - 128) * 3u;
  program prog(in, capacity);
  try {
    prog.run();
  } catch (const mismatch& e) {
    std::string ops;
    for (std::size_t i = 0; i < prog.log.size(); ++i)
      ops += fmt::format("\n  {}: {}", i + 1, prog.log[i]);
    kvmem_fuzz::fail(fmt::format("tree and model differ (capacity {}): {}\noperations:{}",
                                 capacity, e.what(), ops));
  }
  return 0;
}
