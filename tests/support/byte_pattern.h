// Test bytes that never repeat a block (xorshift64*): a piece sent twice,
// dropped, reordered or shifted shows up as a mismatch. Header-only, so unit
// tests of any module can use it without linking the test support library.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace courier::test {

inline std::string nonRepeatingBytes(size_t n, uint64_t seed) {
  std::string s(n, '\0');
  uint64_t x = seed | 1;
  for (size_t i = 0; i < n; ++i) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s[i] = static_cast<char>((x * 0x2545F4914F6CDD1DULL) >> 56);
  }
  return s;
}

}  // namespace courier::test
