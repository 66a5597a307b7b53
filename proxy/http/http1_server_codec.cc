#include "proxy/http/http1_server_codec.h"

#include <cstring>

#include "proxy/http/http1_body_pump.h"
#include "proxy/http/http1_wire.h"

namespace courier::http1 {
namespace {

std::string_view errorCodeFor(int status) {
  switch (status) {
    case 413:
      return "payload_too_large";
    case 431:
      return "headers_too_large";
    case 501:
      return "not_implemented";
    default:
      return "bad_request";
  }
}

// Splits an absolute-form target into authority and origin-form path.
bool splitAbsoluteForm(std::string_view target, std::string_view& authority,
                       std::string_view& path) {
  size_t scheme_end = target.find("://");
  if (scheme_end == std::string_view::npos) return false;
  std::string_view rest = target.substr(scheme_end + 3);
  size_t slash = rest.find_first_of("/?");
  authority = rest.substr(0, slash);
  path = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
  return !authority.empty();
}

}  // namespace

Http1ServerCodec::Http1ServerCodec(http::ServerCodecCallbacks& callbacks, ServerCodecEvents& events,
                                   evbuffer* output, const Settings& settings)
    : callbacks_(callbacks), events_(events), output_(output), settings_(settings) {
  parsed_.fields.reserve(32);
}

void Http1ServerCodec::resetForNextRequest() {
  state_ = State::Idle;
  decoder_ = nullptr;
  body_bytes_ = 0;
  response_started_ = false;
  response_chunked_ = false;
  response_no_body_ = false;
  send_continue_ = false;
  head_reader_.reset();
}

void Http1ServerCodec::dispatch(evbuffer* input) {
  if (dispatching_) return;  // a completion inside this loop; the loop continues
  dispatching_ = true;
  while (!stopped_) {
    if (state_ == State::Idle) {
      auto r = head_reader_.read(input, settings_.max_header_bytes, true);
      if (r == HeadReader::State::Incomplete) {
        rejectEarly(input);
        break;
      }
      if (r == HeadReader::State::TooLarge) {
        protocolError({431, "request head larger than max_header_bytes"}, "headers_too_large");
        break;
      }
      onHead();
    } else if (state_ == State::Body) {
      onBody(input);  // consumes all it can; still in Body means more is needed
      if (state_ == State::Body) break;
    } else if (state_ == State::Discard) {
      discardBody(input);
      if (state_ == State::Discard) break;
    } else {
      break;  // AwaitResponse / Done: pipelined bytes wait
    }
  }
  dispatching_ = false;
}

void Http1ServerCodec::rejectEarly(evbuffer* input) {
  // A head that can never become valid (bare LF line ends, a bad request
  // line) is answered now rather than after header_timeout. The parser
  // reports such errors on incomplete input; it only lower-cases field
  // names in place, which the full parse does anyway.
  size_t n = std::min<size_t>(evbuffer_get_length(input), settings_.max_header_bytes);
  if (n == 0) return;
  char* data = reinterpret_cast<char*>(evbuffer_pullup(input, static_cast<ssize_t>(n)));
  Limits limits;
  limits.max_head_bytes = settings_.max_header_bytes;
  HeadResult result = parseRequestHead(data, n, limits, parsed_);
  if (result.state == HeadState::Error)
    protocolError(result.error, errorCodeFor(result.error.status));
}

void Http1ServerCodec::onHead() {
  ParseError error;
  Limits limits;
  limits.max_head_bytes = settings_.max_header_bytes;
  HeadResult result = parseRequestHead(head_reader_.data(), head_reader_.length(), limits, parsed_);
  if (result.state != HeadState::Complete) {
    // The reader found CRLF CRLF, so anything but Complete is malformed.
    ParseError e =
        result.state == HeadState::Error ? result.error : ParseError{400, "malformed request head"};
    protocolError(e, errorCodeFor(e.status));
    return;
  }
  BodyFraming framing;
  if (!requestFraming(parsed_.fields, parsed_.version_minor, framing, error)) {
    protocolError(error, errorCodeFor(error.status));
    return;
  }
  if (framing.kind == BodyKind::ContentLength &&
      framing.content_length > settings_.max_body_bytes) {
    protocolError({413, "content-length over max_body_bytes"}, "payload_too_large");
    return;
  }
  if (!validRequestTarget(parsed_.method, parsed_.target)) {
    protocolError({400, "invalid request target"}, "bad_request");
    return;
  }

  auto headers = std::make_unique<http::RequestHeaders>();
  headers->method = parsed_.method;
  headers->path = parsed_.target;
  headers->http_major = 1;
  headers->http_minor = parsed_.version_minor;
  request_minor_ = parsed_.version_minor;
  head_request_ = parsed_.method == "HEAD";

  bool absolute = parsed_.target.front() != '/' && parsed_.target != "*";
  if (absolute && !splitAbsoluteForm(parsed_.target, headers->authority, headers->path)) {
    protocolError({400, "invalid absolute-form target"}, "bad_request");
    return;
  }
  int host_count = 0;
  bool connection_close = false, connection_keep_alive = false, te_trailers = false;
  std::string_view expect;
  auto& fields = headers->headers.mutableFields();
  fields.reserve(parsed_.fields.size());
  for (const auto& f : parsed_.fields) {
    if (f.name == "host") {
      ++host_count;
      if (!absolute) headers->authority = f.value;
      continue;
    }
    if (f.name == "connection") {
      connection_close |= http::listHasToken(f.value, "close");
      connection_keep_alive |= http::listHasToken(f.value, "keep-alive");
    } else if (f.name == "te") {
      te_trailers |= http::listHasToken(f.value, "trailers");
    } else if (f.name == "expect") {
      expect = f.value;
      continue;
    }
    fields.push_back(f);
  }
  if (host_count > 1 || (host_count == 0 && parsed_.version_minor == 1)) {
    protocolError({400, host_count ? "multiple Host fields" : "missing Host field"}, "bad_request");
    return;
  }
  keep_alive_ =
      keep_alive_ && (parsed_.version_minor == 1 ? !connection_close : connection_keep_alive);
  http::removeHopByHop(headers->headers);
  // "TE: trailers" is the one TE value that may travel on (RFC 9110 §10.1.4):
  // it tells the origin the client can take trailers (gRPC needs it).
  if (te_trailers) headers->headers.addView("te", "trailers");
  headers->headers.adoptStorage(head_reader_.takeStorage());

  bool has_body = framing.kind == BodyKind::Chunked ||
                  (framing.kind == BodyKind::ContentLength && framing.content_length > 0);
  if (!expect.empty()) {
    if (!http::headerNameEquals("100-continue", expect)) {
      protocolError({417, "unsupported Expect"}, "bad_request");
      return;
    }
    send_continue_ = has_body && parsed_.version_minor == 1;
  }
  body_ = BodyDecoder(framing);
  request_chunked_ = framing.kind == BodyKind::Chunked;
  state_ = has_body ? State::Body : State::AwaitResponse;
  decoder_ = &callbacks_.newStream(*this);
  decoder_->decodeHeaders(std::move(headers), !has_body);
  // 100 Continue only if the stream still wants the body (no early answer).
  if (send_continue_ && !response_started_ && !stopped_ && state_ == State::Body) {
    evbuffer_add(output_, "HTTP/1.1 100 Continue\r\n\r\n", 25);
  }
  send_continue_ = false;
}

void Http1ServerCodec::onBody(evbuffer* input) {
  BodyPumpResult r = pumpBody(body_, input, body_chunk_, body_bytes_, settings_.max_body_bytes);
  switch (r.kind) {
    case BodyPumpResult::NeedMore:
      if (!body_chunk_.empty()) decoder_->decodeData(body_chunk_, false);
      return;
    case BodyPumpResult::Done:
      state_ = State::AwaitResponse;
      decoder_->decodeData(body_chunk_, true);
      return;
    case BodyPumpResult::Trailers:
      state_ = State::AwaitResponse;
      if (!body_chunk_.empty()) decoder_->decodeData(body_chunk_, false);
      if (!stopped_) decoder_->decodeTrailers(std::move(r.trailers));
      return;
    case BodyPumpResult::Error:
      protocolError(r.error, errorCodeFor(r.error.status));
      return;
  }
}

void Http1ServerCodec::protocolError(const ParseError& error, std::string_view code) {
  keep_alive_ = false;
  if (response_started_) {
    resetStream();
    return;
  }
  // The stream (if any) learns of this through the local reply it receives.
  state_ = State::AwaitResponse;
  callbacks_.onProtocolError(error.status, code, error.reason);
}

void Http1ServerCodec::encodeHeaders(const http::ResponseHeaders& headers, bool end_stream) {
  response_started_ = true;
  // A response may start while the request body still streams (an echo, an
  // early answer). Whether the connection survives is decided when the
  // response ends: if the request is still incomplete then, it closes.
  if (state_ == State::Idle) keep_alive_ = false;
  // An answer before the body: a client still waiting for "100 Continue"
  // may never send the body, so the connection cannot be reused; nor when
  // too much body is left to drop. Say so in this head (RFC 9110 §10.1.1).
  if (state_ == State::Body && (send_continue_ || !bodyDiscardable())) keep_alive_ = false;
  int status = headers.status;
  response_no_body_ = head_request_ || http::statusHasNoBody(status);
  writeStatusLine(output_, 1, status);
  writeFields(output_, headers.headers);
  response_chunked_ = false;
  if (!response_no_body_ && !headers.headers.get("content-length")) {
    if (end_stream) {
      writeField(output_, "content-length", "0");
    } else if (request_minor_ == 1) {
      writeField(output_, "transfer-encoding", "chunked");
      response_chunked_ = true;
    } else {
      keep_alive_ = false;  // delimited by close for HTTP/1.0 clients
    }
  }
  if (!keep_alive_) {
    writeField(output_, "connection", "close");
  } else if (request_minor_ == 0) {
    writeField(output_, "connection", "keep-alive");
  }
  writeEndOfHead(output_);
  if (end_stream) responseComplete();
}

void Http1ServerCodec::encodeData(Buffer& data, bool end_stream) {
  if (response_no_body_) {
    data.clear();
  } else if (response_chunked_) {
    if (!data.empty()) {
      writeChunkHeader(output_, data.length());
      addBody(data);
      writeChunkEnd(output_);
    }
    if (end_stream) writeLastChunk(output_, nullptr);
  } else {
    addBody(data);
  }
  if (end_stream) responseComplete();
}

void Http1ServerCodec::addBody(Buffer& data) {
  if (!data.fileBody()) {
    evbuffer_add_buffer(output_, data.raw());
    return;
  }
  events_.onFileBodyQueued(evbuffer_get_length(output_), data.fileBodyOwner());
  evbuffer_add_buffer(output_, data.raw());
  data.clear();  // the output holds the file now; the emptied buffer lets go of it
}

void Http1ServerCodec::encodeTrailers(const http::HeaderMap& trailers) {
  if (response_chunked_) writeLastChunk(output_, &trailers);
  responseComplete();
}

void Http1ServerCodec::resetStream() {
  keep_alive_ = false;
  stopped_ = true;
  events_.onResponseReset();
}

bool Http1ServerCodec::bodyDiscardable() const {
  // A chunked body's size is unknown: drop up to the limit, then close.
  return request_chunked_ || body_.remaining() <= kMaxDiscardBytes;
}

void Http1ServerCodec::responseComplete() {
  if (state_ == State::Body && keep_alive_) {
    // The answer came before the whole request (e.g. a 429 to a POST): read
    // and drop the rest so the connection can carry the next request.
    state_ = State::Discard;
    decoder_ = nullptr;
    discarded_bytes_ = 0;
    events_.onResponseComplete();
    return;
  }
  if (state_ != State::AwaitResponse) keep_alive_ = false;  // request body not fully read
  state_ = State::Done;
  events_.onResponseComplete();
}

void Http1ServerCodec::discardBody(evbuffer* input) {
  uint64_t before = body_bytes_;
  BodyPumpResult r = pumpBody(body_, input, body_chunk_, body_bytes_, settings_.max_body_bytes);
  body_chunk_.clear();
  discarded_bytes_ += body_bytes_ - before;
  if (r.kind == BodyPumpResult::Error || discarded_bytes_ > kMaxDiscardBytes) {
    keep_alive_ = false;
    stopped_ = true;
    events_.onResponseReset();  // the response is complete: this just closes
    return;
  }
  if (r.kind == BodyPumpResult::NeedMore) return;
  state_ = State::Done;
  events_.onRequestBodyDiscarded();
}

}  // namespace courier::http1
