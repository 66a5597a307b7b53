// Request and response heads, request targets and the field-line parser.
//
// A head is scanned once for its CRLF CRLF with memchr (every LF must follow
// a CR, so bare LF fails fast even on an incomplete head) and parsed only
// when complete; the start line is checked as soon as its own CRLF arrives
// so garbage is refused without waiting for the rest.
#include "proxy/http/http1_parser.h"

#include <array>
#include <cstring>

namespace courier::http1 {
namespace {

constexpr size_t kNpos = static_cast<size_t>(-1);

enum CharClass : uint8_t {
  kTchar = 1 << 0,       // token (RFC 9110 §5.6.2)
  kFieldChar = 1 << 1,   // field-vchar / SP / HTAB: VCHAR, obs-text, SP, HTAB
  kTargetChar = 1 << 2,  // request-target byte: VCHAR except '#'
  kRegName = 1 << 3,     // RFC 3986 unreserved / sub-delims (reg-name without '%')
  kHex = 1 << 4,
};

constexpr bool inSet(unsigned char c, const char* set) {
  for (; *set; ++set)
    if (static_cast<unsigned char>(*set) == c) return true;
  return false;
}

constexpr std::array<uint8_t, 256> makeClasses() {
  std::array<uint8_t, 256> t{};
  for (int i = 0; i < 256; ++i) {
    auto c = static_cast<unsigned char>(i);
    bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    uint8_t v = 0;
    if (alnum || inSet(c, "!#$%&'*+-.^_`|~")) v |= kTchar;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) v |= kFieldChar;
    if (c > 0x20 && c < 0x7f && c != '#') v |= kTargetChar;
    if (alnum || inSet(c, "-._~!$&'()*+,;=")) v |= kRegName;
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= kHex;
    t[i] = v;
  }
  return t;
}
constexpr std::array<uint8_t, 256> kClass = makeClasses();

// One lookup both validates a name byte and folds it: 0 marks a non-tchar.
constexpr std::array<char, 256> makeTokenLower() {
  std::array<char, 256> t{};
  for (int i = 0; i < 256; ++i) {
    if (!(kClass[i] & kTchar)) continue;
    t[i] = static_cast<char>(i >= 'A' && i <= 'Z' ? i + 32 : i);
  }
  return t;
}
constexpr std::array<char, 256> kTokenLower = makeTokenLower();

inline bool is(char c, uint8_t cls) {
  return kClass[static_cast<unsigned char>(c)] & cls;
}
inline bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// Returns the first byte in [p, end) that is not a field-value byte (VCHAR,
// obs-text, SP, HTAB), or `end`. Field values are most of a head's bytes, so
// they are checked eight at a time: a word with no byte below 0x20 and none
// equal to 0x7f is all valid (HTAB drops to the byte loop, which is rare).
inline char* skipFieldChars(char* p, char* end) {
  auto clean = [](const char* at) {
    constexpr uint64_t kOnes = 0x0101010101010101ull;
    constexpr uint64_t kHighs = 0x8080808080808080ull;
    uint64_t w;
    memcpy(&w, at, 8);
    uint64_t below_space = (w - kOnes * 0x20) & ~w & kHighs;
    uint64_t del = w ^ (kOnes * 0x7f);
    return ((below_space | ((del - kOnes) & ~del)) & kHighs) == 0;
  };
  if (end - p >= 8) {
    while (end - p > 8 && clean(p)) p += 8;
    // The last word may overlap the one before; only reached if all were clean.
    if (end - p <= 8 && clean(end - 8)) return end;
  }
  while (p < end && is(*p, kFieldChar)) ++p;
  return p;
}

HeadResult fail(int status, std::string_view reason) {
  HeadResult r;
  r.state = HeadState::Error;
  r.error = {status, reason};
  return r;
}

// "HTTP/1.0" or "HTTP/1.1" -> minor version; -1 for another HTTP/x.y, -2 for garbage.
int parseVersion(std::string_view v) {
  if (v.size() != 8 || v.substr(0, 5) != "HTTP/" || !isDigit(v[5]) || v[6] != '.' || !isDigit(v[7]))
    return -2;
  if (v[5] == '1' && (v[7] == '0' || v[7] == '1')) return v[7] - '0';
  return -1;
}

bool parseRequestLine(char* line, size_t n, ParsedRequestHead& out, ParseError& error) {
  size_t i = 0;
  while (i < n && is(line[i], kTchar)) ++i;
  if (i == 0 || i == n || line[i] != ' ') {
    error = {400, "invalid method or request line"};
    return false;
  }
  out.method = {line, i};
  const char* target = line + i + 1;
  const char* sp = static_cast<const char*>(memchr(target, ' ', line + n - target));
  if (sp == nullptr || sp == target) {
    error = {400, "malformed request line"};
    return false;
  }
  out.target = {target, static_cast<size_t>(sp - target)};
  // The version is checked first so "PRI * HTTP/2.0" (an h2 preface that
  // reached the HTTP/1 codec) gets 505 rather than a target error.
  int minor = parseVersion({sp + 1, static_cast<size_t>(line + n - sp - 1)});
  if (minor < 0) {
    error = minor == -1 ? ParseError{505, "unsupported HTTP version"}
                        : ParseError{400, "malformed HTTP version"};
    return false;
  }
  out.version_minor = static_cast<uint8_t>(minor);
  if (!validRequestTarget(out.method, out.target)) {
    error = {400, "invalid request target"};
    return false;
  }
  return true;
}

bool parseStatusLine(const char* line, size_t n, ParsedResponseHead& out) {
  // HTTP-version SP 3DIGIT [SP reason]. A missing SP before an empty reason
  // is tolerated: it cannot change framing and some origins omit it.
  if (n < 12 || line[8] != ' ') return false;
  int minor = parseVersion({line, 8});
  if (minor < 0) return false;
  if (line[9] < '1' || line[9] > '9' || !isDigit(line[10]) || !isDigit(line[11])) return false;
  if (n > 12 && line[12] != ' ') return false;
  for (size_t i = 13; i < n; ++i)
    if (!is(line[i], kFieldChar)) return false;
  out.version_minor = static_cast<uint8_t>(minor);
  out.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
  out.reason = n > 13 ? std::string_view(line + 13, n - 13) : std::string_view();
  return true;
}

bool validIpv6Literal(std::string_view s) {
  // Brackets around hex digits, ':' and '.' (embedded IPv4); IPvFuture is refused.
  if (s.empty()) return false;
  for (char c : s)
    if (!is(c, kHex) && c != ':' && c != '.') return false;
  return s.find(':') != std::string_view::npos;
}

}  // namespace

