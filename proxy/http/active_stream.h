// ActiveStream: one request and its response on one worker.
//
// Owns the request/response messages, the filter chain (route filters, then
// the router), the stream's facts for logs and stats, and local replies.
// The stream idle timeout (route or [server] stream_idle_timeout) ends a
// stream that moves no bytes either way: 408 before the response began,
// a reset after. Waiting for the upstream's response head is not idle.
// The codec feeds it as a RequestDecoder; the chain's encode side ends in
// the codec's ResponseEncoder. Destroyed by its ConnectionManager (deferred)
// once the response is complete or the connection goes away.
#pragma once

#include <memory>

#include "proxy/http/codec.h"
#include "proxy/http/filter_chain.h"
#include "proxy/http/stream_idle_sweeper.h"
#include "proxy/server/worker_context.h"

namespace courier::http {

// What a stream needs from the downstream connection that carries it.
class StreamConnection {
 public:
  virtual ~StreamConnection() = default;
  virtual void setDownstreamReadEnabled(bool enabled) = 0;
  // Response bytes were queued: check the write buffer's high-water mark.
  virtual void onStreamWrote() = 0;
};

class ActiveStream : public event::DeferredDeletable,
                     public IdleTracked,
                     public RequestDecoder,
                     public FilterChainOwner {
 public:
  ActiveStream(WorkerContext& ctx, ResponseEncoder& encoder, StreamConnection& connection,
               std::string_view peer_ip);
  ~ActiveStream() override;

  // RequestDecoder
  void decodeHeaders(std::unique_ptr<RequestHeaders> headers, bool end_stream) override;
  void decodeData(Buffer& data, bool end_stream) override;
  void decodeTrailers(std::unique_ptr<HeaderMap> trailers) override;

  // FilterChainOwner
  RequestHeaders* requestHeaders() override { return request_headers_.get(); }
  ResponseHeaders* responseHeaders() override { return response_headers_.get(); }
  void setResponseHeaders(std::unique_ptr<ResponseHeaders> h) override {
    response_headers_ = std::move(h);
  }
  void setResponseTrailers(std::unique_ptr<HeaderMap> t) override {
    response_trailers_ = std::move(t);
  }
  HeaderMap* responseTrailers() override { return response_trailers_.get(); }
  HeaderMap* requestTrailers() override { return request_trailers_.get(); }
  void sinkHeaders(ResponseHeaders& headers, bool end_stream) override;
  void sinkData(Buffer& data, bool end_stream) override;
  void sinkTrailers(HeaderMap& trailers) override;
  void sendLocalReply(int status, std::string_view error, std::string_view message,
                      std::string_view details) override;
  StreamInfo& streamInfo() override { return info_; }
  event_base* eventBase() override;
  const WorkerServices& workerServices() override { return services_; }
  void setDownstreamReadEnabled(bool enabled) override {
    connection_.setDownstreamReadEnabled(enabled);
  }
  void onBufferLimit(bool request_direction) override;

  // The codec could not parse the request; answer and let the codec close.
  void onProtocolError(int status, std::string_view error_code, std::string_view details);
  void onDownstreamWatermark(bool above_high) {
    if (chain_) chain_->onDownstreamWatermark(above_high);
  }
  // The response is fully written (or the connection died): log and count.
  void complete(bool reset);
  // Courier made this request itself (InternalRequests); before decodeHeaders.
  void markInternal() { info_.internal = true; }

 private:
  void setForwardingHeaders();
  void writeLocalReply(int status, std::string_view error, std::string_view message);
  // IdleTracked
  bool idleTick(std::chrono::milliseconds tick) override;
  void onIdleTimeout() override;

  WorkerContext& ctx_;
  std::shared_ptr<Generation> gen_;  // the config this stream runs under
  ResponseEncoder& encoder_;
  StreamConnection& connection_;
  StreamInfo info_;
  WorkerServices services_;
  std::unique_ptr<RequestHeaders> request_headers_;
  std::unique_ptr<HeaderMap> request_trailers_;
  std::unique_ptr<ResponseHeaders> response_headers_;
  std::unique_ptr<HeaderMap> response_trailers_;
  std::unique_ptr<FilterChain> chain_;
  // Idleness, as the worker's StreamIdleSweeper sees it: activity only
  // bumps a counter.
  std::chrono::milliseconds idle_timeout_{0};
  std::chrono::milliseconds idle_for_{0};
  uint32_t activity_ = 0;
  uint32_t activity_seen_ = 0;
  bool request_complete_ = false;
  bool response_started_ = false;
  bool completed_ = false;
};

}  // namespace courier::http
