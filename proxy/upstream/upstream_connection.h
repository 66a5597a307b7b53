// UpstreamConnection: one TCP connection to an endpoint, owned by its pool
// while idle and by one upstream request while in use. Its bufferevent's
// callbacks go to whichever owner is current (setHandler); with no handler
// (idle in the pool) they go to the pool, which closes the connection.
// Not thread-safe: belongs to one worker.
#pragma once

#include <event2/bufferevent.h>

#include <chrono>
#include <memory>

#include "config/config.h"
#include "proxy/event/timer.h"

namespace courier::upstream {

class ConnPool;

class UpstreamConnectionHandler {
 public:
  virtual ~UpstreamConnectionHandler() = default;
  virtual void onUpstreamRead() = 0;
  virtual void onUpstreamWrite() = 0;
  // BEV_EVENT_* flags: connected, EOF, error, timeout.
  virtual void onUpstreamEvent(short what) = 0;
};

class UpstreamConnection {
 public:
  UpstreamConnection(event_base* base, ConnPool& pool);
  ~UpstreamConnection();
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Starts a non-blocking connect; the handler hears BEV_EVENT_CONNECTED or an error.
  bool connect(const config::SocketAddress& address);
  void setHandler(UpstreamConnectionHandler* handler) { handler_ = handler; }
  bufferevent* bev() const { return bev_; }
  evbuffer* input() const { return bufferevent_get_input(bev_); }
  evbuffer* output() const { return bufferevent_get_output(bev_); }
  ConnPool& pool() const { return pool_; }
  // Has this connection carried a request before (a reused keep-alive one)?
  bool reused() const { return requests_ > 0; }
  void countRequest() { ++requests_; }
  void setIdleSince(std::chrono::steady_clock::time_point t) { idle_since_ = t; }
  std::chrono::steady_clock::time_point idleSince() const { return idle_since_; }

 private:
  static void onRead(bufferevent*, void* arg);
  static void onWrite(bufferevent*, void* arg);
  static void onEvent(bufferevent*, short what, void* arg);

  ConnPool& pool_;
  bufferevent* bev_;
  UpstreamConnectionHandler* handler_ = nullptr;
  uint64_t requests_ = 0;
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace courier::upstream
