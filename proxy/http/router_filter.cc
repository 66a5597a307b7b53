#include "proxy/http/router_filter.h"

#include "proxy/common/log.h"
#include "proxy/router/rewrite.h"
#include "proxy/server/stream_stats.h"
#include "proxy/upstream/cluster_manager.h"

namespace courier::http {
namespace {
// Request bytes buffered toward a slow upstream before downstream reads pause.
constexpr size_t kHighWatermark = 1 << 20;
constexpr size_t kLowWatermark = 256 << 10;
}  // namespace

RouterFilter::RouterFilter(WorkerContext& ctx, Generation& generation,
                           const config::RouteConfig& route)
    : ctx_(ctx),
      gen_(generation),
      route_(route),
      timeout_(ctx.dispatcher->base(), [this] { onTimeout(); }) {}

RouterFilter::~RouterFilter() {
  onDestroy();
}

FilterHeadersStatus RouterFilter::decodeHeaders(RequestHeaders& headers, bool end_stream) {
  request_ = &headers;
  request_end_ = end_stream;
  request_had_body_ = !end_stream;
  if (route_.prefix_rewrite) headers.setPath(router::applyPrefixRewrite(route_, headers.path));
  if (route_.host_rewrite) headers.setAuthority(*route_.host_rewrite);
  timeout_.arm(ctx_.dispatcher->commonTimeout(route_.timeout));
  upstream_start_ = std::chrono::steady_clock::now();
  connect();
  return FilterHeadersStatus::Continue;
}

void RouterFilter::connect() {
  if (gen_.clusters.isH2(route_.cluster_index)) return connectH2();
  pool_ = &gen_.clusters.pickPool(route_.cluster_index);
  pool_->requestStarted();
  in_flight_counted_ = true;
  callbacks_->streamInfo().upstream_address = pool_->endpoint().text;
  pending_ = pool_->newConnection(*this);
}

void RouterFilter::connectH2() {
  upstream::H2ConnPool& pool = gen_.clusters.pickH2Pool(route_.cluster_index);
  callbacks_->streamInfo().upstream_address = pool.endpoint().text;
  if (!h2_) {
    h2_ = std::make_unique<RouterH2Upstream>(*this);
    if (upstream_paused_) h2_->setResponseReadEnabled(false);
  }
  h2_->start(pool, *request_, !request_had_body_);
}

FilterDataStatus RouterFilter::decodeData(Buffer& data, bool end_stream) {
  request_end_ = request_end_ || end_stream;
  if (finished_) {
    // The exchange ended early (an upstream answer or failure before the
    // upload finished): the rest of the body has nowhere to go.
    data.clear();
  } else if (h2_) {
    h2_->encodeData(data, end_stream);
  } else if (codec_) {
    codec_->encodeData(data, end_stream);
    checkUpstreamWriteWatermark();
  } else {
    pending_body_.move(data);
    if (pending_body_.length() > kHighWatermark && !downstream_paused_) {
      downstream_paused_ = true;
      callbacks_->setDownstreamReadEnabled(false);
    }
  }
  return FilterDataStatus::Continue;
}

FilterTrailersStatus RouterFilter::decodeTrailers(HeaderMap& trailers) {
  request_end_ = true;
  if (finished_) {
    // as in decodeData
  } else if (h2_) {
    h2_->encodeTrailers(trailers);
  } else if (codec_) {
    codec_->encodeTrailers(trailers);
    checkUpstreamWriteWatermark();
  } else {
    pending_trailers_ = &trailers;
  }
  return FilterTrailersStatus::Continue;
}

void RouterFilter::onPoolReady(std::unique_ptr<upstream::UpstreamConnection> connection) {
  pending_ = nullptr;
  connection_ = std::move(connection);
  connection_->setHandler(this);
  connection_->countRequest();
  connection_->socket().setReadEnabled(!upstream_paused_);
  codec_ = std::make_unique<http1::Http1ClientCodec>(*this, connection_->output(),
                                                     gen_.config->server.max_header_bytes);
  sendRequest();
}

void RouterFilter::sendRequest() {
  codec_->encodeHeaders(*request_, !request_had_body_);
  if (request_had_body_) {
    if (!pending_body_.empty() || (request_end_ && !pending_trailers_)) {
      codec_->encodeData(pending_body_, request_end_ && !pending_trailers_);
    }
    if (pending_trailers_) codec_->encodeTrailers(*pending_trailers_);
  }
  if (downstream_paused_ && pending_body_.empty()) {
    downstream_paused_ = false;
    callbacks_->setDownstreamReadEnabled(true);
  }
  checkUpstreamWriteWatermark();
}

void RouterFilter::checkUpstreamWriteWatermark() {
  event::StreamSocket& socket = connection_->socket();
  socket.scheduleWrite();
  if (socket.outputLength() > kHighWatermark && !downstream_paused_) {
    downstream_paused_ = true;
    callbacks_->setDownstreamReadEnabled(false);
    socket.notifyWhenDrained(kLowWatermark);
  }
}

void RouterFilter::onUpstreamDrained() {
  if (downstream_paused_) {
    downstream_paused_ = false;
    callbacks_->setDownstreamReadEnabled(true);
  }
}

void RouterFilter::onUpstreamReadable() {
  if (codec_) codec_->dispatch(connection_->input());
}

void RouterFilter::onUpstreamClosed(const std::string& error) {
  if (!error.empty()) LOG_DEBUG("upstream connection error: %s", error.c_str());
  if (codec_ && codec_->onUpstreamClosed()) return;  // a close-delimited body ended
  if (finished_) return;
  if (!response_started_ && !retried_ && connection_ && connection_->reused() &&
      !request_had_body_) {
    // A keep-alive connection the origin closed as we reused it: try a fresh one.
    retried_ = true;
    releaseConnection(false);
    codec_.reset();
    connect();
    return;
  }
  upstreamFailed(502, "bad_gateway", "upstream closed the connection before the response ended",
                 "upstream_reset");
}

void RouterFilter::onPoolFailure(std::string_view reason, bool timeout) {
  pending_ = nullptr;
  LOG_DEBUG("upstream connect to %s failed: %.*s", pool_->endpoint().text.c_str(),
            static_cast<int>(reason.size()), reason.data());
  stats::upstreamConnectFailure(gen_, route_.cluster_index);
  upstreamFailed(503, "upstream_unavailable", "the upstream service is unreachable",
                 timeout ? "upstream_connect_timeout" : "upstream_connect_failure");
}

void RouterFilter::onResponseHeaders(std::unique_ptr<ResponseHeaders> headers, bool end_stream) {
  response_started_ = true;
  stats::upstreamFirstByte(gen_, route_,
                           std::chrono::steady_clock::now() - callbacks_->streamInfo().start);
  if (end_stream) finishExchange();
  callbacks_->encodeHeaders(std::move(headers), end_stream);
}

void RouterFilter::onResponseData(Buffer& data, bool end_stream) {
  if (end_stream) finishExchange();
  callbacks_->encodeData(data, end_stream);
}

void RouterFilter::onResponseTrailers(std::unique_ptr<HeaderMap> trailers) {
  finishExchange();
  callbacks_->encodeTrailers(std::move(trailers));
}

void RouterFilter::onResponseError(std::string_view reason) {
  LOG_DEBUG("bad upstream response from %s: %.*s", pool_->endpoint().text.c_str(),
            static_cast<int>(reason.size()), reason.data());
  upstreamFailed(502, "bad_gateway", "the upstream sent a malformed response",
                 "upstream_malformed_response");
}

void RouterFilter::onUpstreamFailure(UpstreamFailure failure, std::string_view details) {
  LOG_DEBUG("upstream h2 request failed: %.*s", static_cast<int>(details.size()), details.data());
  switch (failure) {
    case UpstreamFailure::ConnectFailure:
    case UpstreamFailure::ConnectTimeout:
      stats::upstreamConnectFailure(gen_, route_.cluster_index);
      return upstreamFailed(503, "upstream_unavailable", "the upstream service is unreachable",
                            failure == UpstreamFailure::ConnectTimeout
                                ? "upstream_connect_timeout"
                                : "upstream_connect_failure");
    case UpstreamFailure::Refused:
      if (!response_started_ && !retried_ && !request_had_body_ && !finished_) {
        // The origin did not process it (e.g. it was going away): once more.
        retried_ = true;
        return connectH2();
      }
      return upstreamFailed(503, "upstream_unavailable", "the upstream refused the request",
                            "upstream_refused_stream");
    case UpstreamFailure::Reset:
      return upstreamFailed(502, "bad_gateway", "the upstream reset the request", "upstream_reset");
    case UpstreamFailure::BadResponse:
      return upstreamFailed(502, "bad_gateway", "the upstream sent a malformed response",
                            "upstream_malformed_response");
  }
}

void RouterFilter::onRequestBodyReadEnabled(bool enabled) {
  if (finished_ || downstream_paused_ == !enabled) return;
  downstream_paused_ = !enabled;
  callbacks_->setDownstreamReadEnabled(enabled);
}

void RouterFilter::onTimeout() {
  upstreamFailed(504, "upstream_timeout", "the upstream did not answer in time",
                 "upstream_timeout");
}

void RouterFilter::upstreamFailed(int status, std::string_view error, std::string_view message,
                                  std::string_view details) {
  if (finished_) return;
  finished_ = true;
  timeout_.cancel();
  if (pending_) {
    pool_->cancel(pending_);
    pending_ = nullptr;
  }
  releaseConnection(false);
  // sendLocalReply resets the downstream instead if the response has begun.
  callbacks_->sendLocalReply(status, error, message, details);
}

void RouterFilter::finishExchange() {
  if (finished_) return;
  finished_ = true;
  timeout_.cancel();
  stats::upstreamRequestDone(gen_, route_.cluster_index,
                             std::chrono::steady_clock::now() - upstream_start_);
  // The response is complete; the connection goes back only if the request
  // was fully sent too (a body still streaming would desync the next user).
  releaseConnection(codec_ && codec_->reusable());
}

void RouterFilter::releaseConnection(bool reuse) {
  if (h2_) h2_->release();
  if (in_flight_counted_) {
    pool_->requestFinished();
    in_flight_counted_ = false;
  }
  if (!connection_) return;
  connection_->setHandler(nullptr);
  if (reuse && evbuffer_get_length(connection_->input()) == 0) {
    pool_->release(std::move(connection_));
  } else {
    pool_->destroy(std::move(connection_));
  }
}

void RouterFilter::onDownstreamWatermark(bool above_high) {
  upstream_paused_ = above_high;
  if (h2_) h2_->setResponseReadEnabled(!above_high);
  if (!connection_) return;
  connection_->socket().setReadEnabled(!above_high);
}

void RouterFilter::onDestroy() {
  timeout_.cancel();
  if (pending_) {
    pool_->cancel(pending_);
    pending_ = nullptr;
  }
  if (!finished_) {
    finished_ = true;
    releaseConnection(false);  // mid-exchange: the connection's state is unknown
  }
}

}  // namespace courier::http
