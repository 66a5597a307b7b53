#include "proxy/upstream/conn_pool.h"

#include <algorithm>
#include <cstring>

namespace courier::upstream {

// A connect under way: owns the new connection until it succeeds or fails.
class PendingConnect : public UpstreamConnectionHandler, public event::DeferredDeletable {
 public:
  PendingConnect(ConnPool& pool, PoolCallbacks& callbacks)
      : pool_(pool),
        callbacks_(callbacks),
        connection_(std::make_unique<UpstreamConnection>(pool.dispatcher_, pool)),
        timer_(pool.dispatcher_.base(), [this] { fail("connect timeout", true); }) {
    connection_->setHandler(this);
  }

  void start() {
    timer_.arm(pool_.cluster_.connect_timeout);
    std::string error;
    if (!connection_->connect(pool_.endpoint_, error)) fail(error.c_str(), false);
  }

  // The requester is gone: close the socket now, report nothing.
  void abandon() {
    timer_.cancel();
    connection_.reset();
  }

  void onUpstreamConnected() override {
    timer_.cancel();
    connection_->setHandler(nullptr);
    auto connection = std::move(connection_);
    PoolCallbacks& callbacks = callbacks_;
    pool_.finishPending(this);  // destroys this
    callbacks.onPoolReady(std::move(connection));
  }
  void onUpstreamReadable() override {}
  std::list<std::unique_ptr<PendingConnect>>::iterator slot;  // in pool_.pending_
  bool listed = true;
  void onUpstreamClosed(const std::string& error) override {
    fail(error.empty() ? "connection closed" : error.c_str(), false);
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

ConnPool::ConnPool(event::Dispatcher& dispatcher, const config::ClusterConfig& cluster,
                   const config::SocketAddress& endpoint)
    : dispatcher_(dispatcher),
      cluster_(cluster),
      endpoint_(endpoint),
      sweep_timer_(dispatcher.base(), [this] { sweepIdle(); }) {}

ConnPool::~ConnPool() = default;

PendingConnect* ConnPool::newConnection(PoolCallbacks& callbacks) {
  if (!idle_.empty()) {
    auto connection = std::move(idle_.back());
    idle_.pop_back();
    connection->idle = false;
    callbacks.onPoolReady(std::move(connection));
    return nullptr;
  }
  pending_.push_back(std::make_unique<PendingConnect>(*this, callbacks));
  PendingConnect* pending = pending_.back().get();
  pending->slot = std::prev(pending_.end());
  pending->start();                            // may fail synchronously and finish itself
  return pending->listed ? pending : nullptr;  // still alive until deferred deletion runs
}

void ConnPool::cancel(PendingConnect* pending) {
  // Silence it now: its socket could otherwise report a connect in this same
  // loop turn, to a requester that no longer exists.
  pending->abandon();
  finishPending(pending);
}

void ConnPool::finishPending(PendingConnect* pending) {
  if (!pending->listed) return;
  pending->listed = false;
  // Deferred: this often runs inside the pending connect's own callbacks.
  dispatcher_.deferredDelete(std::move(*pending->slot));
  pending_.erase(pending->slot);
}

void ConnPool::destroy(std::unique_ptr<UpstreamConnection> connection) {
  if (!connection) return;
  // Silent until the deferred delete: a reply arriving meanwhile must not
  // reach a requester that let go of it.
  connection->setHandler(nullptr);
  connection->idle = false;
  connection->socket().setReadEnabled(false);
  dispatcher_.deferredDelete(std::move(connection));
}

void ConnPool::release(std::unique_ptr<UpstreamConnection> connection) {
  if (idle_.size() >= cluster_.max_idle_per_endpoint) return destroy(std::move(connection));
  connection->setHandler(nullptr);
  connection->setIdleSince(std::chrono::steady_clock::now());
  // Idle connections only listen for the peer closing them.
  connection->socket().setReadEnabled(true);
  UpstreamConnection* c = connection.get();
  idle_.push_back(std::move(connection));
  c->idle_slot = std::prev(idle_.end());
  c->idle = true;
  if (!sweep_timer_.armed()) sweep_timer_.arm(std::chrono::milliseconds(1000));
}

void ConnPool::onIdleActivity(UpstreamConnection* connection) {
  // Data or an event on an idle connection: the peer closed it, or sent
  // something unasked. Either way it cannot carry a request.
  if (!connection->idle) return;  // in use, or already on its way out
  auto it = connection->idle_slot;
  auto owned = std::move(*it);
  idle_.erase(it);
  destroy(std::move(owned));
}

void ConnPool::sweepIdle() {
  // Oldest first: the list is in release order, so stop at the first fresh one.
  auto now = std::chrono::steady_clock::now();
  while (!idle_.empty() && now - idle_.front()->idleSince() >= cluster_.idle_timeout) {
    idle_.front()->idle = false;
    idle_.pop_front();
  }
  if (!idle_.empty()) sweep_timer_.arm(std::chrono::milliseconds(1000));
}

}  // namespace courier::upstream
