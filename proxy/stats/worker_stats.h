// WorkerStats: one worker thread's shard of every counter, gauge and
// histogram. Only that worker writes it (relaxed load + store, no locks, no
// read-modify-write); the admin thread reads all shards at scrape and sums
// them (StatsStore::snapshot).
//
// Indices are the ones StatsStore was built with: route i is
// config::RouteConfig::index, StatsStore::noRouteIndex() counts requests
// that matched no route, cluster i is RouteConfig::cluster_index. They are
// checked by assert only: the hot path stays branch-free.
#pragma once

#include <array>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "proxy/stats/counter.h"
#include "proxy/stats/feature_stats.h"
#include "proxy/stats/histogram.h"
#include "proxy/stats/local_reply.h"

namespace courier::stats {

// Status codes 100..599 get a counter each; anything else shares slot 500
// (exported as code="other"), so a hostile upstream cannot make a series.
inline constexpr size_t kStatusSlots = 501;
inline size_t statusSlot(int status) {
  unsigned slot = static_cast<unsigned>(status - 100);
  return slot < 500 ? slot : 500;
}

// The protocol the downstream client spoke, courier_requests_total's
// `protocol` label. Index of the status-slot block a request counts in.
enum class DownstreamProtocol : uint8_t { Http1, Http2 };
inline constexpr std::array<std::string_view, 2> kDownstreamProtocolNames = {"http1", "http2"};
inline constexpr size_t kDownstreamProtocolCount = kDownstreamProtocolNames.size();
// From the request's HTTP major version: 2 is HTTP/2 (h2c), anything else
// (1.0, 1.1) counts as http1.
inline DownstreamProtocol downstreamProtocol(unsigned http_major) {
  return http_major == 2 ? DownstreamProtocol::Http2 : DownstreamProtocol::Http1;
}

// Status counters of one route: [protocol][statusSlot()].
using StatusCounters = std::array<std::array<Counter, kStatusSlots>, kDownstreamProtocolCount>;

struct RouteShard {
  // ~4 KB per protocol per route per worker. Shards are calloc'd (counter.h),
  // so the HTTP/2 block costs no RSS (beyond the page it shares with a
  // neighbour) until HTTP/2 requests end on that route on that worker.
  StatusCounters by_status;
  HistogramShard duration;    // request start to response end
  HistogramShard first_byte;  // request start to first upstream byte
  Gauge active;
  std::array<Counter, kRateLimitDecisionCount> ratelimit_decisions;
  std::array<Counter, kRateLimitFallbackCount> ratelimit_fallbacks;
  // [layer][result]; only isCacheSeries() pairs are ever non-zero.
  std::array<std::array<Counter, kCacheResultCount>, kCacheLayerCount> cache;
};

struct ClusterShard {
  HistogramShard duration;  // upstream request sent to upstream response complete
  Counter requests;         // attempts: completed exchanges plus connect failures
  Counter connect_failures;
};

class alignas(64) WorkerStats {
 public:
  using Nanos = std::chrono::nanoseconds;  // steady_clock::duration converts implicitly

  // `routes` includes the no-route pseudo-route.
  WorkerStats(size_t routes, size_t clusters);
  ~WorkerStats();
  WorkerStats(const WorkerStats&) = delete;
  WorkerStats& operator=(const WorkerStats&) = delete;

  // --- Hot path: the owning worker thread only. ---

  // A finished request (the response was sent or the stream was reset),
  // counted under the protocol the client spoke. (The default is for
  // callers that only speak HTTP/1: benchmarks and tests.)
  void recordRequest(size_t route, int status, Nanos duration,
                     DownstreamProtocol protocol = DownstreamProtocol::Http1) {
    assert(static_cast<size_t>(protocol) < kDownstreamProtocolCount);
    RouteShard& r = routeShard(route);
    r.by_status[static_cast<size_t>(protocol)][statusSlot(status)].add();
    r.duration.record(toMicros(duration));
  }
  // Time from the request's arrival to the first response byte from upstream.
  void recordFirstByte(size_t route, Nanos elapsed) {
    routeShard(route).first_byte.record(toMicros(elapsed));
  }
  void requestStarted(size_t route) { routeShard(route).active.inc(); }
  void requestFinished(size_t route) { routeShard(route).active.dec(); }

