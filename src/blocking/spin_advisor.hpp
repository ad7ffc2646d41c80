// Whether a waiting thread should spin before sleeping (internal).
//
// Spinning while a reply is computed saves the wake-up of an idle vCPU
// (~40 µs on our VMs), and spinning with sched_yield lets a peer thread that
// was woken onto our CPU run at once; but when CPU-bound threads are
// runnable, each yield can hand the CPU to one of them for a whole time
// slice (milliseconds). Measured on the 2-vCPU VM: a blocking write took
// ~2.5 µs spinning vs ~5 µs sleeping with a spare vCPU, but ~3 ms spinning
// with two busy reader threads in the process.
//
// So the advisor (1) compares recent round trips with and without spinning
// and uses the faster mode, trying the other on 4 calls in 1024 (a sample of
// the other mode weighs more, so that few suffice: exploring costs the slow
// mode's latency, ~1.5 us per call on average when it was 8 in 256), and (2)
// backs off exponentially (up to 4096 calls) whenever a spin overran its
// budget many times over, the sign that yielding lost the CPU.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace kvmem::detail {

class spin_advisor {
public:
  explicit spin_advisor(std::chrono::microseconds budget) : budget_(budget) {}

  /// The spin budget for the next wait.
  std::chrono::microseconds next() noexcept {
    spinning_ = false;
    if (budget_.count() == 0)
      return budget_;
    if (hold_ > 0) {
      --hold_;
      return std::chrono::microseconds{0};
    }
    exploring_ = (calls_++ % 1024) < 4;
    spinning_ = prefer_spin() != exploring_;
    return spinning_ ? budget_ : std::chrono::microseconds{0};
  }

  /// Records the duration of the wait that next() prepared.
  void record(std::chrono::steady_clock::duration d) noexcept {
    double us = std::chrono::duration<double, std::micro>(d).count();
    double& e = ewma_[spinning_ ? 1 : 0];
    e = e == 0 ? us : e + (us - e) / (exploring_ ? 4 : 16);
    if (!spinning_)
      return;
    if (us > 8.0 * static_cast<double>(budget_.count())) {
      hold_ = backoff_; // yielding lost the CPU: stop spinning for a while
      backoff_ = std::min<std::uint32_t>(backoff_ * 2, 4096);
    } else {
      backoff_ = 1;
    }
  }

private:
  bool prefer_spin() const noexcept {
    if (ewma_[1] == 0 || ewma_[0] == 0)
      return ewma_[1] == 0; // try spinning first, then the other mode
    return ewma_[1] <= ewma_[0];
  }

  std::chrono::microseconds budget_;
  std::uint64_t calls_ = 0;
  double ewma_[2] = {0, 0}; // [sleeping at once, spinning first]
  std::uint32_t hold_ = 0;
  std::uint32_t backoff_ = 1;
  bool spinning_ = false;
  bool exploring_ = false;
};

} // namespace kvmem::detail
