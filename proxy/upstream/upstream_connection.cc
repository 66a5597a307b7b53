#include "proxy/upstream/upstream_connection.h"

#include "proxy/upstream/conn_pool.h"

namespace courier::upstream {

UpstreamConnection::UpstreamConnection(event::Dispatcher& dispatcher, ConnPool& pool)
    : pool_(pool), socket_(dispatcher, -1, this) {}

bool UpstreamConnection::connect(const config::SocketAddress& address, std::string& error) {
  return socket_.connect(reinterpret_cast<const sockaddr*>(&address.addr), address.len, error);
}

void UpstreamConnection::onSocketReadable() {
  if (handler_) {
    handler_->onUpstreamReadable();
  } else {
    pool_.onIdleActivity(this);
  }
}

void UpstreamConnection::onSocketClosed(const std::string& error) {
  if (handler_) {
    handler_->onUpstreamClosed(error);
  } else {
    pool_.onIdleActivity(this);
  }
}

void UpstreamConnection::onSocketConnected() {
  if (handler_) handler_->onUpstreamConnected();
}

void UpstreamConnection::onSocketDrained() {
  if (handler_) handler_->onUpstreamDrained();
}

}  // namespace courier::upstream
