// UpstreamConnection: one TCP connection to an endpoint, owned by its pool
// while idle and by one upstream request while in use. Socket events go to
// whichever owner is current (setHandler); with no handler (idle in the
// pool) they go to the pool, which closes the connection.
// Not thread-safe: belongs to one worker.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <string>

#include "config/config.h"
#include "proxy/event/stream_socket.h"

namespace courier::upstream {

class ConnPool;

class UpstreamConnectionHandler {
 public:
  virtual ~UpstreamConnectionHandler() = default;
  virtual void onUpstreamConnected() {}
  virtual void onUpstreamReadable() = 0;
  // The output drained to the mark set with socket().notifyWhenDrained().
  virtual void onUpstreamDrained() {}
  // EOF (error empty) or a socket error.
  virtual void onUpstreamClosed(const std::string& error) = 0;
};

// Destroy through ConnPool::destroy() (deferred): a connection is often
// finished from inside its own socket callback.
class UpstreamConnection : public event::DeferredDeletable, private event::StreamSocketHandler {
 public:
  UpstreamConnection(event::Dispatcher& dispatcher, ConnPool& pool);
  UpstreamConnection(const UpstreamConnection&) = delete;
  UpstreamConnection& operator=(const UpstreamConnection&) = delete;

  // Starts a non-blocking connect; the handler hears onUpstreamConnected or onUpstreamClosed.
  bool connect(const config::SocketAddress& address, std::string& error);
  void setHandler(UpstreamConnectionHandler* handler) { handler_ = handler; }
  event::StreamSocket& socket() { return socket_; }
  evbuffer* input() const { return socket_.input(); }
  evbuffer* output() const { return socket_.output(); }
  // Has this connection carried a request before (a reused keep-alive one)?
  bool reused() const { return requests_ > 0; }
  void countRequest() { ++requests_; }
  void setIdleSince(std::chrono::steady_clock::time_point t) { idle_since_ = t; }
  std::chrono::steady_clock::time_point idleSince() const { return idle_since_; }
  // Where the pool keeps this connection while idle (O(1) removal);
  // meaningful only while `idle` is set.
  using IdleList = std::list<std::unique_ptr<UpstreamConnection>>;
  IdleList::iterator idle_slot;
  bool idle = false;

 private:
  void onSocketReadable() override;
  void onSocketClosed(const std::string& error) override;
  void onSocketConnected() override;
  void onSocketDrained() override;

  ConnPool& pool_;
  event::StreamSocket socket_;
  UpstreamConnectionHandler* handler_ = nullptr;
  uint64_t requests_ = 0;
  std::chrono::steady_clock::time_point idle_since_;
};

}  // namespace courier::upstream
