// RouterFilter: the last filter of every chain. Sends the request to the
// route's cluster through a pooled connection and streams the response back
// up the chain, with back-pressure both ways and the route's timeout.
//
// Failures become SPEC's JSON errors: no connection 503 upstream_unavailable,
// timeout 504 upstream_timeout, a bad or cut response 502 bad_gateway. A
// request without a body that fails on a reused keep-alive connection before
// any response byte is retried once on a fresh connection (the peer closed
// the idle connection as we used it; nothing reached the origin's handler).
//
// h2c clusters go through RouterH2Upstream (one stream on a multiplexed
// connection) with the same errors and back-pressure; there a request
// without a body whose stream the origin refused (REFUSED_STREAM, or above
// a GOAWAY's last stream id) is retried once.
#pragma once

#include <chrono>
#include <memory>

#include "config/config.h"
#include "proxy/event/timer.h"
#include "proxy/http/filter.h"
#include "proxy/http/http1_client_codec.h"
#include "proxy/http/router_h2_upstream.h"
#include "proxy/server/worker_context.h"
#include "proxy/upstream/conn_pool.h"

namespace courier::http {

class RouterFilter : public StreamFilter,
                     public upstream::PoolCallbacks,
                     public upstream::UpstreamConnectionHandler,
                     public http1::ClientCodecCallbacks,
                     public RouterH2Callbacks {
 public:
  RouterFilter(WorkerContext& ctx, Generation& generation, const config::RouteConfig& route);
  ~RouterFilter() override;

  // StreamFilter
  FilterHeadersStatus decodeHeaders(RequestHeaders& headers, bool end_stream) override;
  FilterDataStatus decodeData(Buffer& data, bool end_stream) override;
  FilterTrailersStatus decodeTrailers(HeaderMap& trailers) override;
  bool wantsDecodeBody() const override { return true; }
  void onDownstreamWatermark(bool above_high) override;
  void onDestroy() override;

  // upstream::PoolCallbacks
  void onPoolReady(std::unique_ptr<upstream::UpstreamConnection> connection) override;
  void onPoolFailure(std::string_view reason, bool timeout) override;
  // upstream::UpstreamConnectionHandler
  void onUpstreamReadable() override;
  void onUpstreamDrained() override;
  void onUpstreamClosed(const std::string& error) override;
  // http1::ClientCodecCallbacks and RouterH2Callbacks
  void onResponseHeaders(std::unique_ptr<ResponseHeaders> headers, bool end_stream) override;
  void onResponseData(Buffer& data, bool end_stream) override;
  void onResponseTrailers(std::unique_ptr<HeaderMap> trailers) override;
  void onResponseError(std::string_view reason) override;
  // RouterH2Callbacks
  void onUpstreamFailure(UpstreamFailure failure, std::string_view details) override;
  void onRequestBodyReadEnabled(bool enabled) override;

 private:
  void connect();
  void connectH2();
  void sendRequest();
  void checkUpstreamWriteWatermark();
  void onTimeout();
  void upstreamFailed(int status, std::string_view error, std::string_view message,
                      std::string_view details);
  void finishExchange();
  void releaseConnection(bool reuse);

  WorkerContext& ctx_;
  Generation& gen_;  // kept alive by the stream
  const config::RouteConfig& route_;
  RequestHeaders* request_ = nullptr;
  upstream::ConnPool* pool_ = nullptr;
  upstream::PendingConnect* pending_ = nullptr;
  std::unique_ptr<upstream::UpstreamConnection> connection_;
  std::unique_ptr<http1::Http1ClientCodec> codec_;
  std::unique_ptr<RouterH2Upstream> h2_;  // h2c clusters, instead of connection_ and codec_
  Buffer pending_body_;                   // request bytes that arrived before the connection
  HeaderMap* pending_trailers_ = nullptr;
  event::Timer timeout_;
  std::chrono::steady_clock::time_point upstream_start_;
  bool request_end_ = false;  // the whole request has arrived from downstream
  bool request_had_body_ = false;
  bool response_started_ = false;
  bool downstream_paused_ = false;  // we asked downstream to stop reading
  bool upstream_paused_ = false;    // downstream is full: upstream reads stopped
  bool retried_ = false;
  bool finished_ = false;
  bool in_flight_counted_ = false;
};

}  // namespace courier::http
