#include "proxy/server/worker.h"

#include <unistd.h>

#include <cstring>

#include "proxy/common/log.h"
#include "proxy/http/connection_manager.h"

namespace courier::server {

Worker::Worker(unsigned index, std::shared_ptr<const config::Config> config,
               std::shared_ptr<stats::StatsStore> store, std::atomic<int64_t>& open_connections)
    : index_(index),
      listen_address_(config->server.listen),
      max_connections_(config->server.max_connections),
      access_log_(dispatcher_.base(), config->server.access_log),
      open_connections_(open_connections) {
  ctx_.index = index;
  ctx_.dispatcher = &dispatcher_;
  ctx_.generation = makeGeneration(std::move(config), std::move(store));
  ctx_.access_log = &access_log_;
  ctx_.open_connections = &open_connections_;
  ctx_.internal_requests = &*internal_streams_;
  ctx_.idle_sweeper = &idle_sweeper_;
}

std::shared_ptr<Generation> Worker::makeGeneration(std::shared_ptr<const config::Config> config,
                                                   std::shared_ptr<stats::StatsStore> store) {
  stats::WorkerStats& shard = store->shard(index_);
  size_t no_route = store->noRouteIndex();
  return std::make_shared<Generation>(dispatcher_, std::move(config), std::move(store), shard,
                                      no_route, ctx_.generation.get());
}

Worker::~Worker() {
  join();
  closeListener();
  // Connections delete themselves through the dispatcher; close what is left.
  while (!ctx_.connections.empty()) (*ctx_.connections.begin())->close();
  internal_streams_.reset();
  // Streams and connections must go while the pools and context they use exist.
  dispatcher_.runDeferred();
  ctx_.generation.reset();
}

void Worker::reload(std::shared_ptr<const config::Config> config,
                    std::shared_ptr<stats::StatsStore> store) {
  dispatcher_.post([this, config = std::move(config), store = std::move(store)]() mutable {
    ctx_.generation = makeGeneration(std::move(config), std::move(store));
  });
}

Result<bool> Worker::listen() {
  const auto& addr = listen_address_;
  listener_ = evconnlistener_new_bind(
      dispatcher_.base(), &Worker::onAccept, this,
      LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC,
      4096, reinterpret_cast<const sockaddr*>(&addr.addr), static_cast<int>(addr.len));
  if (!listener_) {
    return Result<bool>::failure(
        {errno, "cannot listen on " + addr.text + ": " + std::string(strerror(errno))});
  }
  return true;
}

void Worker::start() {
  thread_ = std::thread([this] {
    dispatcher_.run();
    access_log_.flush();
  });
}

void Worker::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int, void* arg) {
  auto* self = static_cast<Worker*>(arg);
  uint32_t limit = self->max_connections_;
  if (self->open_connections_.fetch_add(1, std::memory_order_relaxed) >= limit) {
    // Over max_connections: refuse at once rather than queue work we cannot do.
    self->open_connections_.fetch_sub(1, std::memory_order_relaxed);
    ::close(fd);
    return;
  }
  // The connection registers itself in ctx_.connections and frees itself on close.
  new http::ConnectionManager(self->ctx_, fd, addr);
}

void Worker::closeListener() {
  if (listener_) {
    evconnlistener_free(listener_);
    listener_ = nullptr;
  }
}

void Worker::drain() {
  dispatcher_.post([this] {
    ctx_.draining = true;
    closeListener();
    ctx_.generation->clusters.closeIdle();
    // Copy: drain() may close (and unregister) a connection.
    std::vector<http::ConnectionManager*> open(ctx_.connections.begin(), ctx_.connections.end());
    for (auto* c : open) c->drain();
  });
}

void Worker::stop() {
  dispatcher_.post([this] {
    closeListener();
    std::vector<http::ConnectionManager*> open(ctx_.connections.begin(), ctx_.connections.end());
    for (auto* c : open) c->close();
    ctx_.generation->clusters.closeIdle();
    access_log_.flush();
    // Let deferred deletions run, then leave the loop.
    dispatcher_.post([this] { event_base_loopexit(dispatcher_.base(), nullptr); });
  });
}

void Worker::join() {
  if (thread_.joinable()) thread_.join();
}

}  // namespace courier::server
