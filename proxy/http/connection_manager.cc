#include "proxy/http/connection_manager.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "proxy/server/stream_stats.h"

namespace courier::http {
namespace {
constexpr size_t kWriteHighWatermark = 1 << 20;
constexpr size_t kWriteLowWatermark = 256 << 10;
// After the final response, unread request bytes are drained this long so
// the client reads the answer instead of a TCP reset.
constexpr std::chrono::milliseconds kLingerTime{2000};

std::string peerIp(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, buf, sizeof buf);
  }
  return buf;
}
}  // namespace

ConnectionManager::ConnectionManager(WorkerContext& ctx, evutil_socket_t fd, const sockaddr* peer)
    : ctx_(ctx),
      server_(ctx.generation->config->server),
      gen_(ctx.generation),
      socket_(*ctx.dispatcher, fd, this),
      peer_ip_(peerIp(peer)),
      header_timer_(ctx.dispatcher->base(), [this] { onHeaderTimeout(); }),
      idle_timer_(ctx.dispatcher->base(), [this] { closeNow(); }),
      dispatch_timer_(ctx.dispatcher->base(), [this] { onRead(); }) {
  http1::Http1ServerCodec::Settings settings;
  settings.max_header_bytes = server_.max_header_bytes;
  settings.max_body_bytes = server_.max_body_bytes;
  codec_ = std::make_unique<http1::Http1ServerCodec>(*this, *this, socket_.output(), settings);
  // Reading pauses while this much is buffered (pipelined requests waiting).
  socket_.setReadLimit(std::max<size_t>(server_.max_header_bytes * 2, 256 << 10));
  header_timer_.arm(ctx_.dispatcher->commonTimeout(server_.header_timeout));
  ctx_.connections.insert(this);
  gen_->stats->connectionOpened();
}

ConnectionManager::~ConnectionManager() {
  h2_.reset();
  stream_.reset();
  codec_.reset();
}

