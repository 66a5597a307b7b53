// Message body framing (RFC 9112 §6.3). Anything ambiguous is refused rather
// than guessed at: request smuggling lives in the gap between two parsers'
// guesses, and a proxy sits exactly in that gap.
#include "proxy/http/http1_parser.h"

#include <cstdint>

namespace courier::http1 {
namespace {

// Content-Length is 1*DIGIT; the value must fit the signed 64-bit offsets
// that libevent and the kernel use, so the limit is INT64_MAX.
bool parseContentLength(std::string_view v, uint64_t& out) {
  if (v.empty()) return false;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return false;
    uint64_t digit = static_cast<uint64_t>(c - '0');
    if (n > (static_cast<uint64_t>(INT64_MAX) - digit) / 10) return false;
    n = n * 10 + digit;
  }
  out = n;
  return true;
}

struct Codings {
  bool malformed = false;  // empty list element or not a token
  int chunked = 0;         // how many times "chunked" appears
  bool chunked_last = false;
  bool unknown = false;  // a coding courier cannot decode
};

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Adds one Transfer-Encoding field value to `c`. Splitting on ',' ignores
// quoted-string parameters, which is safe: the only accepted outcome is a
// list that is exactly one bare "chunked", and a quote never is.
void addCodings(std::string_view value, Codings& c) {
  for (;;) {
    size_t comma = value.find(',');
    std::string_view item = trimOws(value.substr(0, comma));
    size_t name_len = 0;
    while (name_len < item.size() && detail::isTchar(item[name_len])) ++name_len;
    std::string_view name = item.substr(0, name_len);
    std::string_view params = trimOws(item.substr(name_len));
    bool chunked = http::headerNameEquals("chunked", name);
    // Empty elements are legal list syntax, but a proxy must not read a
    // framing header more generously than the next hop might.
    if (name.empty() || (!params.empty() && (params.front() != ';' || chunked))) {
      c.malformed = true;
    } else if (chunked) {
      ++c.chunked;
    } else {
      c.unknown = true;
    }
    c.chunked_last = chunked;
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

struct FramingFields {
  int content_lengths = 0;
  std::string_view content_length;
  bool transfer_encoding = false;
  Codings codings;
};

FramingFields collect(const std::vector<http::HeaderField>& fields) {
  FramingFields f;
  for (const auto& field : fields) {
    if (field.name == "content-length") {
      ++f.content_lengths;
      f.content_length = field.value;
    } else if (field.name == "transfer-encoding") {
      f.transfer_encoding = true;
      addCodings(field.value, f.codings);
    }
  }
  return f;
}

}  // namespace

bool requestFraming(const std::vector<http::HeaderField>& fields, uint8_t version_minor,
                    BodyFraming& out, ParseError& error) {
  FramingFields f = collect(fields);
  out = {};
  if (f.transfer_encoding) {
    if (f.content_lengths > 0) {
      error = {400, "both Transfer-Encoding and Content-Length"};
    } else if (version_minor == 0) {
      error = {400, "Transfer-Encoding in an HTTP/1.0 request"};
    } else if (f.codings.malformed) {
      error = {400, "malformed Transfer-Encoding"};
    } else if (f.codings.chunked > 1) {
      error = {400, "chunked applied more than once"};
    } else if (!f.codings.chunked_last) {
      error = {400, "chunked is not the final transfer coding"};
    } else if (f.codings.unknown) {
      error = {501, "unsupported transfer coding"};
    } else {
      out.kind = BodyKind::Chunked;
      return true;
    }
    return false;
  }
  if (f.content_lengths > 1) {
    error = {400, "repeated Content-Length"};
    return false;
  }
  if (f.content_lengths == 1) {
    if (!parseContentLength(f.content_length, out.content_length)) {
      error = {400, "invalid Content-Length"};
      return false;
    }
    out.kind = BodyKind::ContentLength;
  }
  return true;
}

bool responseFraming(const std::vector<http::HeaderField>& fields, int status,
                     std::string_view request_method, BodyFraming& out, ParseError& error) {
  out = {};
  FramingFields f = collect(fields);
  // Content-Length is checked even when there is no body: it is forwarded,
  // and a cache downstream may store it from a HEAD or 304 response.
  uint64_t length = 0;
  if (f.content_lengths > 1) {
    error = {502, "repeated Content-Length in response"};
    return false;
  }
  if (f.content_lengths == 1 && !parseContentLength(f.content_length, length)) {
    error = {502, "invalid Content-Length in response"};
    return false;
  }
  if (f.transfer_encoding && f.content_lengths > 0) {
    error = {502, "both Transfer-Encoding and Content-Length in response"};
    return false;
  }
  // No body whatever the fields say; they describe the selected
  // representation (HEAD, 304) or are meaningless (1xx, 204).
  if (request_method == "HEAD" || http::statusHasNoBody(status)) return true;
  if (f.transfer_encoding) {
    // Only a lone "chunked" is forwarded; an origin sending anything else
    // (including a non-final chunked, which would mean read-until-close) is
    // broken enough that guessing is worse than a 502.
    const Codings& c = f.codings;
    if (c.malformed || c.chunked != 1 || !c.chunked_last || c.unknown) {
      error = {502, "unsupported Transfer-Encoding in response"};
      return false;
    }
    out.kind = BodyKind::Chunked;
    return true;
  }
  if (f.content_lengths == 1) {
    out.kind = BodyKind::ContentLength;
    out.content_length = length;
    return true;
  }
  out.kind = BodyKind::UntilClose;
  return true;
}

}  // namespace courier::http1
