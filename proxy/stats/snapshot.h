// StatsSnapshot: every shard summed into plain integers at one moment.
// Built by StatsStore::snapshot() on the admin (main) thread, then read by
// the renderers; it owns its data and shares nothing with the workers.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "proxy/stats/cache_gauges.h"
#include "proxy/stats/histogram.h"
#include "proxy/stats/local_reply.h"
#include "proxy/stats/worker_stats.h"

namespace courier::stats {

struct RouteTotals {
  std::string name;
  // [protocol][statusSlot()], summed over workers.
  std::array<std::array<uint64_t, kStatusSlots>, kDownstreamProtocolCount> by_status{};
  HistogramData duration;
  HistogramData first_byte;
  int64_t active = 0;
  std::array<uint64_t, kRateLimitDecisionCount> ratelimit_decisions{};
  std::array<uint64_t, kRateLimitFallbackCount> ratelimit_fallbacks{};
  std::array<std::array<uint64_t, kCacheResultCount>, kCacheLayerCount> cache{};  // [layer][result]

  uint64_t requests() const { return duration.count(); }
  // Requests that ended with status slot `slot`, over every protocol.
  uint64_t statusCount(size_t slot) const;
  // Requests whose client spoke `p`, over every status.
  uint64_t protocolCount(DownstreamProtocol p) const;
  uint64_t cacheCount(CacheLayer l, CacheResult r) const {
    return cache[static_cast<size_t>(l)][static_cast<size_t>(r)];
  }
  // True once the route recorded any cache result: only cached routes do.
  bool hasCache() const;
};

struct ClusterTotals {
  std::string name;
  HistogramData duration;
  uint64_t requests = 0;
  uint64_t connect_failures = 0;
};

struct StatsSnapshot {
  std::vector<RouteTotals> routes;  // config order, the no-route pseudo-route last
  std::vector<ClusterTotals> clusters;
  int64_t active_connections = 0;
  uint64_t connections_total = 0;
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  std::array<uint64_t, kLocalReplyCount> local_replies{};
  std::array<uint64_t, kRedisOpCount> redis_errors{};
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  // The process-wide memory-layer gauges at snapshot time; empty when no
  // source is set (cache_gauges.h). Never merged: they are not per store.
  std::optional<CacheGauges> cache_gauges;

  // Empty totals for these names (a snapshot's "shape").
  static StatsSnapshot shaped(const std::vector<std::string>& routes,
                              const std::vector<std::string>& clusters);
  // Adds one worker's shard; its indices must match this snapshot's shape.
  void addShard(const WorkerStats& shard);
  // Adds `other` matching routes and clusters by name; names this snapshot
  // does not have are dropped (a route removed by a reload leaves the
  // exposition). Global counters and gauges are always added.
  void mergeByName(const StatsSnapshot& other);
};

}  // namespace courier::stats
