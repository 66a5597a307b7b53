// StatsStore: the per-worker shards of one config generation, plus the
// counters the main thread feeds (config reloads).
//
// Threads: worker i writes only shard(i); the main thread calls
// recordConfigReload(), inheritFrom() and snapshot(); snapshot() may run
// while workers write (it reads with relaxed loads).
//
// Indices: route i is config::RouteConfig::index; noRouteIndex() (one past
// the last route) counts requests that matched no route and is exported
// with route="_no_route_" (kNoRouteName, mirroring the `no_route` error
// code). A config route with that very name would share its series.
//
// Reloads: routes are indexed by position, so a new config gets a new
// store. Call `next->inheritFrom(previous)` before publishing `next`: the
// new store then reports the old one's totals under the same route and
// cluster names, and keeps adding what in-flight requests of the old config
// still record there, so counters never go backwards across a reload. A
// retired store is folded into plain totals at the first snapshot after
// its last other owner lets go (use_count() == 1), so reloads do not pile
// up stores. Routes or clusters the new config dropped leave the exposition.
// On the main thread:
//   auto next = std::make_shared<StatsStore>(route names, cluster names, workers);
//   next->inheritFrom(current);  next->recordConfigReload(true);  publish next
// and on a failed reload: current->recordConfigReload(false).
// Anything that may still write a store must hold it (or what holds it) by
// shared_ptr, so use_count() tells when the writing is over.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/stats/counter.h"
#include "proxy/stats/snapshot.h"
#include "proxy/stats/worker_stats.h"

namespace courier::stats {

class StatsStore {
 public:
  static constexpr std::string_view kNoRouteName = "_no_route_";

  // `routes` in config order (RouteConfig::index), `clusters` likewise.
  // `workers` shards are made (at least one).
  StatsStore(std::vector<std::string> routes, std::vector<std::string> clusters, unsigned workers);
  ~StatsStore();
  StatsStore(const StatsStore&) = delete;
  StatsStore& operator=(const StatsStore&) = delete;

  WorkerStats& shard(unsigned worker) { return *shards_[worker]; }
  const WorkerStats& shard(unsigned worker) const { return *shards_[worker]; }
  unsigned workers() const { return static_cast<unsigned>(shards_.size()); }

  size_t noRouteIndex() const { return route_names_.size() - 1; }
  // Route names including kNoRouteName last; cluster names.
  const std::vector<std::string>& routeNames() const { return route_names_; }
  const std::vector<std::string>& clusterNames() const { return cluster_names_; }
  // When the first store of the lineage was made (for uptime and rates).
  std::chrono::steady_clock::time_point startTime() const { return start_; }

  // Main thread: counts a reload attempt (courier_config_reloads_total).
  void recordConfigReload(bool success) { (success ? reloads_ok_ : reloads_failed_).add(); }

  // Main thread, once, before this store is published to the workers.
  void inheritFrom(std::shared_ptr<const StatsStore> previous);

  // Every shard (and inherited store) summed, plus the cache gauges
  // (cache_gauges.h). Main thread (serialised by an internal mutex, so any
  // single thread at a time is fine).
  StatsSnapshot snapshot() const;

 private:
  StatsSnapshot ownSnapshot() const;

  std::vector<std::string> route_names_;
  std::vector<std::string> cluster_names_;
  std::vector<std::unique_ptr<WorkerStats>> shards_;
  std::chrono::steady_clock::time_point start_;
  Counter reloads_ok_{};
  Counter reloads_failed_{};

  // Lineage across reloads (see the file comment); main thread only.
  mutable std::mutex lineage_mu_;
  mutable std::vector<std::shared_ptr<const StatsStore>> retired_;
  mutable StatsSnapshot carried_;  // folded retired stores, in this store's shape
};

}  // namespace courier::stats
