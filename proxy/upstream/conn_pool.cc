#include "proxy/upstream/conn_pool.h"

#include <algorithm>
#include <cstring>

namespace courier::upstream {

// A connect under way: owns the new connection until it succeeds or fails.
class PendingConnect : public UpstreamConnectionHandler {
 public:
  PendingConnect(ConnPool& pool, PoolCallbacks& callbacks)
      : pool_(pool),
        callbacks_(callbacks),
        connection_(std::make_unique<UpstreamConnection>(pool.base_, pool)),
        timer_(pool.base_, [this] { fail("connect timeout", true); }) {
    connection_->setHandler(this);
  }

  void start() {
    timer_.arm(pool_.cluster_.connect_timeout);
    if (!connection_->connect(pool_.endpoint_)) fail(strerror(errno), false);
  }

  void onUpstreamRead() override {}
  void onUpstreamWrite() override {}
  void onUpstreamEvent(short what) override {
    if (what & BEV_EVENT_CONNECTED) {
      timer_.cancel();
      connection_->setHandler(nullptr);
      auto connection = std::move(connection_);
      PoolCallbacks& callbacks = callbacks_;
      pool_.finishPending(this);  // destroys this
      callbacks.onPoolReady(std::move(connection));
      return;
    }
    int err = EVUTIL_SOCKET_ERROR();
    fail(err ? evutil_socket_error_to_string(err) : "connection closed", false);
  }

 private:
  void fail(const char* reason, bool timeout) {
    std::string why = reason;
    PoolCallbacks& callbacks = callbacks_;
    pool_.finishPending(this);  // destroys this and the connection
    callbacks.onPoolFailure(why, timeout);
  }

  ConnPool& pool_;
  PoolCallbacks& callbacks_;
  std::unique_ptr<UpstreamConnection> connection_;
  event::Timer timer_;
};

ConnPool::ConnPool(event_base* base, const config::ClusterConfig& cluster,
                   const config::SocketAddress& endpoint)
    : base_(base), cluster_(cluster), endpoint_(endpoint), sweep_timer_(base, [this] {
        sweepIdle();
      }) {}

ConnPool::~ConnPool() = default;

PendingConnect* ConnPool::newConnection(PoolCallbacks& callbacks) {
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    callbacks.onPoolReady(std::move(connection));
    return nullptr;
  }
  pending_.push_back(std::make_unique<PendingConnect>(*this, callbacks));
  PendingConnect* pending = pending_.back().get();
  pending->start();  // may fail synchronously and finish itself
  for (const auto& p : pending_)
    if (p.get() == pending) return pending;
  return nullptr;
}

void ConnPool::cancel(PendingConnect* pending) { finishPending(pending); }

void ConnPool::finishPending(PendingConnect* pending) {
  auto it = std::find_if(pending_.begin(), pending_.end(),
                         [&](const auto& p) { return p.get() == pending; });
  if (it == pending_.end()) return;
  std::unique_ptr<PendingConnect> doomed = std::move(*it);
  pending_.erase(it);
}

void ConnPool::release(std::unique_ptr<UpstreamConnection> connection) {
  if (idle_.size() >= cluster_.max_idle_per_endpoint) return;  // closes it
  connection->setHandler(nullptr);
  connection->setIdleSince(std::chrono::steady_clock::now());
  // Idle connections only listen for the peer closing them.
  bufferevent_enable(connection->bev(), EV_READ);
  idle_.push_back(std::move(connection));
  if (!sweep_timer_.armed()) sweep_timer_.arm(std::chrono::milliseconds(1000));
}

void ConnPool::onIdleActivity(UpstreamConnection* connection, short) {
  // Data or an event on an idle connection: the peer closed it, or sent
  // something unasked. Either way it cannot carry a request.
  auto it = std::find_if(idle_.begin(), idle_.end(),
                         [&](const auto& c) { return c.get() == connection; });
  if (it != idle_.end()) idle_.erase(it);
}

void ConnPool::sweepIdle() {
  auto now = std::chrono::steady_clock::now();
  auto expired = [&](const std::unique_ptr<UpstreamConnection>& c) {
    return now - c->idleSince() >= cluster_.idle_timeout;
  };
  idle_.erase(std::remove_if(idle_.begin(), idle_.end(), expired), idle_.end());
  if (!idle_.empty()) sweep_timer_.arm(std::chrono::milliseconds(1000));
}

}  // namespace courier::upstream
