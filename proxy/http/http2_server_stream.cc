#include "proxy/http/http2_server_stream.h"

#include "proxy/common/log.h"
#include "proxy/http/http2_server_connection.h"

namespace courier::http2 {
namespace {

ssize_t readBodyCallback(nghttp2_session*, int32_t, uint8_t*, size_t length, uint32_t* data_flags,
                         nghttp2_data_source* source, void*) {
  return static_cast<ServerStream*>(source->ptr)->readBody(length, data_flags);
}

}  // namespace

ServerStream::ServerStream(ServerConnection& connection, int32_t id)
    : connection_(connection),
      id_(id),
      request_(std::make_unique<RequestBuilder>()),
      resume_timer_(connection.context().dispatcher->base(), [this] { deliverHeld(); }) {}

ServerStream::~ServerStream() = default;

int ServerStream::onField(std::string_view name, std::string_view value) {
  header_list_bytes_ += name.size() + value.size() + 32;
  size_t limit = connection_.maxHeaderBytes();
  if (header_list_bytes_ > limit) {
    if (header_list_bytes_ > kBombFactor * limit) {
      connection_.terminate(NGHTTP2_ENHANCE_YOUR_CALM, "header list far over max_header_bytes");
      return NGHTTP2_ERR_PAUSE;
    }
    oversize_ = true;  // answered 431 once the block ends
    return 0;
  }
  if (active_) {
    if (!trailers_) trailers_ = std::make_unique<TrailersBuilder>();
    trailers_->add(name, value);
  } else {
    request_->add(name, value);
  }
  return 0;
}

void ServerStream::onHeadersComplete(bool end_stream) {
  if (!active_) {
    startRequest(end_stream);
    return;
  }
  // Trailers: they end the request.
  request_ended_ = true;
  auto trailers = trailers_ ? trailers_->finish() : std::make_unique<http::HeaderMap>();
  trailers_.reset();
  if (read_paused_ || !held_.empty()) {
    held_trailers_ = std::move(trailers);
    return;
  }
  active_->decodeTrailers(std::move(trailers));
}

void ServerStream::startRequest(bool end_stream) {
  request_ended_ = end_stream;
  WorkerContext& ctx = connection_.context();
  active_ = std::make_unique<http::ActiveStream>(ctx, *this, *this, connection_.peerIp());
  // Known before the request is: rejected requests count as HTTP/2 too.
  active_->streamInfo().downstream_http_major = 2;
  if (oversize_) {
    active_->onProtocolError(431, "headers_too_large", "request headers over max_header_bytes");
    return;
  }
  std::string error;
  auto request = request_->finish(error);
  request_.reset();
  head_request_ = request && request->method == "HEAD";
  if (!request) {
    active_->onProtocolError(400, "bad_request", error);
    return;
  }
  active_->decodeHeaders(std::move(request), end_stream);
}

void ServerStream::onData(const uint8_t* data, size_t length) {
  if (!active_ || response_ended_) {
    // Answered already (or never started): the body has nowhere to go, but
    // its window must come back or the connection would starve.
    nghttp2_session_consume_stream(connection_.session(), id_, length);
    return;
  }
  if (read_paused_ || !held_.empty()) {
    held_.add({reinterpret_cast<const char*>(data), length});
    return;
  }
  // One evbuffer per stream, reused: not a new one per DATA frame.
  chunk_.add({reinterpret_cast<const char*>(data), length});
  nghttp2_session_consume_stream(connection_.session(), id_, length);
  active_->decodeData(chunk_, false);
  chunk_.clear();  // whatever the chain did not move on is dropped, as for HTTP/1.1
}

void ServerStream::onEndStream() {
  request_ended_ = true;
  if (!active_) return;
  if (read_paused_ || !held_.empty()) {
    held_end_ = true;
    return;
  }
  Buffer empty;
  active_->decodeData(empty, true);
}

void ServerStream::setDownstreamReadEnabled(bool enabled) {
  if (read_paused_ == !enabled) return;
  read_paused_ = !enabled;
  // On the next loop turn: the caller is often in the middle of decodeData.
  if (enabled && (!held_.empty() || held_end_ || held_trailers_))
    resume_timer_.arm(std::chrono::milliseconds(0));
}

void ServerStream::deliverHeld() {
  if (read_paused_ || closed_ || !active_) return;
  size_t n = held_.length();
  if (n > 0) {
    nghttp2_session_consume_stream(connection_.session(), id_, n);
    Buffer chunk = std::move(held_);
    active_->decodeData(chunk, held_end_ && !held_trailers_);
    held_end_ = held_end_ && held_trailers_;
  } else if (held_end_ && !held_trailers_) {
    held_end_ = false;
    Buffer empty;
    active_->decodeData(empty, true);
  }
  if (held_.empty() && held_trailers_ && !read_paused_)
    active_->decodeTrailers(std::move(held_trailers_));
  connection_.sendPending();  // the WINDOW_UPDATE
}

void ServerStream::encodeHeaders(const http::ResponseHeaders& headers, bool end_stream) {
  if (closed_) return;
  NvList nva;
  char status[4];
  responseToNv(headers, status, nva);
  if (headers.status < 200) {  // informational: more headers follow
    nghttp2_submit_headers(connection_.session(), NGHTTP2_FLAG_NONE, id_, nullptr, nva.data(),
                           nva.size(), nullptr);
    return;
  }
  response_started_ = true;
  // A response to HEAD has no body, whoever made it (courier's own JSON
  // errors come with one): HEADERS end the stream, the rest is dropped.
  if (end_stream || head_request_) {
    response_ended_ = true;
    nghttp2_submit_response(connection_.session(), id_, nva.data(), nva.size(), nullptr);
    return;
  }
  nghttp2_data_provider provider;
  provider.source.ptr = this;
  provider.read_callback = readBodyCallback;
  nghttp2_submit_response(connection_.session(), id_, nva.data(), nva.size(), &provider);
}

void ServerStream::encodeData(Buffer& data, bool end_stream) {
  if (closed_ || head_request_) {
    data.clear();
    return;
  }
  response_ended_ = response_ended_ || end_stream;
  body_.append(data, end_stream);
  nghttp2_session_resume_data(connection_.session(), id_);
  checkBodyMark();
}

void ServerStream::encodeTrailers(const http::HeaderMap& trailers) {
  if (closed_ || head_request_) return;
  response_ended_ = true;
  // A copy: the chain's trailers may go before nghttp2 asks for them.
  auto copy = std::make_unique<http::HeaderMap>();
  for (const auto& f : trailers.fields()) copy->addView(copy->copy(f.name), copy->copy(f.value));
  body_.setTrailers(std::move(copy));
  nghttp2_session_resume_data(connection_.session(), id_);
}

void ServerStream::resetStream() {
  if (closed_) return;
  response_ended_ = true;
  nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_INTERNAL_ERROR);
  connection_.sendPending();
}

