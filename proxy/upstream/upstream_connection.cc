#include "proxy/upstream/upstream_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>

#include "proxy/upstream/conn_pool.h"

namespace courier::upstream {

UpstreamConnection::UpstreamConnection(event_base* base, ConnPool& pool)
    : pool_(pool), bev_(bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE)) {
  bufferevent_setcb(bev_, &UpstreamConnection::onRead, &UpstreamConnection::onWrite,
                    &UpstreamConnection::onEvent, this);
}

UpstreamConnection::~UpstreamConnection() { bufferevent_free(bev_); }

bool UpstreamConnection::connect(const config::SocketAddress& address) {
  if (bufferevent_socket_connect(bev_, reinterpret_cast<const sockaddr*>(&address.addr),
                                 static_cast<int>(address.len)) != 0) {
    return false;
  }
  int one = 1;
  setsockopt(bufferevent_getfd(bev_), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  bufferevent_enable(bev_, EV_READ | EV_WRITE);
  return true;
}

void UpstreamConnection::onRead(bufferevent*, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  if (self->handler_) {
    self->handler_->onUpstreamRead();
  } else {
    self->pool_.onIdleActivity(self, 0);
  }
}

void UpstreamConnection::onWrite(bufferevent*, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  if (self->handler_) {
    self->handler_->onUpstreamWrite();
  } else {
    self->pool_.onIdleActivity(self, 0);
  }
}

void UpstreamConnection::onEvent(bufferevent*, short what, void* arg) {
  auto* self = static_cast<UpstreamConnection*>(arg);
  if (self->handler_) {
    self->handler_->onUpstreamEvent(what);
  } else {
    self->pool_.onIdleActivity(self, what);
  }
}

}  // namespace courier::upstream
