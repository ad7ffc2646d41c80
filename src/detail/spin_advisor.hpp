// Whether a blocking client should spin before sleeping (internal).
//
// Spinning while the reply is computed saves the wake-up of an idle vCPU
// (~40 µs on our VMs) but costs dearly when the store's thread was woken onto
// the spinning thread's CPU because the other vCPUs are busy: measured, a
// blocking write took ~5 µs without spinning and ~25 µs with it in that case,
// and ~50 µs without vs ~20 µs with it on an idle machine. So each client
// measures both: it mostly uses the mode with the lower recent round-trip
// time, and keeps trying the other one on 8 calls out of every 256.
#pragma once

#include <chrono>
#include <cstdint>

namespace kvmem::detail {

class spin_advisor {
public:
  explicit spin_advisor(std::chrono::microseconds budget) : budget_(budget) {}

  /// The spin budget for the next wait.
  std::chrono::microseconds next() noexcept {
    if (budget_.count() == 0)
      return budget_;
    bool explore = (calls_++ % 256) < 8;
    spinning_ = prefer_spin() != explore;
    return spinning_ ? budget_ : std::chrono::microseconds{0};
  }

  /// Records the round trip time of the wait that next() prepared.
  void record(std::chrono::steady_clock::duration d) noexcept {
    double us = std::chrono::duration<double, std::micro>(d).count();
    double& e = ewma_[spinning_ ? 1 : 0];
    e = e == 0 ? us : e + (us - e) / 16;
  }

  bool spinning() const noexcept { return spinning_; }

private:
  bool prefer_spin() const noexcept {
    if (ewma_[1] == 0 || ewma_[0] == 0)
      return ewma_[1] == 0; // try spinning first, then the other mode
    return ewma_[1] <= ewma_[0];
  }

  std::chrono::microseconds budget_;
  std::uint64_t calls_ = 0;
  double ewma_[2] = {0, 0}; // [sleeping at once, spinning first]
  bool spinning_ = false;
};

} // namespace kvmem::detail