void ServerStream::onStreamWrote() {
  connection_.sendPending();
}

ssize_t ServerStream::readBody(size_t length, uint32_t* data_flags) {
  bool submit_trailers = false;
  ssize_t n = body_.read(length, data_flags, &submit_trailers);
  if (submit_trailers) {
    NvList nva;
    trailersToNv(*body_.trailers(), nva);
    nghttp2_submit_trailer(connection_.session(), id_, nva.data(), nva.size());
  }
  return n;
}

int ServerStream::sendBody(const uint8_t* framehd, size_t length, size_t padlen,
                           size_t high_watermark) {
  int rv =
      queueDataFrame(connection_.output(), high_watermark, framehd, body_.data(), length, padlen);
  if (rv == 0) checkBodyMark();
  return rv;
}

void ServerStream::checkBodyMark() {
  if (!active_) return;
  size_t queued = body_.buffered();
  if (!body_above_high_ && queued > kBodyHighMark) {
    body_above_high_ = true;
    active_->onDownstreamWatermark(true);
  } else if (body_above_high_ && queued <= kBodyLowMark) {
    body_above_high_ = false;
    active_->onDownstreamWatermark(false);
  }
}

void ServerStream::onResponseEndSent() {
  end_sent_ = true;
  // RFC 9113 §8.1: a complete response may end a request still being sent;
  // RST_STREAM(NO_ERROR) tells the client to stop sending its body.
  if (!request_ended_)
    nghttp2_submit_rst_stream(connection_.session(), NGHTTP2_FLAG_NONE, id_, NGHTTP2_NO_ERROR);
}

void ServerStream::onClose() {
  closed_ = true;
  resume_timer_.cancel();
  if (active_) {
    // The response counts as delivered once its last frame was handed to
    // the socket, as for HTTP/1.1; a client's reset after that is no loss.
    active_->complete(!end_sent_);
  }
}

}  // namespace courier::http2
