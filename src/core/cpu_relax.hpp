// A hint to the CPU inside a spin-wait loop (internal): x86's pause, Arm's
// yield, elsewhere only a compiler barrier. It yields the pipeline to a
// sibling hyperthread and saves power; it never blocks.
#pragma once

#include <atomic>

namespace kvmem::detail {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  asm volatile("yield" ::: "memory");
#else
  std::atomic_signal_fence(std::memory_order_seq_cst);
#endif
}

} // namespace kvmem::detail
