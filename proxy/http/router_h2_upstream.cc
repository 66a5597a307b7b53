#include "proxy/http/router_h2_upstream.h"

#include "proxy/upstream/h2_client_connection.h"

namespace courier::http {

void RouterH2Upstream::start(upstream::H2ConnPool& pool, const RequestHeaders& request,
                             bool end_stream) {
  release();
  pool_ = &pool;
  pool.requestStarted();
  request_ = &request;
  headers_end_ = end_stream;
  request_end_ = request_end_ || end_stream;
  waiter_ = pool.newStream(*this);  // may call onPoolReady at once
}

void RouterH2Upstream::onPoolReady(upstream::H2ClientConnection& connection) {
  waiter_ = nullptr;
  stream_ = connection.startStream(*request_, headers_end_, *this);
  if (!stream_) {
    failed(UpstreamFailure::Refused, "upstream connection would not start a stream");
    return;
  }
  if (response_paused_) stream_->setResponseReadEnabled(false);
  if (headers_end_) return;
  // What arrived while waiting. The stream reports its own watermark from
  // here on, so a pause of ours ends once the bytes are handed over.
  upstream::H2Stream* stream = stream_;
  if (!pending_body_.empty() || (request_end_ && !pending_trailers_)) {
    stream->encodeData(pending_body_, request_end_ && !pending_trailers_);
  }
  if (stream_ && pending_trailers_) stream_->encodeTrailers(*pending_trailers_);
  if (body_paused_ && stream_) {
    body_paused_ = false;
    if (!stream_body_high_) router_.onRequestBodyReadEnabled(true);
  }
}

void RouterH2Upstream::onPoolFailure(std::string_view reason, bool timeout) {
  waiter_ = nullptr;
  failed(timeout ? UpstreamFailure::ConnectTimeout : UpstreamFailure::ConnectFailure, reason);
}

void RouterH2Upstream::encodeData(Buffer& data, bool end_stream) {
  request_end_ = request_end_ || end_stream;
  if (stream_) {
    stream_->encodeData(data, end_stream);
  } else if (waiter_) {
    pending_body_.move(data);
    if (pending_body_.length() > upstream::H2Stream::kBodyHighWatermark && !body_paused_) {
      body_paused_ = true;
      router_.onRequestBodyReadEnabled(false);
    }
  } else {
    data.clear();  // the exchange is over
  }
}

void RouterH2Upstream::encodeTrailers(HeaderMap& trailers) {
  request_end_ = true;
  if (stream_) {
    stream_->encodeTrailers(trailers);
  } else if (waiter_) {
    pending_trailers_ = &trailers;
  }
}

void RouterH2Upstream::setResponseReadEnabled(bool enabled) {
  response_paused_ = !enabled;
  if (stream_) stream_->setResponseReadEnabled(enabled);
}

void RouterH2Upstream::release() {
  if (waiter_) {
    pool_->cancel(waiter_);
    waiter_ = nullptr;
  }
  if (stream_) {
    stream_->detach();
    stream_ = nullptr;
  }
  if (pool_) {
    pool_->requestFinished();
    pool_ = nullptr;
  }
  // A client paused for this exchange stays the router's business: it may
  // be finishing the stream (and must not be called while it does).
  body_paused_ = false;
  stream_body_high_ = false;
}

void RouterH2Upstream::onResponseHeaders(std::unique_ptr<ResponseHeaders> headers,
                                         bool end_stream) {
  if (end_stream) stream_ = nullptr;  // the stream has let go of us
  router_.onResponseHeaders(std::move(headers), end_stream);
}

void RouterH2Upstream::onResponseData(Buffer& data, bool end_stream) {
  if (end_stream) stream_ = nullptr;
  router_.onResponseData(data, end_stream);
}

void RouterH2Upstream::onResponseTrailers(std::unique_ptr<HeaderMap> trailers) {
  stream_ = nullptr;
  router_.onResponseTrailers(std::move(trailers));
}

void RouterH2Upstream::onStreamFailure(upstream::H2StreamFailure failure,
                                       std::string_view details) {
  stream_ = nullptr;
  switch (failure) {
    case upstream::H2StreamFailure::Refused:
      return failed(UpstreamFailure::Refused, details);
    case upstream::H2StreamFailure::Reset:
      return failed(UpstreamFailure::Reset, details);
    case upstream::H2StreamFailure::BadResponse:
      return failed(UpstreamFailure::BadResponse, details);
  }
}

void RouterH2Upstream::onRequestBodyWatermark(bool above_high) {
  stream_body_high_ = above_high;
  router_.onRequestBodyReadEnabled(!above_high);
}

void RouterH2Upstream::failed(UpstreamFailure failure, std::string_view details) {
  std::string why(details);  // `details` may live in the stream
  release();
  router_.onUpstreamFailure(failure, why);
}

}  // namespace courier::http
