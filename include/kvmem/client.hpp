// kvmem::client — a blocking client for ordinary code (a main, a test, a
// thread that is not an actor). Its methods mirror Mirage_kv.RW one to one
// and return kvmem::result.
//
// Reads from a store in this process cost no message: they use the root the
// store published before acknowledging its last write (see store.hpp), so a
// read that starts after a write was acknowledged sees it. Writes and batches
// are messages to the store actor; the calling thread waits for the reply.
//
// Thread-safety: a client is cheap (a hidden actor companion, no thread), so
// make one per thread; several clients may share one store. Using one client
// from two threads at once is refused with errc::client_busy, never a race.
//
// Failure: if the store actor goes away (killed, its system shutting down, a
// lost network link), the pending call and every later one fail with
// errc::unavailable; nothing hangs. After disconnect(), every call fails with
// errc::disconnected at once.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

#include <caf/actor_system.hpp>

#include "kvmem/batch.hpp"
#include "kvmem/store.hpp"
#include "kvmem/watch.hpp"

namespace kvmem {

struct client_options {
  /// Upper bound on one round trip; zero means none (the default: a dead
  /// store is detected without a timeout). Remote clients may want one.
  std::chrono::milliseconds timeout{0};
  /// How long a call may spin (yielding) before sleeping while it waits for
  /// a reply, in microseconds; 0 never spins. Spinning saves the ~40 µs
  /// wake-up of an idle vCPU but slows the reply when the other vCPUs are
  /// busy, so each client measures both ways and uses the faster one (see
  /// src/blocking/spin_advisor.hpp and docs/benchmarks.md).
  std::uint32_t spin_us = 50;
};

class client {
public:
  /// A client of `s`. Does not contact the store.
  client(caf::actor_system& sys, store s, client_options opts = {});
  ~client();
  client(client&&) noexcept;
  client& operator=(client&&) noexcept;

  // --- Mirage_kv.RO ------------------------------------------------------------

  /// Any read, as a value (read_op.hpp): from the published root for a store
  /// in this process (no message), else one message. The typed reads below
  /// forward here.
  result<read_result> read(const read_op& op);

  result<std::optional<kind>> exists(const key& k) {
    return read_as<std::optional<kind>>(read(read_op::exists(k)));
  }
  result<bytes> get(const key& k) { return read_as<bytes>(read(read_op::get(k))); }
  result<bytes> get_partial(const key& k, std::uint64_t offset, std::uint64_t length) {
    return read_as<bytes>(read(read_op::get_partial(k, offset, length)));
  }
  result<std::uint64_t> size(const key& k) { return read_as<std::uint64_t>(read(read_op::size(k))); }
  result<listing> list(const key& k) { return read_as<listing>(read(read_op::list(k))); }
  result<ptime> last_modified(const key& k) { return read_as<ptime>(read(read_op::last_modified(k))); }
  result<kvmem::digest> digest(const key& k) {
    return read_as<kvmem::digest>(read(read_op::digest(k)));
  }
  /// Kind, size, last_modified, versions, and for dictionaries the greatest
  /// version below and the number of direct entries (tree.hpp).
  result<entry_stat> stat(const key& k) { return read_as<entry_stat>(read(read_op::stat(k))); }

  // --- Mirage_kv.RW: each write is one message and one new version ------------
  // Keys and values are taken by value and moved into the message: pass a
  // temporary, or std::move a key you no longer need, and the write copies
  // nothing (a value's bytes are shared, never copied).
  result<void> set(key k, bytes v);
  result<void> set_partial(key k, std::uint64_t offset, bytes data);
  result<void> remove(key k);
  result<void> rename(key src, key dst);
  result<void> allocate(key k, std::uint64_t size, std::optional<ptime> mtime = {});

  // --- conditional writes: applied only if `e` holds for the key (for rename:
  // the source) when the store applies them; else version_mismatch naming the
  // key, the expected and the actual version (or absence), and nothing changes.
  result<void> set(key k, bytes v, expect e);
  result<void> remove(key k, expect e);
  result<void> rename(key src, key dst, expect e);
  /// Any write as a value (write_op.hpp), conditional or not.
  result<void> write(write_op w);

