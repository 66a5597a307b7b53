#include "proxy/upstream/h2_conn_pool.h"

#include <string>
#include <vector>

#include "proxy/upstream/h2_capacity.h"

namespace courier::upstream {

struct H2ConnPool::Waiter {
  H2PoolCallbacks* callbacks;
  std::list<std::unique_ptr<Waiter>>::iterator slot;
};

H2ConnPool::H2ConnPool(event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
                       const config::SocketAddress& endpoint, size_t max_header_bytes)
    : dispatcher_(dispatcher),
      cluster_(cluster),
      endpoint_(endpoint),
      max_header_bytes_(max_header_bytes) {}

H2ConnPool::~H2ConnPool() = default;

H2ConnPool::Waiter* H2ConnPool::newStream(H2PoolCallbacks& callbacks) {
  if (waiters_.empty()) {
    if (H2ClientConnection* c = withRoom()) {
      callbacks.onPoolReady(*c);
      return nullptr;
    }
  }
  waiters_.push_back(std::make_unique<Waiter>(Waiter{&callbacks, {}}));
  Waiter* waiter = waiters_.back().get();
  waiter->slot = std::prev(waiters_.end());
  startConnections();
  return waiter;
}

void H2ConnPool::cancel(Waiter* waiter) {
  // The connection it waited for keeps connecting: the next requester, or
  // the idle timeout, has it.
  waiters_.erase(waiter->slot);
}

void H2ConnPool::closeIdle() {
  std::vector<H2ClientConnection*> idle;
  for (auto& c : connections_)
    if (c->ready() && c->openStreams() == 0) idle.push_back(c.get());
  for (H2ClientConnection* c : idle) c->close("closing idle connections");
}

H2ClientConnection* H2ConnPool::withRoom() const {
  for (auto& c : connections_)
    if (c->capacity() > 0) return c.get();
  return nullptr;
}

size_t H2ConnPool::connectingCount() const {
  size_t n = 0;
  for (auto& c : connections_) n += c->connecting();
  return n;
}

void H2ConnPool::startConnections() {
  size_t n = h2::connectionsToStart(waiters_.size(), connectingCount());
  H2ConnectionOwner& owner = *this;
  for (size_t i = 0; i < n; ++i) {
    connections_.push_back(
        std::make_unique<H2ClientConnection>(dispatcher_, owner, cluster_, max_header_bytes_));
    H2ClientConnection* c = connections_.back().get();
    c->slot = std::prev(connections_.end());
    c->connect(endpoint_);  // reports failures later, from the loop
  }
}

void H2ConnPool::serveWaiters() {
  // A requester's onPoolReady can close a stream or end a connection, which
  // calls back here: the outer loop carries on instead.
  if (serving_) return;
  serving_ = true;
  while (!waiters_.empty()) {
    H2ClientConnection* c = withRoom();
    if (!c) break;
    std::unique_ptr<Waiter> waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->callbacks->onPoolReady(*c);
  }
  serving_ = false;
  if (!waiters_.empty()) startConnections();
}

void H2ConnPool::failWaiters(std::string_view reason, bool timeout) {
  // The waiters no other connect is assumed to take fail (oldest first:
  // they have waited longest).
  std::string why(reason);
  size_t fail = h2::waitersToFail(waiters_.size(), connectingCount());
  for (size_t i = 0; i < fail && !waiters_.empty(); ++i) {
    std::unique_ptr<Waiter> waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->callbacks->onPoolFailure(why, timeout);
  }
}

void H2ConnPool::onConnectionReady(H2ClientConnection& connection) {
  if (connection.capacity() == 0 && connection.openStreams() == 0) {
    // SETTINGS_MAX_CONCURRENT_STREAMS = 0: more connections would say the
    // same, so this counts as a failed connect.
    failWaiters("upstream allows no streams", false);
    connection.close("upstream allows no streams");
    return;
  }
  serveWaiters();
}

void H2ConnPool::onConnectionCapacity(H2ClientConnection&) {
  if (!waiters_.empty()) serveWaiters();
}

void H2ConnPool::onConnectionClosed(H2ClientConnection& connection, std::string_view reason,
                                    bool ready, bool timeout) {
  auto owned = std::move(*connection.slot);
  connections_.erase(connection.slot);
  // Deferred: this runs inside the connection's own callbacks.
  dispatcher_.deferredDelete(std::move(owned));
  if (ready) {
    if (!waiters_.empty()) startConnections();
    return;
  }
  failWaiters(reason, timeout);
}

}  // namespace courier::upstream