void ConnectionManager::onRead() {
  if (closed_) return;
  evbuffer* input = socket_.input();
  if (closing_) {
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  if (!sniffed_ && !sniffProtocol(input)) return;  // may switch to HTTP/2
  if (h2_) {
    h2_->onRead();
    if (!closed_) socket_.checkReadLimit();
    return;
  }
  if (read_paused_) return;
  if (codec_->awaitingHead() && !stream_ && evbuffer_get_length(input) > 0 &&
      !header_timer_.armed()) {
    idle_timer_.cancel();
    header_timer_.arm(ctx_.dispatcher->commonTimeout(server_.header_timeout));
  }
  codec_->dispatch(input);
  if (closed_) return;
  if (socket_.outputLength() > 0) socket_.scheduleWrite();  // e.g. 100 Continue
  socket_.checkReadLimit();
}

bool ConnectionManager::sniffProtocol(evbuffer* input) {
  static constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
  char head[kPreface.size()];
  size_t n = std::min(evbuffer_get_length(input), kPreface.size());
  evbuffer_copyout(input, head, n);
  if (std::string_view(head, n) != kPreface.substr(0, n)) {
    sniffed_ = true;  // HTTP/1.1
    return true;
  }
  if (n < kPreface.size()) return false;  // could still be either
  sniffed_ = true;
  header_timer_.cancel();
  idle_timer_.cancel();
  codec_->stop();
  socket_.setCoalesceWrites(true);
  h2_ = std::make_unique<http2::ServerConnection>(ctx_, server_, socket_, *this, peer_ip_);
  return true;
}

void ConnectionManager::onSocketDrained() {
  if (closed_) return;
  if (closing_) {
    if (!header_timer_.armed()) header_timer_.arm(kLingerTime);
    return;
  }
  if (h2_) {
    h2_->onDrained();
    return;
  }
  if (above_high_) {
    above_high_ = false;
    if (stream_) stream_->onDownstreamWatermark(false);
  }
}

void ConnectionManager::onSocketClosed(const std::string&) {
  closeNow();
}

void ConnectionManager::onStreamWrote() {
  if (closed_) return;
  socket_.scheduleWrite();
  if (!above_high_ && socket_.outputLength() > kWriteHighWatermark) {
    above_high_ = true;
    socket_.notifyWhenDrained(kWriteLowWatermark);
    if (stream_) stream_->onDownstreamWatermark(true);
  }
}

void ConnectionManager::setDownstreamReadEnabled(bool enabled) {
  if (closed_ || read_paused_ == !enabled) return;
  read_paused_ = !enabled;
  socket_.setReadEnabled(enabled);
  if (enabled) scheduleDispatch();  // bytes may already be waiting
}

void ConnectionManager::scheduleDispatch() {
  if (evbuffer_get_length(socket_.input()) > 0) {
    dispatch_timer_.arm(std::chrono::milliseconds(0));
  }
}

RequestDecoder& ConnectionManager::newStream(ResponseEncoder& encoder) {
  header_timer_.cancel();
  idle_timer_.cancel();
  stream_ = std::make_unique<ActiveStream>(ctx_, encoder, *this, peer_ip_);
  return *stream_;
}

void ConnectionManager::onProtocolError(int status, std::string_view error_code,
                                        std::string_view details) {
  header_timer_.cancel();
  if (!stream_) stream_ = std::make_unique<ActiveStream>(ctx_, *codec_, *this, peer_ip_);
  stream_->onProtocolError(status, error_code, details);
}

void ConnectionManager::onHeaderTimeout() {
  if (closing_) {  // the linger time is over
    closeNow();
    return;
  }
  codec_->disableKeepAlive();
  onProtocolError(408, "request_timeout", "the request head did not arrive in time");
}

void ConnectionManager::finishStream(bool reset) {
  if (!stream_) return;
  stream_->complete(reset);
  ctx_.dispatcher->deferredDelete(std::move(stream_));
}

void ConnectionManager::onResponseComplete() {
  finishStream(false);
  if (closed_) return;
  above_high_ = false;
  if (!codec_->keepAlive() || ctx_.draining) {
    closeAfterFlush();
    return;
  }
  idle_timer_.arm(ctx_.dispatcher->commonTimeout(server_.idle_timeout));
  if (read_paused_) setDownstreamReadEnabled(true);
  // The rest of an unread request body goes first; onRequestBodyDiscarded
  // then opens the connection to the next request.
  if (codec_->discardingBody()) {
    scheduleDispatch();
    return;
  }
  codec_->resetForNextRequest();
  scheduleDispatch();
}

void ConnectionManager::onRequestBodyDiscarded() {
  if (closed_) return;
  if (ctx_.draining) {
    closeAfterFlush();
    return;
  }
  codec_->resetForNextRequest();
  scheduleDispatch();
}

void ConnectionManager::onResponseReset() {
  finishStream(true);
  closeNow();
}

void ConnectionManager::closeAfterFlush() {
  if (closing_ || closed_) return;
  closing_ = true;
  codec_->stop();
  idle_timer_.cancel();
  header_timer_.cancel();
  // FIN after the response; then drain what the client still sends, so it
  // reads our answer rather than a reset, until it closes or time runs out.
  socket_.scheduleWrite();
  socket_.shutdownWrite();
  socket_.setReadLimit(SIZE_MAX);
  socket_.setReadEnabled(true);
  socket_.notifyWhenDrained(0);  // then the linger time starts
  idle_timer_.arm(
      ctx_.dispatcher->commonTimeout(server_.idle_timeout));  // bound for a client that never reads
}

void ConnectionManager::drain() {
  if (closed_) return;
  if (h2_) {
    h2_->drain();
    return;
  }
  codec_->disableKeepAlive();
  if (!stream_) closeNow();
}

void ConnectionManager::closeNow() {
  if (closed_) return;
  closed_ = true;
  codec_->stop();
  if (h2_) h2_->shutdown();
  finishStream(true);
  header_timer_.cancel();
  idle_timer_.cancel();
  dispatch_timer_.cancel();
  socket_.setReadEnabled(false);
  ctx_.connections.erase(this);
  gen_->stats->connectionClosed();
  ctx_.open_connections->fetch_sub(1, std::memory_order_relaxed);
  ctx_.dispatcher->deferredDelete(std::unique_ptr<event::DeferredDeletable>(this));
}

}  // namespace courier::http
