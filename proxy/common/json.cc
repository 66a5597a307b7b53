#include "proxy/common/json.h"

#include <array>
#include <cstdint>
#include <cstring>

namespace courier::json {

namespace {

// Bytes JSON strings must escape: controls, DEL, '"' and '\\'.
constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 0x20; ++c) t[c] = true;
  t[0x7f] = t['"'] = t['\\'] = true;
  return t;
}();

bool needsEscape(char c) {
  return kNeedsEscape[static_cast<unsigned char>(c)];
}

// Whether any of the 8 bytes in `w` needs escaping, a word at a time (the
// "has a zero byte" / "has a byte less than n" bit tricks): access-log
// lines and local replies are long runs of plain text.
bool wordNeedsEscape(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHigh = 0x8080808080808080ull;
  auto hasZero = [&](uint64_t v) { return (v - kOnes) & ~v & kHigh; };
  uint64_t below_space = (w - kOnes * 0x20) & ~w & kHigh;
  return (below_space | hasZero(w ^ (kOnes * '"')) | hasZero(w ^ (kOnes * '\\')) |
          hasZero(w ^ (kOnes * 0x7f))) != 0;
}

void appendEscape(std::string& out, char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  auto u = static_cast<unsigned char>(c);
  switch (c) {
    case '"':
      out += "\\\"";
      break;
    case '\\':
      out += "\\\\";
      break;
    case '\n':
      out += "\\n";
      break;
    case '\r':
      out += "\\r";
      break;
    case '\t':
      out += "\\t";
      break;
    case '\b':
      out += "\\b";
      break;
    case '\f':
      out += "\\f";
      break;
    default:
      out += "\\u00";
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
  }
}

}  // namespace

void appendString(std::string& out, std::string_view s) {
  out.push_back('"');
  // Runs without escapes (nearly all text) are appended in one go, and
  // scanned 8 bytes at a time; only a word holding an escape is looked at
  // byte by byte.
  const size_t n = s.size();
  size_t run = 0, i = 0;
  while (i < n) {
    if (i + 8 <= n) {
      uint64_t word;
      memcpy(&word, s.data() + i, 8);
      if (!wordNeedsEscape(word)) {
        i += 8;
        continue;
      }
    }
    for (size_t end = std::min(i + 8, n); i < end; ++i) {
      if (!needsEscape(s[i])) continue;
      out.append(s.data() + run, i - run);
      run = i + 1;
      appendEscape(out, s[i]);
    }
  }
  out.append(s.data() + run, n - run);
  out.push_back('"');
}

}  // namespace courier::json