  /// Runs f(batch_view&) as a batch (see batch.hpp) and returns what f
  /// returned, from the attempt that committed. Errors: too_many_retries,
  /// batch_aborted (f threw), batch_too_large, nested_batch (called from
  /// inside a batch function), invalid_argument (retries < 1), and the error
  /// of a write that failed to apply (then nothing was applied).
  template <class F>
  auto batch(F&& f, int retries = default_retries);

  /// The non-template core of batch(): runs `body` as a batch; returns the
  /// version it committed (or read, if it wrote nothing). Errors as batch().
  /// (Not to be confused with kvmem::run_batch of actor_client.hpp, which
  /// runs a batch for an actor and calls back.)
  result<version_t> batch_version(std::function<void(batch_view&)> body,
                                  int retries = default_retries);

  // --- change feeds and history (watch.hpp) ---------------------------------

  /// Subscribes to the changes under `prefix` after version `from` (nullopt:
  /// now), with at most `window` deliveries unacknowledged. The watcher has
  /// its own actor (the subscriber), so it is independent of this client's
  /// calls; destroying it unsubscribes. Errors: invalid_argument (window 0
  /// or above store_options::max_watch_window, too many subscriptions, a
  /// version the store has not reached), unavailable.
  result<watcher> watch(const key& prefix, std::optional<version_t> from = std::nullopt,
                        std::uint32_t window = 16);

  /// Reads at a retained version (store_options::history_*; the current
  /// version always works): the value, the listing, and what changed under
  /// a prefix between two versions (diff.hpp). Errors: not_retained, and
  /// those of the read.
  result<tree> snapshot_at(version_t v); // stores in this process only (else invalid_argument)
  /// Any read of the snapshot of version v.
  result<read_result> read_at(version_t v, const read_op& op);
  result<bytes> get_at(version_t v, const key& k) { return read_as<bytes>(read_at(v, read_op::get(k))); }
  result<listing> list_at(version_t v, const key& k) {
    return read_as<listing>(read_at(v, read_op::list(k)));
  }
  result<change_list> diff(version_t v1, version_t v2, const key& prefix = {});

  /// Sets k to v, owned by `owner`: when that actor terminates (or its
  /// remote link drops) the store removes every key it still owns, in one
  /// commit. Another write to k, or removing or renaming it (or an ancestor)
  /// ends the ownership. With `e`, conditional as set(k, v, e) (e.g.
  /// expect::none(): take a lock or a leadership only if nobody holds it).
  /// owner_handle() is this client's own actor, for keys that should live as
  /// long as this client.
  result<void> set_owned(const key& k, bytes v, const caf::actor& owner,
                        std::optional<expect> e = std::nullopt);
  caf::actor owner_handle() const;

  /// The store's current version (a message round trip).
  result<version_t> version();
  /// The store's version, bytes used, capacity, pinned snapshots, limits.
  result<store_info> info();
  /// Writes a checkpoint of at least the store's current version and waits
  /// until it is durable; returns its version (docs/persistence.md). The
  /// store keeps serving meanwhile. Errors: invalid_argument for a store
  /// without persistence, io_error if writing it failed, unavailable if
  /// 4096 requests already wait for the next checkpoint.
  result<version_t> checkpoint();
  /// The version the store reported after this client's last write or
  /// batch (0 before any).
  version_t last_version() const noexcept;

  /// Releases the store; never fails. Calls are synchronous, so nothing sent
  /// is left pending. Every later call fails with errc::disconnected.
  void disconnect() noexcept;
  bool connected() const noexcept;

private:
  struct impl;
  class use_guard;
  std::unique_ptr<impl> p_;
};

template <class F>
auto client::batch(F&& f, int retries) {
  using R = std::invoke_result_t<F&, batch_view&>;
  if constexpr (std::is_void_v<R>) {
    auto r = batch_version([&f](batch_view& v) { f(v); }, retries);
    return r ? result<void>{} : result<void>{std::move(r).error()};
  } else {
    std::optional<R> out;
    auto r = batch_version([&](batch_view& v) { out.emplace(f(v)); }, retries);
    if (!r)
      return result<R>{std::move(r).error()};
    return result<R>{std::move(*out)};
  }
}

} // namespace kvmem