  // A completed upstream exchange (any status, or a timeout after sending).
  void recordUpstream(size_t cluster, Nanos duration) {
    ClusterShard& c = clusterShard(cluster);
    c.requests.add();
    c.duration.record(toMicros(duration));
  }
  // An upstream attempt that never got a connection.
  void recordConnectFailure(size_t cluster) {
    ClusterShard& c = clusterShard(cluster);
    c.requests.add();
    c.connect_failures.add();
  }

  void connectionOpened() {
    active_connections_.inc();
    connections_total_.add();
  }
  void connectionClosed() { active_connections_.dec(); }
  // Downstream bytes received (rx) and sent (tx), as they move.
  void addBytes(uint64_t rx, uint64_t tx) {
    rx_bytes_.add(rx);
    tx_bytes_.add(tx);
  }
  void recordLocalReply(LocalReply reply) { local_replies_[static_cast<size_t>(reply)].add(); }
  void recordRateLimit(size_t route, RateLimitDecision d) {
    routeShard(route).ratelimit_decisions[static_cast<size_t>(d)].add();
  }
  void recordRateLimitFallback(size_t route, RateLimitFallback why) {
    routeShard(route).ratelimit_fallbacks[static_cast<size_t>(why)].add();
  }
  // One cache layer's answer for a request on a cached route (see
  // isCacheSeries() for the pairs that exist). A request records once per
  // layer it consulted: a memory miss then a redis hit records both.
  void recordCache(size_t route, CacheLayer layer, CacheResult result) {
    assert(isCacheSeries(layer, result));
    routeShard(route).cache[static_cast<size_t>(layer)][static_cast<size_t>(result)].add();
  }
  void recordRedisError(RedisOp op) { redis_errors_[static_cast<size_t>(op)].add(); }

  // --- Read side: any thread. ---
  size_t routeCount() const { return route_count_; }
  size_t clusterCount() const { return cluster_count_; }
  const RouteShard& route(size_t i) const { return routeShard(i); }
  const ClusterShard& cluster(size_t i) const { return clusterShard(i); }
  int64_t activeConnections() const { return active_connections_.load(); }
  uint64_t connectionsTotal() const { return connections_total_.load(); }
  uint64_t rxBytes() const { return rx_bytes_.load(); }
  uint64_t txBytes() const { return tx_bytes_.load(); }
  uint64_t localReplies(size_t i) const { return local_replies_[i].load(); }
  uint64_t redisErrors(size_t i) const { return redis_errors_[i].load(); }

 private:
  // const: the arrays are reached through pointers, so this is shallow.
  RouteShard& routeShard(size_t i) const {
    assert(i < route_count_);
    return routes_[i];
  }
  ClusterShard& clusterShard(size_t i) const {
    assert(i < cluster_count_);
    return clusters_[i];
  }

  RouteShard* routes_ = nullptr;      // inside block_
  ClusterShard* clusters_ = nullptr;  // inside block_
  size_t route_count_ = 0;
  size_t cluster_count_ = 0;
  void* block_ = nullptr;  // one calloc for both arrays (see counter.h for why calloc)
  // Written on every connection: on their own cache line, away from the
  // read-only fields above.
  alignas(64) Gauge active_connections_{};
  Counter connections_total_{};
  Counter rx_bytes_{};
  Counter tx_bytes_{};
  std::array<Counter, kLocalReplyCount> local_replies_{};
  std::array<Counter, kRedisOpCount> redis_errors_{};
};

}  // namespace courier::stats
