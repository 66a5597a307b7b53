// ConnPool: keep-alive connections to one endpoint, for one worker.
//
// newConnection() hands out the most recently used idle connection at once
// (warm caches, and the oldest ones age out), or connects a new one within
// the cluster's connect_timeout. Idle connections that the peer closes or
// that idle past idle_timeout are closed. No locks: one pool per worker.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/event/timer.h"
#include "proxy/upstream/upstream_connection.h"

namespace courier::upstream {

class PoolCallbacks {
 public:
  virtual ~PoolCallbacks() = default;
  virtual void onPoolReady(std::unique_ptr<UpstreamConnection> connection) = 0;
  // `timeout`: the connect timed out rather than failed.
  virtual void onPoolFailure(std::string_view reason, bool timeout) = 0;
};

class PendingConnect;  // defined in conn_pool.cc

class ConnPool {
 public:
  ConnPool(event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
           const config::SocketAddress& endpoint);
  ~ConnPool();
  ConnPool(const ConnPool&) = delete;
  ConnPool& operator=(const ConnPool&) = delete;

  // Either calls onPoolReady before returning (an idle connection; returns
  // nullptr) or returns a handle to cancel() while the connect is under way.
  PendingConnect* newConnection(PoolCallbacks& callbacks);
  void cancel(PendingConnect* pending);
  // Returns a connection that finished an exchange cleanly.
  void release(std::unique_ptr<UpstreamConnection> connection);
  // An idle connection saw data or an event: it is no longer usable.
  void onIdleActivity(UpstreamConnection* connection);
  // Closes a connection after the current callback (it may be running one).
  void destroy(std::unique_ptr<UpstreamConnection> connection);

  const config::SocketAddress& endpoint() const { return endpoint_; }
  // Requests in flight through this pool (for least_request).
  uint32_t activeRequests() const { return active_requests_; }
  void requestStarted() { ++active_requests_; }
  void requestFinished() { --active_requests_; }
  // Close every idle connection (drain and shutdown).
  void closeIdle() { idle_.clear(); }

 private:
  friend class PendingConnect;  // defined in conn_pool.cc
  void finishPending(PendingConnect* pending);
  void sweepIdle();

  event::Dispatcher& dispatcher_;
  const config::ClusterConfig& cluster_;
  config::SocketAddress endpoint_;
  // Lists, so a connection leaves from anywhere in O(1): a pool may hold
  // thousands when many requests are in flight at once.
  UpstreamConnection::IdleList idle_;  // most recently used last
  std::list<std::unique_ptr<PendingConnect>> pending_;
  event::Timer sweep_timer_;
  uint32_t active_requests_ = 0;
};

}  // namespace courier::upstream