namespace detail {

bool isTchar(char c) {
  return is(c, kTchar);
}

SectionScan scanSection(const char* data, size_t begin, size_t limit, size_t& first_lf,
                        size_t& end) {
  first_lf = kNpos;
  size_t pos = begin;
  while (pos < limit) {
    const void* hit = memchr(data + pos, '\n', limit - pos);
    if (hit == nullptr) return SectionScan::NotFound;
    size_t lf = static_cast<const char*>(hit) - data;
    if (lf == begin || data[lf - 1] != '\r') return SectionScan::BareLf;
    if (first_lf == kNpos) {
      first_lf = lf;
    } else if (data[lf - 2] == '\n') {  // the previous line ended right before this CRLF
      end = lf + 1;
      return SectionScan::Found;
    }
    pos = lf + 1;
  }
  return SectionScan::NotFound;
}

bool parseFieldLines(char* begin, char* end, size_t max_fields, std::vector<http::HeaderField>& out,
                     ParseError& error) {
  char* p = begin;
  while (p < end) {
    char* lf = static_cast<char*>(memchr(p, '\n', end - p));
    char* eol = lf - 1;  // the CR, guaranteed by scanSection
    char* q = p;
    // No bound check needed: the CR at `eol` is not a tchar.
    for (char lower; (lower = kTokenLower[static_cast<unsigned char>(*q)]) != 0; ++q) *q = lower;
    if (q == p || q == eol || *q != ':') {
      if (*p == ' ' || *p == '\t') {
        error = {400, "obs-fold or whitespace before field line"};
      } else if (q > p && (*q == ' ' || *q == '\t')) {
        error = {400, "whitespace in or after field name"};
      } else {
        error = {400, "invalid field name"};
      }
      return false;
    }
    std::string_view name(p, q - p);
    ++q;
    while (q < eol && (*q == ' ' || *q == '\t')) ++q;
    char* value = q;
    q = skipFieldChars(q, eol);
    if (q < eol) {
      error = {400, *q == '\0' ? "NUL in field value" : "control character in field value"};
      return false;
    }
    char* value_end = eol;
    while (value_end > value && (value_end[-1] == ' ' || value_end[-1] == '\t')) --value_end;
    if (out.size() >= max_fields) {
      error = {431, "too many header fields"};
      return false;
    }
    out.push_back({name, std::string_view(value, value_end - value)});
    p = lf + 1;
  }
  return true;
}

}  // namespace detail

