// Strict HTTP/1.1 message parsing (RFC 9110/9112), free of I/O.
//
// The parser works on contiguous bytes and never copies a field: a parsed
// head holds string_views into the caller's buffer. Bodies are not copied
// either: BodyDecoder only says how many of the next bytes are body data
// (the caller moves them, e.g. with evbuffer_remove_buffer) and how many are
// framing to drop (chunk-size lines, CRLFs). Everything the parser rejects
// comes back as ParseError with the status a server should answer.
//
// Thread-safety: none needed; each object belongs to one connection.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace courier::http1 {

struct ParseError {
  int status = 400;         // 400, 413, 414, 431, 501, 505 (requests); 502 for responses
  std::string_view reason;  // short static text for logs, e.g. "obs-fold in header"
};

// Result of parsing a head: Incomplete (need more bytes), Complete (head is
// `consumed` bytes long, including the final CRLF CRLF) or Error.
enum class HeadState { Incomplete, Complete, Error };

struct Limits {
  size_t max_head_bytes = 65536;  // request line/status line + fields + CRLFs -> 431 (request)
  size_t max_fields = 128;        // -> 431
  // A request line longer than this (without its CRLF) -> 414. The limit is
  // min(this, max_head_bytes); for responses a too-long status line is 502.
  size_t max_request_line_bytes = 8192;
};

struct ParsedRequestHead {
  std::string_view method;                // as sent (a token, case-sensitive)
  std::string_view target;                // request-target as sent
  uint8_t version_minor = 1;              // HTTP/1.x
  std::vector<http::HeaderField> fields;  // names lower-cased IN PLACE in the input buffer
};

struct ParsedResponseHead {
  int status = 0;
  std::string_view reason;
  uint8_t version_minor = 1;
  std::vector<http::HeaderField> fields;  // names lower-cased in place
};

struct HeadResult {
  HeadState state = HeadState::Incomplete;
  size_t consumed = 0;  // bytes of head when Complete
  ParseError error;     // when Error
};

// `data` starts at the first byte of the message. Leading empty lines (CRLF)
// before a request line are tolerated per RFC 9112 §2.2 and counted in
// `consumed`. Returns Incomplete while no CRLF CRLF is found and the data is
// under the limit; Error(431) once it is over (414 while still in the request
// line, see Limits::max_request_line_bytes). The input must be writable
// because field names are lower-cased in place. `out` is meaningful only when
// Complete. Errors are detected as early as possible: a bare LF anywhere, or a
// bad start line once its CRLF has arrived, fails an incomplete head too.
// Only CRLF ends a line (bare LF / bare CR -> 400); the request target is
// checked with validRequestTarget. Response errors all carry status 502.
HeadResult parseRequestHead(char* data, size_t len, const Limits& limits, ParsedRequestHead& out);
HeadResult parseResponseHead(char* data, size_t len, const Limits& limits, ParsedResponseHead& out);

// How a message body is delimited (RFC 9112 §6).
enum class BodyKind { None, ContentLength, Chunked, UntilClose };
struct BodyFraming {
  BodyKind kind = BodyKind::None;
  uint64_t content_length = 0;
};

// Request framing: rejects repeated or invalid Content-Length (400),
// Transfer-Encoding together with Content-Length (400), Transfer-Encoding
// whose last coding is not chunked (400), any coding other than "chunked"
// (501), and Transfer-Encoding in an HTTP/1.0 request (400).
bool requestFraming(const std::vector<http::HeaderField>& fields, uint8_t version_minor,
                    BodyFraming& out, ParseError& error);
// Response framing for a request with `request_method`: HEAD, 1xx, 204 and
// 304 have no body; then chunked, Content-Length, else until close.
// Malformed framing is an error (the proxy answers 502): repeated or invalid
// Content-Length (checked even without a body, since it is forwarded),
// Transfer-Encoding with Content-Length, and any Transfer-Encoding other than
// a lone "chunked".
bool responseFraming(const std::vector<http::HeaderField>& fields, int status,
                     std::string_view request_method, BodyFraming& out, ParseError& error);

