// The value crash_writer writes at each step (and part of a batch), and
// crash_test expects: a function of its key, so the test can check what it
// finds after a kill without being told. Sizes from 0 B to 200 KB.
#pragma once

#include <cstdint>
#include <string>

namespace test {

inline std::string crash_value(std::uint64_t step, std::uint64_t part) {
  static const std::size_t sizes[] = {0, 7, 100, 3000, 65536, 200000};
  std::string v(sizes[(step + part) % 6], '\0');
  for (std::size_t j = 0; j < v.size(); ++j)
    v[j] = static_cast<char>('A' + (step * 7 + part * 3 + j) % 26);
  return v;
}

} // namespace test