HeadResult parseRequestHead(char* data, size_t len, const Limits& limits, ParsedRequestHead& out) {
  size_t limit = len < limits.max_head_bytes ? len : limits.max_head_bytes;
  size_t start = 0;
  while (start + 1 < limit && data[start] == '\r' && data[start + 1] == '\n') start += 2;

  size_t first_lf = kNpos, end = 0;
  detail::SectionScan scan = detail::scanSection(data, start, limit, first_lf, end);
  if (scan == detail::SectionScan::BareLf) return fail(400, "bare LF line ending");

  size_t max_line = limits.max_request_line_bytes;
  ParseError error;
  if (first_lf != kNpos) {
    size_t line_len = first_lf - 1 - start;
    if (line_len > max_line) return fail(414, "request line too long");
    if (!parseRequestLine(data + start, line_len, out, error))
      return fail(error.status, error.reason);
  } else if (limit - start > max_line + 1 || (len >= limits.max_head_bytes && limit > start)) {
    return fail(414, "request line too long");
  }
  if (scan == detail::SectionScan::NotFound) {
    if (len >= limits.max_head_bytes) return fail(431, "request head too large");
    return {};
  }

  out.fields.clear();
  if (out.fields.capacity() < 16) out.fields.reserve(16);
  if (!detail::parseFieldLines(data + first_lf + 1, data + end - 2, limits.max_fields, out.fields,
                               error))
    return fail(error.status, error.reason);
  HeadResult r;
  r.state = HeadState::Complete;
  r.consumed = end;
  return r;
}

HeadResult parseResponseHead(char* data, size_t len, const Limits& limits,
                             ParsedResponseHead& out) {
  size_t limit = len < limits.max_head_bytes ? len : limits.max_head_bytes;
  size_t first_lf = kNpos, end = 0;
  detail::SectionScan scan = detail::scanSection(data, 0, limit, first_lf, end);
  if (scan == detail::SectionScan::BareLf) return fail(502, "bare LF line ending in response");
  if (first_lf != kNpos && !parseStatusLine(data, first_lf - 1, out))
    return fail(502, "malformed status line");
  if (scan == detail::SectionScan::NotFound) {
    if (len >= limits.max_head_bytes) return fail(502, "response head too large");
    return {};
  }
  out.fields.clear();
  if (out.fields.capacity() < 16) out.fields.reserve(16);
  ParseError error;
  if (!detail::parseFieldLines(data + first_lf + 1, data + end - 2, limits.max_fields, out.fields,
                               error))
    return fail(502, error.reason);
  HeadResult r;
  r.state = HeadState::Complete;
  r.consumed = end;
  return r;
}

bool validAuthority(std::string_view a) {
  size_t i = 0;
  if (!a.empty() && a[0] == '[') {
    size_t close = a.find(']');
    if (close == std::string_view::npos || !validIpv6Literal(a.substr(1, close - 1))) return false;
    i = close + 1;
  } else {
    for (; i < a.size() && a[i] != ':'; ++i) {
      if (is(a[i], kRegName)) continue;
      if (a[i] == '%' && i + 2 < a.size() && is(a[i + 1], kHex) && is(a[i + 2], kHex)) {
        i += 2;
        continue;
      }
      return false;
    }
    if (i == 0) return false;
  }
  if (i == a.size()) return true;
  if (a[i] != ':') return false;
  std::string_view port = a.substr(i + 1);
  if (port.empty() || port.size() > 5) return false;
  for (char c : port)
    if (!isDigit(c)) return false;
  return true;
}

bool validRequestTarget(std::string_view method, std::string_view target) {
  if (target.empty() || method == "CONNECT") return false;
  if (target == "*") return method == "OPTIONS";
  for (char c : target)
    if (!is(c, kTargetChar)) return false;
  if (target[0] == '/') return true;  // origin-form
  // absolute-form: the scheme is case-insensitive (RFC 3986 §3.1).
  size_t colon = target.find("://");
  if (colon != 4 && colon != 5) return false;
  std::string_view scheme = target.substr(0, colon);
  if (!http::headerNameEquals(colon == 4 ? "http" : "https", scheme)) return false;
  std::string_view rest = target.substr(colon + 3);
  size_t path = rest.find_first_of("/?");
  return validAuthority(rest.substr(0, path));
}

}  // namespace courier::http1