// Validates a request target for a proxy: origin-form ("/path?q") or
// absolute-form ("http://host/path"); "*" only for OPTIONS. Rejects CTLs,
// spaces, fragments ('#') and non-ASCII bytes.
// CONNECT (authority-form) is always rejected: courier is not a forward proxy.
bool validRequestTarget(std::string_view method, std::string_view target);

// Validates an authority as used in an absolute-form target or a Host field:
// reg-name / IPv4 / bracketed IPv6 host (RFC 3986), optional ":port" of 1-5
// digits. Rejects userinfo ('@'), empty hosts and anything else.
bool validAuthority(std::string_view authority);

// Incremental body decoder. Feed it the bytes available now (only the first
// contiguous part is needed: `data`), plus `available` = all buffered bytes.
// Each Data/Skip/Trailers step must be consumed (exactly `length` bytes)
// before the next call. NeedMore with len < available means a framing line
// (chunk-size line <= 1 KiB, trailer section <= max_trailer_bytes) does not
// fit in `len`: pull up more bytes. Error statuses are request-side (400, or
// 431 for trailers over max_trailer_bytes / 128 fields); when decoding a
// response body the proxy answers 502 whatever the status says.
struct BodyStep {
  enum Kind {
    NeedMore,  // wait for more bytes (a framing line is incomplete)
    Data,      // the next `length` bytes are body data: pass them on
    Skip,      // the next `length` bytes are framing: drop them
    Trailers,  // the next `length` bytes are the trailer section (parsed into `trailers`)
    Done,      // the body is complete (nothing consumed)
    Error
  } kind = NeedMore;
  size_t length = 0;
  ParseError error;                         // for Error
  std::vector<http::HeaderField> trailers;  // views into `data`, names lower-cased in place
};

class BodyDecoder {
 public:
  BodyDecoder() = default;
  BodyDecoder(BodyFraming framing, size_t max_trailer_bytes = 65536);
  // `data`/`len`: the contiguous bytes at the front of the buffer (writable,
  // trailer names are lower-cased in place); `available` >= len: all bytes
  // buffered (a Data step may cover more than `len` bytes). When the
  // connection has closed, call finishOnClose() instead.
  BodyStep next(char* data, size_t len, size_t available);
  bool done() const { return state_ == State::Done; }
  // The peer closed: true if that legally ends the body (UntilClose).
  bool finishOnClose();
  // Bytes still expected for ContentLength bodies (for back-pressure decisions).
  uint64_t remaining() const { return remaining_; }

 private:
  enum class State {
    Length,
    ChunkSize,
    ChunkData,
    ChunkDataCrlf,
    Trailers,
    UntilClose,
    Done,
    Failed
  };
  BodyStep chunkSize(char* data, size_t len);
  BodyStep trailers(char* data, size_t len);
  BodyStep fail(ParseError error);

  State state_ = State::Done;
  uint64_t remaining_ = 0;
  size_t max_trailer_bytes_ = 65536;
  ParseError error_;  // repeated by every next() after an Error step
};

// Internals shared by the parser's translation units; not for callers.
namespace detail {
enum class SectionScan { Found, NotFound, BareLf };
// Scans data[begin, limit) for the empty line ending a section whose first
// line starts at `begin`, checking that every LF follows a CR. Sets
// `first_lf` (offset of the first LF, or npos) and, when Found, `end`
// (offset just past the final CRLF).
SectionScan scanSection(const char* data, size_t begin, size_t limit, size_t& first_lf,
                        size_t& end);
// Parses field lines in [begin, end) (each ends in CRLF; scanned already)
// and appends them to `out`, lower-casing names in place. Errors carry
// request statuses (400, or 431 past `max_fields`).
bool parseFieldLines(char* begin, char* end, size_t max_fields, std::vector<http::HeaderField>& out,
                     ParseError& error);
bool isTchar(char c);
}  // namespace detail

}  // namespace courier::http1
