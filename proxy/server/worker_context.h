// WorkerContext: what every connection and stream on one worker thread
// shares. Owned by the Worker; outlives every connection on it.
//
// Config reloads swap `generation`. A stream keeps the generation it began
// with (shared_ptr), so its route, cluster pools and stats shard stay valid
// until it ends, while new streams use the new one.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_set>

#include "config/config.h"
#include "proxy/common/random.h"
#include "proxy/event/dispatcher.h"
#include "proxy/redis/client.h"
#include "proxy/router/route_table.h"
#include "proxy/upstream/cluster_manager.h"

namespace courier {
namespace stats {
class StatsStore;
class WorkerStats;
}  // namespace stats
namespace server {
class AccessLog;
}
namespace http {
class ConnectionManager;
class InternalRequests;
class StreamIdleSweeper;
}  // namespace http

// Everything derived from one config, for one worker.
struct Generation {
  // `previous`: the generation this one replaces (nullptr at start); its
  // Redis connection is kept if [redis] did not change, so a reload neither
  // reconnects nor sends requests to local fallbacks meanwhile.
  Generation(event::Dispatcher& dispatcher, std::shared_ptr<const config::Config> cfg,
             std::shared_ptr<stats::StatsStore> store, stats::WorkerStats& shard,
             size_t no_route_index, const Generation* previous)
      : config(std::move(cfg)),
        routes(*config),
        clusters(dispatcher, *config),
        stats_store(std::move(store)),
        stats(&shard),
        no_route_stats_index(no_route_index) {
    if (!config->redis) return;
    if (previous && previous->redis && previous->config->redis == config->redis) {
      redis = previous->redis;
      redis->setStats(stats);
    } else {
      redis = std::make_shared<redis::Client>(dispatcher.base(), *config->redis, stats);
    }
  }

  std::shared_ptr<const config::Config> config;
  router::RouteTable routes;
  upstream::ClusterManager clusters;
  std::shared_ptr<stats::StatsStore> stats_store;  // keeps `stats` alive
  stats::WorkerStats* stats;
  size_t no_route_stats_index;  // StatsStore::noRouteIndex()
  // This worker's Redis connection (nullptr without [redis]); shared with
  // the next generation when a reload keeps [redis] as it was.
  std::shared_ptr<redis::Client> redis;
};

struct WorkerContext {
  unsigned index = 0;
  event::Dispatcher* dispatcher = nullptr;
  std::shared_ptr<Generation> generation;
  server::AccessLog* access_log = nullptr;
  FastRandom rng;  // request ids
  bool draining = false;
  // Downstream connections open across all workers (max_connections).
  std::atomic<int64_t>* open_connections = nullptr;
  // Live downstream connections (for drain and shutdown).
  std::unordered_set<http::ConnectionManager*> connections;
  // Requests courier makes itself (cache refreshes); owned by the Worker.
  http::InternalRequests* internal_requests = nullptr;
  // Times out idle streams (stream_idle_timeout); owned by the Worker.
  http::StreamIdleSweeper* idle_sweeper = nullptr;
};

}  // namespace courier
