// Shared driver for the HTTP/1 parser fuzz targets: parse a head, check it,
// then decode the body both in one piece and in random-sized contiguous
// pieces arriving in random-sized reads, and require the two to agree.
// Any violated invariant aborts (libFuzzer reports it as a crash). Buffers
// are exactly sized heap blocks so ASan sees any read past the end.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "proxy/http/http1_parser.h"

namespace courier::http1::fuzz {

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

// Deterministic per input, so a crash reproduces from its file alone.
class Rng {
 public:
  Rng(const uint8_t* data, size_t size) {
    for (size_t i = 0; i < size; ++i) state_ = (state_ ^ data[i]) * 1099511628211ull;
    if (state_ == 0) state_ = 1;
  }
  uint64_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return state_;
  }
  size_t below(size_t n) { return n == 0 ? 0 : static_cast<size_t>(next() % n); }

 private:
  uint64_t state_ = 14695981039346656037ull;
};

inline bool isTokenLower(char c) {
  return detail::isTchar(c) && !(c >= 'A' && c <= 'Z');
}

inline void checkFields(const std::vector<http::HeaderField>& fields, const char* begin,
                        const char* end) {
  for (const auto& f : fields) {
    FUZZ_CHECK(!f.name.empty());
    FUZZ_CHECK(f.name.data() >= begin && f.name.data() + f.name.size() <= end);
    FUZZ_CHECK(f.value.data() >= begin && f.value.data() + f.value.size() <= end);
    for (char c : f.name) FUZZ_CHECK(isTokenLower(c));
    for (char c : f.value) FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    if (!f.value.empty()) {
      FUZZ_CHECK(f.value.front() != ' ' && f.value.front() != '\t');
      FUZZ_CHECK(f.value.back() != ' ' && f.value.back() != '\t');
    }
  }
}

struct BodyResult {
  BodyStep::Kind end = BodyStep::NeedMore;
  std::string body;
  size_t consumed = 0;
  std::vector<std::pair<std::string, std::string>> trailers;
  bool closed_ok = false;  // finishOnClose() at end of input
};

// Decodes `bytes` with at most `window` contiguous bytes visible and input
// arriving `read` bytes at a time (0 = all at once, whole contiguous).
using Bytes = std::vector<char>;

inline BodyResult decode(Bytes bytes, BodyFraming framing, size_t max_trailer, Rng* rng) {
  BodyDecoder decoder(framing, max_trailer);
  BodyResult r;
  size_t received = rng ? 0 : bytes.size();
  size_t window = 0;
  for (;;) {
    if (rng && window == 0) window = 1 + rng->below(64);
    size_t available = received - r.consumed;
    size_t len = rng ? std::min(window, available) : available;
    char* data = bytes.data() + r.consumed;
    BodyStep step = decoder.next(data, len, available);
    switch (step.kind) {
      case BodyStep::Data:
        FUZZ_CHECK(step.length > 0 && step.length <= available);
        r.body.append(data, step.length);
        r.consumed += step.length;
        window = 0;
        break;
      case BodyStep::Skip:
      case BodyStep::Trailers:
        FUZZ_CHECK(step.length > 0 && step.length <= len);
        FUZZ_CHECK(step.kind == BodyStep::Trailers || step.trailers.empty());
        checkFields(step.trailers, data, data + step.length);
        for (const auto& f : step.trailers) r.trailers.emplace_back(f.name, f.value);
        r.consumed += step.length;
        window = 0;
        break;
      case BodyStep::NeedMore:
        if (len < available) {
          window = std::min(available, window * 2);  // pull up more contiguous bytes
        } else if (received < bytes.size()) {
          received += 1 + rng->below(bytes.size() - received);
        } else {
          r.closed_ok = decoder.finishOnClose();
          FUZZ_CHECK(!r.closed_ok || decoder.done());
          return r;
        }
        break;
      case BodyStep::Done:
        FUZZ_CHECK(decoder.done());
        FUZZ_CHECK(decoder.next(data, len, available).kind == BodyStep::Done);
        r.end = step.kind;
        return r;
      case BodyStep::Error:
        FUZZ_CHECK(step.error.status >= 400 && step.error.status < 600);
        FUZZ_CHECK(!step.error.reason.empty());
        FUZZ_CHECK(decoder.next(data, len, available).kind == BodyStep::Error);
        r.end = step.kind;
        return r;
    }
  }
}

inline void checkBody(const Bytes& rest, BodyFraming framing, Rng& rng) {
  size_t max_trailer = 16 + rng.below(512);
  BodyResult whole = decode(rest, framing, max_trailer, nullptr);
  BodyResult split = decode(rest, framing, max_trailer, &rng);
  FUZZ_CHECK(whole.end == split.end);
  FUZZ_CHECK(whole.body == split.body);
  FUZZ_CHECK(whole.consumed == split.consumed);
  FUZZ_CHECK(whole.trailers == split.trailers);
  FUZZ_CHECK(whole.closed_ok == split.closed_ok);
  FUZZ_CHECK(whole.consumed <= rest.size());
  if (framing.kind == BodyKind::ContentLength && whole.end == BodyStep::Done)
    FUZZ_CHECK(whole.body.size() == framing.content_length);
}

inline Limits randomLimits(Rng& rng) {
  Limits limits;
  limits.max_head_bytes = 64 + rng.below(4096);
  limits.max_fields = 1 + rng.below(64);
  limits.max_request_line_bytes = 16 + rng.below(1024);
  return limits;
}

// Parses `input` whole and as a few prefixes; returns the whole result.
template <typename Head, typename Parse>
HeadResult checkHead(Bytes& buffer, const Limits& limits, Head& head, Parse parse, Rng& rng) {
  HeadResult full = parse(buffer.data(), buffer.size(), limits, head);
  FUZZ_CHECK(full.consumed <= buffer.size());
  if (full.state == HeadState::Error) {
    FUZZ_CHECK(full.error.status >= 400 && full.error.status < 600);
    FUZZ_CHECK(!full.error.reason.empty());
  }
  if (full.state == HeadState::Complete) {
    FUZZ_CHECK(full.consumed >= 4 && full.consumed <= limits.max_head_bytes);
    FUZZ_CHECK(memcmp(buffer.data() + full.consumed - 4, "\r\n\r\n", 4) == 0);
    FUZZ_CHECK(head.fields.size() <= limits.max_fields);
    checkFields(head.fields, buffer.data(), buffer.data() + full.consumed);
  }
  // A prefix of a message is never judged more harshly than the message.
  size_t limit = full.state == HeadState::Complete ? full.consumed : buffer.size();
  for (int i = 0; i < 4 && limit > 0; ++i) {
    Bytes prefix(buffer.begin(), buffer.begin() + static_cast<long>(rng.below(limit)));
    Head scratch;
    HeadResult r = parse(prefix.data(), prefix.size(), limits, scratch);
    FUZZ_CHECK(r.state != HeadState::Complete);
    if (r.state == HeadState::Error) FUZZ_CHECK(full.state == HeadState::Error);
  }
  // Parsing is idempotent (names are already lower-cased now).
  if (full.state == HeadState::Complete) {
    Head again;
    HeadResult r = parse(buffer.data(), buffer.size(), limits, again);
    FUZZ_CHECK(r.state == HeadState::Complete && r.consumed == full.consumed);
    FUZZ_CHECK(again.fields.size() == head.fields.size());
  }
  return full;
}

}  // namespace courier::http1::fuzz
