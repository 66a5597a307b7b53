// H2ConnPool: multiplexed HTTP/2 (h2c) connections to one endpoint, for one
// worker: the h2c counterpart of ConnPool.
//
// newStream() hands the requester a connection with room for one more
// stream at once if there is one (the oldest such, so streams pack onto few
// connections); otherwise the requester waits while a connection connects
// (each is assumed to take 100 streams until its peer's SETTINGS say how
// many; more connections start when the waiters exceed that). Waiters are
// served as connections become ready or streams close; a connection that
// fails before it is ready fails the waiters no other connecting one is
// assumed to take. No locks: one pool per worker.
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <string_view>

#include "config/config.h"
#include "proxy/upstream/h2_client_connection.h"

namespace courier::upstream {

class H2PoolCallbacks {
 public:
  virtual ~H2PoolCallbacks() = default;
  // `connection` has room: start the stream now (connection.startStream).
  virtual void onPoolReady(H2ClientConnection& connection) = 0;
  // `timeout`: the connect timed out rather than failed.
  virtual void onPoolFailure(std::string_view reason, bool timeout) = 0;
};

class H2ConnPool : private H2ConnectionOwner {
 public:
  struct Waiter;  // a requester waiting for room; defined in h2_conn_pool.cc

  H2ConnPool(event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
             const config::SocketAddress& endpoint, size_t max_header_bytes);
  ~H2ConnPool() override;
  H2ConnPool(const H2ConnPool&) = delete;
  H2ConnPool& operator=(const H2ConnPool&) = delete;

  // Either calls onPoolReady before returning (returns nullptr) or returns a
  // handle to cancel() while the requester waits. Never fails synchronously.
  Waiter* newStream(H2PoolCallbacks& callbacks);
  void cancel(Waiter* waiter);
  // Closes every connection without streams (drain and shutdown).
  void closeIdle();

  const config::SocketAddress& endpoint() const { return endpoint_; }
  // Requests in flight through this pool (for least_request).
  uint32_t activeRequests() const { return active_requests_; }
  void requestStarted() { ++active_requests_; }
  void requestFinished() { --active_requests_; }
  size_t connectionCount() const { return connections_.size(); }

 private:
  // H2ConnectionOwner
  void onConnectionReady(H2ClientConnection& connection) override;
  void onConnectionCapacity(H2ClientConnection& connection) override;
  void onConnectionClosed(H2ClientConnection& connection, std::string_view reason, bool ready,
                          bool timeout) override;

  H2ClientConnection* withRoom() const;
  size_t connectingCount() const;
  void serveWaiters();
  void startConnections();
  void failWaiters(std::string_view reason, bool timeout);

  event::Dispatcher& dispatcher_;
  const config::ClusterConfig& cluster_;
  config::SocketAddress endpoint_;
  size_t max_header_bytes_;
  std::list<std::unique_ptr<H2ClientConnection>> connections_;  // oldest first
  std::list<std::unique_ptr<Waiter>> waiters_;                  // oldest first
  uint32_t active_requests_ = 0;
  bool serving_ = false;  // inside serveWaiters()
};

}  // namespace courier::upstream
