// What the fuzz targets share: how a broken property stops the run, and a
// reader that turns the fuzzer's bytes into choices.
//
// A failed check prints what broke (and where) and aborts, which libFuzzer
// reports as a crash with the input saved; a replay of the corpus (ctest)
// fails the same way. Single-threaded, like libFuzzer's calls.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace kvmem_fuzz {

[[noreturn]] inline void fail(const std::string& what) {
  std::fprintf(stderr, "\n*** kvmem fuzz: property violated: %s\n", what.c_str());
  std::fflush(stderr);
  std::abort();
}

/// True if KVMEM_FUZZ_SKIP (a comma-separated list) names `bug`: an open bug
/// (tests/fuzz/crashes/README.md) that a target then steps around, to fuzz
/// past it while it is being fixed. scripts/fuzz.sh never sets it.
inline bool skipping(std::string_view bug) {
  static const std::string list = [] {
    const char* v = std::getenv("KVMEM_FUZZ_SKIP");
    return "," + std::string(v != nullptr ? v : "") + ",";
  }();
  return list.find("," + std::string(bug) + ",") != std::string::npos;
}

/// Reads choices from the input; past its end every read is 0 (or empty),
/// so every input decodes to something.
class reader {
public:
  reader(const std::uint8_t* data, std::size_t size) : p_(data), end_(data + size) {}

  bool empty() const noexcept { return p_ == end_; }
  std::size_t left() const noexcept { return static_cast<std::size_t>(end_ - p_); }

  std::uint8_t byte() noexcept { return p_ == end_ ? 0 : *p_++; }

  /// A number in [0, n), n > 0, from one byte (two if n > 256).
  std::uint64_t below(std::uint64_t n) noexcept {
    std::uint64_t x = byte();
    if (n > 256)
      x = x << 8 | byte();
    return x % n;
  }

  /// Up to n bytes, fewer if the input ends first.
  std::string_view take(std::size_t n) noexcept {
    n = n < left() ? n : left();
    std::string_view s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }

private:
  const std::uint8_t* p_;
  const std::uint8_t* end_;
};

} // namespace kvmem_fuzz

/// Aborts with the condition, the place and a formatted explanation unless
/// `cond` holds.
#define KVMEM_FUZZ_CHECK(cond, ...)                                                              \
  do {                                                                                           \
    if (!(cond))                                                                                 \
      ::kvmem_fuzz::fail(fmt::format("{} at {}:{}: {}", #cond, __FILE__, __LINE__,               \
                                     fmt::format(__VA_ARGS__)));                                 \
  } while (false)
