// BodyDecoder: turns a body's bytes into Data / Skip / Trailers steps
// without copying them. Body data may be split across buffer segments, so
// Data steps cover `available`; framing lines are parsed from the contiguous
// prefix only.
#include "proxy/http/http1_parser.h"

#include <cstring>

namespace courier::http1 {
namespace {

// A chunk-size line (size, extensions and CRLF) longer than this is refused:
// nobody needs kilobytes of chunk extensions, and the caller must not have
// to pull up an unbounded prefix to find the line's end.
constexpr size_t kMaxChunkLine = 1024;
// The size must fit a signed 64-bit offset, like Content-Length.
constexpr uint64_t kMaxChunkSize = static_cast<uint64_t>(INT64_MAX);
constexpr size_t kMaxTrailerFields = 128;

inline bool isWs(char c) {
  return c == ' ' || c == '\t';
}

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// qdtext / quoted-pair bytes: HTAB, SP, VCHAR, obs-text.
inline bool isQuotable(char c) {
  auto u = static_cast<unsigned char>(c);
  return c == '\t' || (u >= 0x20 && u != 0x7f);
}

const char* skipWs(const char* p, const char* end) {
  while (p < end && isWs(*p)) ++p;
  return p;
}

const char* skipToken(const char* p, const char* end) {
  while (p < end && detail::isTchar(*p)) ++p;
  return p;
}

// Returns the end of a quoted-string starting at `p` (a '"'), or nullptr.
const char* skipQuoted(const char* p, const char* end) {
  for (++p; p < end; ++p) {
    if (*p == '"') return p + 1;
    if (*p == '\\') {
      if (++p == end || !isQuotable(*p)) return nullptr;
    } else if (!isQuotable(*p)) {
      return nullptr;
    }
  }
  return nullptr;
}

// chunk-ext = *( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )
// Extensions are ignored but must be well formed: whitespace is allowed only
// where BWS is, so "5 \r\n" or "5 x" never passes as a chunk size.
bool validExtensions(const char* p, const char* end) {
  for (;;) {
    const char* q = skipWs(p, end);
    if (q == end) return q == p;
    if (*q != ';') return false;
    q = skipWs(q + 1, end);
    const char* name_end = skipToken(q, end);
    if (name_end == q) return false;
    p = name_end;
    q = skipWs(p, end);
    if (q < end && *q == '=') {
      q = skipWs(q + 1, end);
      const char* value_end = (q < end && *q == '"') ? skipQuoted(q, end) : skipToken(q, end);
      if (value_end == nullptr || value_end == q) return false;
      p = value_end;
    }
  }
}

BodyStep step(BodyStep::Kind kind, size_t length = 0) {
  BodyStep s;
  s.kind = kind;
  s.length = length;
  return s;
}

}  // namespace

BodyDecoder::BodyDecoder(BodyFraming framing, size_t max_trailer_bytes)
    : max_trailer_bytes_(max_trailer_bytes) {
  switch (framing.kind) {
    case BodyKind::None:
      state_ = State::Done;
      break;
    case BodyKind::ContentLength:
      remaining_ = framing.content_length;
      state_ = remaining_ > 0 ? State::Length : State::Done;
      break;
    case BodyKind::Chunked:
      state_ = State::ChunkSize;
      break;
    case BodyKind::UntilClose:
      state_ = State::UntilClose;
      break;
  }
}

BodyStep BodyDecoder::fail(ParseError error) {
  state_ = State::Failed;
  error_ = error;
  BodyStep s = step(BodyStep::Error);
  s.error = error;
  return s;
}

BodyStep BodyDecoder::next(char* data, size_t len, size_t available) {
  if (available < len) available = len;
  switch (state_) {
    case State::Done:
      return step(BodyStep::Done);
    case State::Failed:
      return fail(error_);
    case State::UntilClose:
      return available > 0 ? step(BodyStep::Data, available) : step(BodyStep::NeedMore);
    case State::Length:
    case State::ChunkData: {
      if (available == 0) return step(BodyStep::NeedMore);
      uint64_t n = remaining_ < available ? remaining_ : available;
      remaining_ -= n;
      if (remaining_ == 0) state_ = state_ == State::Length ? State::Done : State::ChunkDataCrlf;
      return step(BodyStep::Data, static_cast<size_t>(n));
    }
    case State::ChunkDataCrlf:
      if (len >= 2 && data[0] == '\r' && data[1] == '\n') {
        state_ = State::ChunkSize;
        return step(BodyStep::Skip, 2);
      }
      if (len >= 2 || (len == 1 && data[0] != '\r')) return fail({400, "missing CRLF after chunk"});
      return step(BodyStep::NeedMore);
    case State::ChunkSize:
      return chunkSize(data, len);
    case State::Trailers:
      return trailers(data, len);
  }
  return fail({400, "invalid body decoder state"});
}

BodyStep BodyDecoder::chunkSize(char* data, size_t len) {
  if (len == 0) return step(BodyStep::NeedMore);  // `data` may be null
  // Fail on the first byte rather than wait for a line that cannot be valid.
  if (hexValue(data[0]) < 0) return fail({400, "invalid chunk size"});
  size_t scan = len < kMaxChunkLine ? len : kMaxChunkLine;
  const char* lf = static_cast<const char*>(memchr(data, '\n', scan));
  if (lf == nullptr) {
    if (len >= kMaxChunkLine) return fail({400, "chunk-size line too long"});
    return step(BodyStep::NeedMore);
  }
  if (lf == data || lf[-1] != '\r') return fail({400, "bare LF in chunked framing"});
  const char* end = lf - 1;
  const char* p = data;
  uint64_t size = 0;
  for (; p < end; ++p) {
    int digit = hexValue(*p);
    if (digit < 0) break;
    if (size > (kMaxChunkSize >> 4)) return fail({400, "chunk size too large"});
    size = (size << 4) | static_cast<uint64_t>(digit);
  }
  if (p == data) return fail({400, "invalid chunk size"});
  if (!validExtensions(p, end)) return fail({400, "invalid chunk extension"});
  if (size == 0) {
    state_ = State::Trailers;
  } else {
    remaining_ = size;
    state_ = State::ChunkData;
  }
  return step(BodyStep::Skip, static_cast<size_t>(lf + 1 - data));
}

BodyStep BodyDecoder::trailers(char* data, size_t len) {
  if (len > 0 && data[0] == '\n') return fail({400, "bare LF after last chunk"});
  if (len > 0 && data[0] != '\r' && !detail::isTchar(data[0]))
    return fail({400, "invalid trailer field"});
  if (len < 2) return step(BodyStep::NeedMore);
  if (data[0] == '\r' && data[1] == '\n') {
    state_ = State::Done;
    return step(BodyStep::Skip, 2);
  }
  size_t limit = len < max_trailer_bytes_ ? len : max_trailer_bytes_;
  size_t first_lf = 0, end = 0;
  switch (detail::scanSection(data, 0, limit, first_lf, end)) {
    case detail::SectionScan::BareLf:
      return fail({400, "bare LF in trailer section"});
    case detail::SectionScan::NotFound:
      if (len >= max_trailer_bytes_) return fail({431, "trailer section too large"});
      return step(BodyStep::NeedMore);
    case detail::SectionScan::Found:
      break;
  }
  BodyStep s = step(BodyStep::Trailers, end);
  ParseError error;
  if (!detail::parseFieldLines(data, data + end - 2, kMaxTrailerFields, s.trailers, error))
    return fail(error);
  state_ = State::Done;
  return s;
}

bool BodyDecoder::finishOnClose() {
  if (state_ == State::UntilClose) state_ = State::Done;
  return state_ == State::Done;
}

}  // namespace courier::http1
