#include "proxy/http/http1_client_codec.h"

#include "proxy/http/http1_body_pump.h"
#include "proxy/http/http1_wire.h"

namespace courier::http1 {
namespace {
// Parse scratch, reused by every exchange on this thread: its field vector
// keeps its capacity, so parsing a response head allocates nothing here.
thread_local ParsedResponseHead parsed_;

bool methodExpectsBody(std::string_view m) {
  return m == "POST" || m == "PUT" || m == "PATCH";
}
}  // namespace

Http1ClientCodec::Http1ClientCodec(ClientCodecCallbacks& callbacks, evbuffer* output,
                                   size_t max_header_bytes)
    : callbacks_(callbacks), output_(output), max_header_bytes_(max_header_bytes) {}

void Http1ClientCodec::encodeHeaders(const http::RequestHeaders& headers, bool end_stream) {
  request_method_ = headers.method;
  writeRequestLine(output_, headers.method, headers.path);
  if (!headers.authority.empty()) writeField(output_, "host", headers.authority);
  writeFields(output_, headers.headers);
  bool has_length = headers.headers.get("content-length") != nullptr;
  if (end_stream) {
    if (!has_length && methodExpectsBody(headers.method))
      writeField(output_, "content-length", "0");
  } else if (!has_length) {
    writeField(output_, "transfer-encoding", "chunked");
    request_chunked_ = true;
  }
  writeEndOfHead(output_);
  request_complete_ = end_stream;
}

void Http1ClientCodec::encodeData(Buffer& data, bool end_stream) {
  if (request_chunked_) {
    if (!data.empty()) {
      writeChunkHeader(output_, data.length());
      evbuffer_add_buffer(output_, data.raw());
      writeChunkEnd(output_);
    }
    if (end_stream) writeLastChunk(output_, nullptr);
  } else {
    evbuffer_add_buffer(output_, data.raw());
  }
  request_complete_ = request_complete_ || end_stream;
}

void Http1ClientCodec::encodeTrailers(const http::HeaderMap& trailers) {
  // Only chunked messages carry trailers; a fixed-length one drops them.
  if (request_chunked_) writeLastChunk(output_, &trailers);
  request_complete_ = true;
}

void Http1ClientCodec::dispatch(evbuffer* input) {
  while (!failed_) {
    if (state_ == State::Head) {
      auto r = head_reader_.read(input, max_header_bytes_, false);
      if (r == HeadReader::State::Incomplete) return;
      if (r == HeadReader::State::TooLarge) return fail("upstream response head too large");
      onHead();
    } else if (state_ == State::Body) {
      onBody(input);  // consumes all it can; still in Body means more is needed
      if (state_ == State::Body) return;
    } else {
      // Bytes after a complete response: the connection is not reusable.
      if (evbuffer_get_length(input) > 0) keep_alive_ = false;
      return;
    }
  }
}

void Http1ClientCodec::onHead() {
  Limits limits;
  limits.max_head_bytes = max_header_bytes_;
  HeadResult result =
      parseResponseHead(head_reader_.data(), head_reader_.length(), limits, parsed_);
  if (result.state != HeadState::Complete) {
    return fail(result.state == HeadState::Error ? result.error.reason : "malformed response head");
  }
  int status = parsed_.status;
  if (status >= 100 && status < 200) {
    // Interim responses (100 Continue, 103 Early Hints) are not forwarded:
    // courier answers Expect itself. 101 would switch protocols: refused.
    if (status == 101) return fail("upstream switched protocols");
    head_reader_.reset();
    return;
  }
  BodyFraming framing;
  ParseError error;
  if (!responseFraming(parsed_.fields, status, request_method_, framing, error)) {
    return fail(error.reason);
  }
  auto headers = std::make_unique<http::ResponseHeaders>();
  headers->status = status;
  headers->http_minor = parsed_.version_minor;
  bool close = false, keep_alive = false;
  auto& fields = headers->headers.mutableFields();
  // Room for the few fields filters add (RateLimit-*, x-cache ...) without
  // moving the vector.
  fields.reserve(parsed_.fields.size() + 4);
  for (const auto& f : parsed_.fields) {
    if (f.name == "connection") {
      close |= http::listHasToken(f.value, "close");
      keep_alive |= http::listHasToken(f.value, "keep-alive");
    }
    fields.push_back(f);
  }
  keep_alive_ = parsed_.version_minor == 1 ? !close : keep_alive;
  if (framing.kind == BodyKind::UntilClose) keep_alive_ = false;
  http::removeHopByHop(headers->headers);
  headers->headers.adoptStorage(head_reader_.takeStorage());
  bool has_body = framing.kind == BodyKind::Chunked || framing.kind == BodyKind::UntilClose ||
                  (framing.kind == BodyKind::ContentLength && framing.content_length > 0);
  body_ = BodyDecoder(framing);
  state_ = has_body ? State::Body : State::Done;
  callbacks_.onResponseHeaders(std::move(headers), !has_body);
}

void Http1ClientCodec::onBody(evbuffer* input) {
  uint64_t unused_count = 0;
  BodyPumpResult r = pumpBody(body_, input, body_chunk_, unused_count, UINT64_MAX);
  switch (r.kind) {
    case BodyPumpResult::NeedMore:
      if (!body_chunk_.empty()) callbacks_.onResponseData(body_chunk_, false);
      return;
    case BodyPumpResult::Done:
      state_ = State::Done;
      callbacks_.onResponseData(body_chunk_, true);
      return;
    case BodyPumpResult::Trailers:
      state_ = State::Done;
      if (!body_chunk_.empty()) callbacks_.onResponseData(body_chunk_, false);
      callbacks_.onResponseTrailers(std::move(r.trailers));
      return;
    case BodyPumpResult::Error:
      return fail(r.error.reason);
  }
}

bool Http1ClientCodec::onUpstreamClosed() {
  keep_alive_ = false;
  if (state_ == State::Body && body_.finishOnClose()) {
    state_ = State::Done;
    callbacks_.onResponseData(body_chunk_, true);
    return true;
  }
  return state_ == State::Done;
}

void Http1ClientCodec::fail(std::string_view reason) {
  failed_ = true;
  keep_alive_ = false;
  callbacks_.onResponseError(reason);
}

}  // namespace courier::http1
