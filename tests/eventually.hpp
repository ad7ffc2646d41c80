// Waiting for observable state in tests that run real threads (or other
// processes): the one polling loop of the tests. A test waits for what it
// can observe — a store's counters, a flag, a socket — never for a fixed
// time, and asserts the wait's outcome: REQUIRE(test::eventually(...)).
// The deadline is generous so that a loaded machine (sanitizers, -j) never
// fails it, and finite so that a condition that never holds fails the test
// instead of hanging it.
#pragma once

#include <algorithm>
#include <chrono>
#include <thread>

namespace test {

/// Polls pred() until it returns true (then true) or until `deadline` has
/// passed (then false; the last try starts after the deadline, so a slow
/// predicate still gets its chance). Between tries it yields, then
/// sleeps for a growing pause of at most 10 ms: it reacts within about
/// 10 ms and does not spin on a busy machine.
template <class Pred>
bool eventually(Pred&& pred, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  using namespace std::chrono_literals;
  const auto until = std::chrono::steady_clock::now() + deadline;
  std::chrono::microseconds pause{0};
  for (;;) {
    const bool last = std::chrono::steady_clock::now() >= until;
    if (pred())
      return true;
    if (last)
      return false;
    if (pause.count() == 0)
      std::this_thread::yield();
    else
      std::this_thread::sleep_for(pause);
    pause = std::min<std::chrono::microseconds>(pause * 2 + 20us, 10ms);
  }
}

} // namespace test
