#include "proxy/upstream/h2_stream.h"

#include "proxy/upstream/h2_client_connection.h"

namespace courier::upstream {

H2Stream::H2Stream(H2ClientConnection& connection, H2StreamCallbacks& callbacks,
                   size_t max_header_bytes)
    : connection_(connection), callbacks_(&callbacks), max_header_bytes_(max_header_bytes) {}

void H2Stream::encodeData(Buffer& data, bool end_stream) {
  request_ended_ = request_ended_ || end_stream;
  body_.append(data, end_stream);
  if (!body_above_high_ && body_.buffered() > kBodyHighWatermark && callbacks_) {
    body_above_high_ = true;
    callbacks_->onRequestBodyWatermark(true);
  }
  connection_.resumeData(id_);
}

void H2Stream::encodeTrailers(const http::HeaderMap& trailers) {
  auto copy = std::make_unique<http::HeaderMap>();
  for (const auto& f : trailers.fields()) copy->addView(copy->copy(f.name), copy->copy(f.value));
  body_.setTrailers(std::move(copy));
  request_ended_ = true;
  connection_.resumeData(id_);
}

void H2Stream::setResponseReadEnabled(bool enabled) {
  read_enabled_ = enabled;
  if (enabled && unconsumed_ > 0) {
    size_t n = unconsumed_;
    unconsumed_ = 0;
    connection_.consumeStream(id_, n);
  }
}

void H2Stream::detach() {
  if (!callbacks_) return;
  callbacks_ = nullptr;
  // The response is unfinished (else the stream detached itself): nobody
  // wants the rest.
  connection_.resetStream(id_, NGHTTP2_CANCEL);
}

H2StreamCallbacks* H2Stream::takeCallbacks() {
  H2StreamCallbacks* callbacks = callbacks_;
  callbacks_ = nullptr;
  // The response ended before the owner gave the whole request: the owner
  // drops the rest, so the origin must not wait for it.
  if (!request_ended_) connection_.resetStream(id_, NGHTTP2_CANCEL);
  return callbacks;
}

void H2Stream::fail(H2StreamFailure failure, std::string_view details) {
  H2StreamCallbacks* callbacks = callbacks_;
  callbacks_ = nullptr;
  if (callbacks) callbacks->onStreamFailure(failure, details);
}

void H2Stream::onBeginHeaders() {
  if (!headers_done_) {
    response_ = std::make_unique<http2::ResponseBuilder>();
  } else {
    trailers_ = std::make_unique<http2::TrailersBuilder>();
  }
}

bool H2Stream::onHeader(std::string_view name, std::string_view value) {
  size_t bytes = 0;
  if (response_) {
    response_->add(name, value);
    bytes = response_->bytes();
  } else if (trailers_) {
    trailers_->add(name, value);
    bytes = trailers_->bytes();
  }
  if (bytes <= max_header_bytes_) return true;
  error_ = "response header list over max_header_bytes";
  response_.reset();
  trailers_.reset();
  return false;
}

void H2Stream::onHeadersFrame(bool end_stream) {
  if (response_) {
    std::string error;
    auto headers = response_->finish(error);
    response_.reset();
    if (!headers) {
      error_ = error;
      connection_.resetStream(id_, NGHTTP2_PROTOCOL_ERROR);
      return;
    }
    if (headers->status < 200) return;  // interim (1xx): the final head follows
    headers_done_ = true;
    response_started_ = true;
    if (!callbacks_) return;
    if (end_stream) {
      takeCallbacks()->onResponseHeaders(std::move(headers), true);
    } else {
      callbacks_->onResponseHeaders(std::move(headers), false);
    }
  } else if (trailers_) {
    auto trailers = trailers_->finish();
    trailers_.reset();
    // nghttp2 rejects trailers without END_STREAM before this point.
    if (callbacks_) takeCallbacks()->onResponseTrailers(std::move(trailers));
  }
}

void H2Stream::onDataChunk(const uint8_t* data, size_t length) {
  if (!callbacks_) return;  // detached: the stream is being reset
  response_started_ = true;
  response_data_.add(std::string_view(reinterpret_cast<const char*>(data), length));
  if (read_enabled_) {
    connection_.consumeStream(id_, length);
  } else {
    unconsumed_ += length;  // returned when the client reads again
  }
}

void H2Stream::onDataFrame(bool end_stream) {
  if (!callbacks_) {
    response_data_.clear();
    return;
  }
  if (end_stream) {
    takeCallbacks()->onResponseData(response_data_, true);
  } else if (!response_data_.empty()) {
    callbacks_->onResponseData(response_data_, false);
  }
  response_data_.clear();
}

void H2Stream::onPeerReset(uint32_t) {
  peer_reset_ = true;
}

void H2Stream::onInvalidFrame(std::string_view why) {
  if (error_.empty()) error_ = why;
}

void H2Stream::onClose(uint32_t error_code) {
  if (!callbacks_) return;
  // Closed with the response unfinished.
  if (!error_.empty() || (error_code == NGHTTP2_PROTOCOL_ERROR && !peer_reset_)) {
    fail(H2StreamFailure::BadResponse, error_.empty() ? "malformed response" : error_);
  } else if (error_code == NGHTTP2_REFUSED_STREAM && !response_started_) {
    fail(H2StreamFailure::Refused, "upstream refused the stream");
  } else {
    std::string details = peer_reset_ ? "upstream reset the stream: " : "stream closed: ";
    details += nghttp2_http2_strerror(error_code);
    fail(H2StreamFailure::Reset, details);
  }
}

void H2Stream::onConnectionLost(std::string_view why) {
  if (!callbacks_) return;
  std::string details = "upstream connection closed: ";
  details += why;
  fail(H2StreamFailure::Reset, details);
}

int H2Stream::sendData(evbuffer* out, size_t high_watermark, const uint8_t* framehd, size_t length,
                       size_t padlen) {
  int rv = http2::queueDataFrame(out, high_watermark, framehd, body_.data(), length, padlen);
  if (rv == 0 && body_above_high_ && body_.buffered() <= kBodyLowWatermark) {
    body_above_high_ = false;
    if (callbacks_) callbacks_->onRequestBodyWatermark(false);
  }
  return rv;
}

ssize_t H2Stream::readCallback(nghttp2_session* session, int32_t stream_id, uint8_t*, size_t length,
                               uint32_t* data_flags, nghttp2_data_source* source, void*) {
  auto* stream = static_cast<H2Stream*>(source->ptr);
  bool submit_trailers = false;
  ssize_t n = stream->body_.read(length, data_flags, &submit_trailers);
  if (submit_trailers) {
    http2::NvList list;
    http2::trailersToNv(*stream->body_.trailers(), list);
    if (nghttp2_submit_trailer(session, stream_id, list.data(), list.size()) != 0)
      return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  }
  return n;
}

}  // namespace courier::upstream
