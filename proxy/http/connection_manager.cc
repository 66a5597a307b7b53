#include "proxy/http/connection_manager.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

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
      bev_(bufferevent_socket_new(ctx.dispatcher->base(), fd, BEV_OPT_CLOSE_ON_FREE)),
      peer_ip_(peerIp(peer)),
      header_timer_(ctx.dispatcher->base(), [this] { onHeaderTimeout(); }),
      idle_timer_(ctx.dispatcher->base(), [this] { closeNow(); }),
      dispatch_timer_(ctx.dispatcher->base(), [this] { onRead(); }) {
  const auto& server = server_;
  http1::Http1ServerCodec::Settings settings;
  settings.max_header_bytes = server.max_header_bytes;
  settings.max_body_bytes = server.max_body_bytes;
  codec_ = std::make_unique<http1::Http1ServerCodec>(*this, *this, bufferevent_get_output(bev_),
                                                     settings);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bufferevent_setcb(bev_, &ConnectionManager::onReadCb, &ConnectionManager::onWriteCb,
                    &ConnectionManager::onEventCb, this);
  // Reading pauses while this much is buffered (pipelined requests waiting).
  bufferevent_setwatermark(bev_, EV_READ, 0,
                           std::max<size_t>(server.max_header_bytes * 2, 256 << 10));
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  header_timer_.arm(server.header_timeout);
  ctx_.connections.insert(this);
  gen_->stats->connectionOpened();
}

ConnectionManager::~ConnectionManager() {
  stream_.reset();
  codec_.reset();
  bufferevent_free(bev_);
}

void ConnectionManager::onReadCb(bufferevent*, void* arg) {
  static_cast<ConnectionManager*>(arg)->onRead();
}
void ConnectionManager::onWriteCb(bufferevent*, void* arg) {
  static_cast<ConnectionManager*>(arg)->onWrite();
}
void ConnectionManager::onEventCb(bufferevent*, short what, void* arg) {
  static_cast<ConnectionManager*>(arg)->onEvent(what);
}

void ConnectionManager::onRead() {
  if (closed_) return;
  evbuffer* input = bufferevent_get_input(bev_);
  if (closing_) {
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  if (read_paused_) return;
  if (codec_->awaitingHead() && !stream_ && evbuffer_get_length(input) > 0 &&
      !header_timer_.armed()) {
    idle_timer_.cancel();
    header_timer_.arm(server_.header_timeout);
  }
  codec_->dispatch(input);
}

void ConnectionManager::onWrite() {
  if (closed_) return;
  size_t queued = evbuffer_get_length(bufferevent_get_output(bev_));
  if (above_high_ && queued <= kWriteLowWatermark) {
    above_high_ = false;
    bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);
    if (stream_) stream_->onDownstreamWatermark(false);
  }
  if (closing_ && queued == 0) {
    // Everything is sent: half-close and drain what the client still sends.
    shutdown(bufferevent_getfd(bev_), SHUT_WR);
    header_timer_.arm(kLingerTime);
    bufferevent_enable(bev_, EV_READ);
  }
}

void ConnectionManager::onEvent(short what) {
  if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) closeNow();
}

void ConnectionManager::onStreamWrote() {
  if (closed_ || above_high_) return;
  if (evbuffer_get_length(bufferevent_get_output(bev_)) > kWriteHighWatermark) {
    above_high_ = true;
    bufferevent_setwatermark(bev_, EV_WRITE, kWriteLowWatermark, 0);
    if (stream_) stream_->onDownstreamWatermark(true);
  }
}

void ConnectionManager::setDownstreamReadEnabled(bool enabled) {
  if (closed_ || read_paused_ == !enabled) return;
  read_paused_ = !enabled;
  if (enabled) {
    bufferevent_enable(bev_, EV_READ);
    scheduleDispatch();  // bytes may already be waiting
  } else {
    bufferevent_disable(bev_, EV_READ);
  }
}

void ConnectionManager::scheduleDispatch() {
  if (evbuffer_get_length(bufferevent_get_input(bev_)) > 0) {
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
  if (above_high_) {
    above_high_ = false;
    bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);
  }
  if (!codec_->keepAlive() || ctx_.draining) {
    closeAfterFlush();
    return;
  }
  codec_->resetForNextRequest();
  idle_timer_.arm(server_.idle_timeout);
  if (read_paused_) setDownstreamReadEnabled(true);
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
  bufferevent_setwatermark(bev_, EV_WRITE, 0, 0);
  onWrite();  // already flushed? then half-close now
}

void ConnectionManager::drain() {
  if (closed_) return;
  codec_->disableKeepAlive();
  if (!stream_) closeNow();
}

void ConnectionManager::closeNow() {
  if (closed_) return;
  closed_ = true;
  codec_->stop();
  finishStream(true);
  header_timer_.cancel();
  idle_timer_.cancel();
  dispatch_timer_.cancel();
  bufferevent_disable(bev_, EV_READ | EV_WRITE);
  ctx_.connections.erase(this);
  gen_->stats->connectionClosed();
  ctx_.open_connections->fetch_sub(1, std::memory_order_relaxed);
  ctx_.dispatcher->deferredDelete(std::unique_ptr<event::DeferredDeletable>(this));
}

}  // namespace courier::http
