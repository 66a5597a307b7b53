// Worker: one thread with its own event loop, SO_REUSEPORT listener,
// upstream pools, route table, access log and stats shard. Shares nothing
// mutable with other workers except the global connection count.
//
// The main thread constructs it (so a bind error stops startup), starts the
// thread, and later calls reload()/drain()/stop(); those post to the
// worker's loop and return at once.
#pragma once

#include <event2/listener.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "config/config.h"
#include "proxy/common/result.h"
#include "proxy/event/dispatcher.h"
#include "proxy/http/internal_stream.h"
#include "proxy/http/stream_idle_sweeper.h"
#include "proxy/server/access_log.h"
#include "proxy/server/worker_context.h"
#include "proxy/stats/stats_store.h"

namespace courier::server {

class Worker {
 public:
  Worker(unsigned index, std::shared_ptr<const config::Config> config,
         std::shared_ptr<stats::StatsStore> store, std::atomic<int64_t>& open_connections);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds this worker's listener; call before start().
  Result<bool> listen();
  void start();
  // New streams use `config` from now on; streams under way finish with theirs.
  void reload(std::shared_ptr<const config::Config> config,
              std::shared_ptr<stats::StatsStore> store);
  // Stop accepting; finish in-flight requests; close idle connections.
  void drain();
  // Close every connection and end the loop.
  void stop();
  void join();

 private:
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* addr, int len, void* arg);
  std::shared_ptr<Generation> makeGeneration(std::shared_ptr<const config::Config> config,
                                             std::shared_ptr<stats::StatsStore> store);
  void closeListener();

  event::Dispatcher dispatcher_;
  unsigned index_;
  config::SocketAddress listen_address_;
  uint32_t max_connections_;
  AccessLog access_log_;
  WorkerContext ctx_;
  // After ctx_: internal streams use it.
  std::optional<http::InternalStreams> internal_streams_{std::in_place, ctx_};
  http::StreamIdleSweeper idle_sweeper_{dispatcher_.base()};
  std::atomic<int64_t>& open_connections_;
  evconnlistener* listener_ = nullptr;
  std::thread thread_;
};

}  // namespace courier::server
