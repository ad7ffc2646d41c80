// Clocks: where a store gets "now" for each write.
//
// mirage-kv-mem is a functor over Mirage_clock.PCLOCK; kvmem takes any type
// modelling kvmem::clock (a now() returning ptime) as a construction-time
// parameter of the store (spawn_store), which stamps every commit with one
// reading. A tree used alone takes no clock: its caller passes each write's
// time (a stamp, tree.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <concepts>
#include <memory>
#include <mutex>

#include "kvmem/time.hpp"

namespace kvmem {

/// A source of POSIX time stamps. now() must be callable from any thread,
/// concurrently: the store is run by whichever thread serves it (a CAF
/// worker, or a blocking client's own thread: store_options::caller_runs),
/// and a batch in the store's process reads it on its own thread when it
/// applies its writes itself (docs/design.md, "Batches handled once").
template <class C>
concept clock = requires(C& c) {
  { c.now() } -> std::same_as<ptime>;
};

/// The wall clock (std::chrono::system_clock). Stateless, thread-safe.
struct system_clock {
  ptime now() const noexcept {
    return ptime::from_time_point(std::chrono::system_clock::now());
  }
};

/// A clock for tests: it stands still until set() or advance() moves it.
/// Thread-safe (a store thread may read it while a test thread moves it).
class manual_clock {
public:
  explicit manual_clock(ptime start = {}) : t_(start) {}
  ptime now() const {
    std::lock_guard g{m_};
    return t_;
  }
  void set(ptime t) {
    std::lock_guard g{m_};
    t_ = t;
  }
  /// Moves the clock by `ps` picoseconds (negative: backwards), carrying
  /// into days. Exact for every int64 argument.
  void advance(std::int64_t ps) { advance_days_ps(ps / ptime::ps_per_day, ps % ptime::ps_per_day); }

  /// Moves the clock by a duration of any integral representation (years
  /// included), exactly: whole days first, then the picoseconds of the rest,
  /// so no intermediate product overflows. Sub-picosecond parts truncate.
  template <class Rep, class Period>
    requires std::integral<Rep>
  void advance(std::chrono::duration<Rep, Period> d) {
    using picoseconds = std::chrono::duration<std::int64_t, std::pico>;
    auto days = std::chrono::duration_cast<std::chrono::days>(d);
    auto rest = std::chrono::duration_cast<picoseconds>(d - days); // |rest| < one day
    advance_days_ps(days.count(), rest.count());
  }

private:
  // Adds days and ps (|ps| < one day) and renormalises ps into [0, one day).
  void advance_days_ps(std::int64_t days, std::int64_t ps) {
    std::lock_guard g{m_};
    auto total = t_.ps + ps; // in (-1 day, 2 days): no overflow
    if (total >= ptime::ps_per_day) {
      total -= ptime::ps_per_day;
      ++days;
    } else if (total < 0) {
      total += ptime::ps_per_day;
      --days;
    }
    t_ = ptime{t_.days + days, total};
  }

  mutable std::mutex m_;
  ptime t_;
};

/// A type-erased, shareable clock: what the store keeps. Copies share the
/// underlying clock object.
class any_clock {
public:
  any_clock() : any_clock(system_clock{}) {}
  template <clock C>
    requires(!std::same_as<std::remove_cvref_t<C>, any_clock>)
  any_clock(C c) : impl_(std::make_shared<model<C>>(std::move(c))) {}
  /// Shares a clock the caller keeps (e.g. a manual_clock a test moves).
  template <clock C>
  static any_clock shared(std::shared_ptr<C> c) {
    any_clock r;
    r.impl_ = std::make_shared<ref_model<C>>(std::move(c));
    return r;
  }
  ptime now() const { return impl_->now(); }

private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual ptime now() = 0;
  };
  template <class C>
  struct model final : concept_t {
    explicit model(C c) : c(std::move(c)) {}
    ptime now() override { return c.now(); }
    C c;
  };
  template <class C>
  struct ref_model final : concept_t {
    explicit ref_model(std::shared_ptr<C> c) : c(std::move(c)) {}
    ptime now() override { return c->now(); }
    std::shared_ptr<C> c;
  };
  std::shared_ptr<concept_t> impl_;
};

} // namespace kvmem
