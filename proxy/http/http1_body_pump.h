// pumpBody: runs a BodyDecoder over an input evbuffer. Body bytes move
// (zero-copy) into `body`, framing bytes are dropped, and a trailer section
// is parsed into a HeaderMap. Shared by the server and client codecs.
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <memory>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"
#include "proxy/http/http1_parser.h"

namespace courier::http1 {

struct BodyPumpResult {
  enum Kind {
    NeedMore,  // all buffered input is consumed; `body` holds what arrived
    Done,      // the body ended (no trailers)
    Trailers,  // the body ended with `trailers`
    Error      // `error` says why
  } kind = NeedMore;
  std::unique_ptr<http::HeaderMap> trailers;
  ParseError error;
};

// `body_bytes` counts body bytes across calls; past `max_body_bytes` the
// pump stops with a 413 error.
BodyPumpResult pumpBody(BodyDecoder& decoder, evbuffer* input, Buffer& body, uint64_t& body_bytes,
                        uint64_t max_body_bytes);

}  // namespace courier::http1
