#include "proxy/common/json.h"

#include <array>

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
}  // namespace

void appendString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs without escapes (nearly all text) are appended in one go:
  // push_back per character showed in local-reply profiles.
  size_t run = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (!needsEscape(c)) continue;
    out.append(s.data() + run, i - run);
    run = i + 1;
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
  out.append(s.data() + run, s.size() - run);
  out.push_back('"');
}

}  // namespace courier::json
