// RouterH2Upstream: the router's request to an h2c cluster, as one stream
// on a pooled, multiplexed HTTP/2 connection (the HTTP/1.1 path keeps a
// whole connection per request inside RouterFilter).
//
// It waits for the pool, starts the stream with the request head, streams
// the body (buffered here only until the stream exists), forwards the
// response to the router, and carries back-pressure both ways: the client
// pauses when the body queued toward the origin passes 1 MiB, and the
// stream's receive window stops while the client is full.
//
// Lifetime: owned by the RouterFilter for its stream's life. release() ends
// the current exchange (resets the stream if it is unfinished); start() may
// then begin another (the router's one retry). Callbacks to the router run
// inside nghttp2's callbacks; the router may call release() or start() from
// them. One worker.
#pragma once

#include <memory>
#include <string_view>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"
#include "proxy/upstream/h2_conn_pool.h"

namespace courier::http {

enum class UpstreamFailure {
  ConnectFailure,
  ConnectTimeout,
  Refused,      // the origin did not process the request: safe to retry
  Reset,        // the stream or connection ended mid-exchange
  BadResponse,  // malformed response
};

// What the router hears from its h2 upstream request.
class RouterH2Callbacks {
 public:
  virtual ~RouterH2Callbacks() = default;
  virtual void onResponseHeaders(std::unique_ptr<ResponseHeaders> headers, bool end_stream) = 0;
  virtual void onResponseData(Buffer& data, bool end_stream) = 0;
  virtual void onResponseTrailers(std::unique_ptr<HeaderMap> trailers) = 0;
  // The exchange is over (release() has been done).
  virtual void onUpstreamFailure(UpstreamFailure failure, std::string_view details) = 0;
  // Pause (false) or resume (true) reading the client's request body.
  virtual void onRequestBodyReadEnabled(bool enabled) = 0;
};

class RouterH2Upstream : private upstream::H2PoolCallbacks, private upstream::H2StreamCallbacks {
 public:
  explicit RouterH2Upstream(RouterH2Callbacks& router) : router_(router) {}
  ~RouterH2Upstream() override { release(); }
  RouterH2Upstream(const RouterH2Upstream&) = delete;
  RouterH2Upstream& operator=(const RouterH2Upstream&) = delete;

  // Sends `request` (which must outlive the exchange) through `pool`.
  // `end_stream`: the request has no body.
  void start(upstream::H2ConnPool& pool, const RequestHeaders& request, bool end_stream);
  // Body and trailers from the client; drained (or held until the stream exists).
  void encodeData(Buffer& data, bool end_stream);
  void encodeTrailers(HeaderMap& trailers);
  // Back-pressure from the client side of the response.
  void setResponseReadEnabled(bool enabled);
  // Ends the exchange: stops waiting, resets an unfinished stream, and stops
  // counting the request against the pool. Idempotent.
  void release();

 private:
  // upstream::H2PoolCallbacks
  void onPoolReady(upstream::H2ClientConnection& connection) override;
  void onPoolFailure(std::string_view reason, bool timeout) override;
  // upstream::H2StreamCallbacks
  void onResponseHeaders(std::unique_ptr<ResponseHeaders> headers, bool end_stream) override;
  void onResponseData(Buffer& data, bool end_stream) override;
  void onResponseTrailers(std::unique_ptr<HeaderMap> trailers) override;
  void onStreamFailure(upstream::H2StreamFailure failure, std::string_view details) override;
  void onRequestBodyWatermark(bool above_high) override;

  void failed(UpstreamFailure failure, std::string_view details);

  RouterH2Callbacks& router_;
  upstream::H2ConnPool* pool_ = nullptr;  // counted in its activeRequests while set
  upstream::H2ConnPool::Waiter* waiter_ = nullptr;
  upstream::H2Stream* stream_ = nullptr;
  const RequestHeaders* request_ = nullptr;
  Buffer pending_body_;  // body that arrived before the stream
  HeaderMap* pending_trailers_ = nullptr;
  bool request_end_ = false;       // the whole request has arrived from the client
  bool headers_end_ = false;       // the request has no body
  bool response_paused_ = false;   // the client is full
  bool body_paused_ = false;       // we paused the client's body while waiting
  bool stream_body_high_ = false;  // the stream paused it (its body over the watermark)
};

}  // namespace courier::http
