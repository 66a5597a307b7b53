#include "proxy/stats/snapshot.h"

#include <cassert>

namespace courier::stats {
namespace {

// Index of `name` in `items`, trying `hint` first: across a reload most
// routes keep their position, so the scan rarely runs.
template <typename T>
const T* findByName(const std::vector<T>& items, const std::string& name, size_t hint) {
  if (hint < items.size() && items[hint].name == name) return &items[hint];
  for (const T& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

void addRoute(RouteTotals& into, const RouteTotals& from) {
  for (size_t p = 0; p < kDownstreamProtocolCount; ++p)
    for (size_t i = 0; i < kStatusSlots; ++i) into.by_status[p][i] += from.by_status[p][i];
  into.duration.add(from.duration);
  into.first_byte.add(from.first_byte);
  into.active += from.active;
  for (size_t i = 0; i < kRateLimitDecisionCount; ++i)
    into.ratelimit_decisions[i] += from.ratelimit_decisions[i];
  for (size_t i = 0; i < kRateLimitFallbackCount; ++i)
    into.ratelimit_fallbacks[i] += from.ratelimit_fallbacks[i];
  for (size_t l = 0; l < kCacheLayerCount; ++l)
    for (size_t i = 0; i < kCacheResultCount; ++i) into.cache[l][i] += from.cache[l][i];
}

}  // namespace

uint64_t RouteTotals::statusCount(size_t slot) const {
  uint64_t n = 0;
  for (const auto& slots : by_status) n += slots[slot];
  return n;
}

uint64_t RouteTotals::protocolCount(DownstreamProtocol p) const {
  uint64_t n = 0;
  for (uint64_t c : by_status[static_cast<size_t>(p)]) n += c;
  return n;
}

bool RouteTotals::hasCache() const {
  for (const auto& layer : cache)
    for (uint64_t n : layer)
      if (n != 0) return true;
  return false;
}

StatsSnapshot StatsSnapshot::shaped(const std::vector<std::string>& routes,
                                    const std::vector<std::string>& clusters) {
  StatsSnapshot s;
  s.routes.resize(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) s.routes[i].name = routes[i];
  s.clusters.resize(clusters.size());
  for (size_t i = 0; i < clusters.size(); ++i) s.clusters[i].name = clusters[i];
  return s;
}

void StatsSnapshot::addShard(const WorkerStats& shard) {
  assert(shard.routeCount() == routes.size() && shard.clusterCount() == clusters.size());
  for (size_t r = 0; r < routes.size(); ++r) {
    const RouteShard& from = shard.route(r);
    RouteTotals& into = routes[r];
    for (size_t p = 0; p < kDownstreamProtocolCount; ++p)
      for (size_t i = 0; i < kStatusSlots; ++i) into.by_status[p][i] += from.by_status[p][i].load();
    into.duration.add(from.duration);
    into.first_byte.add(from.first_byte);
    into.active += from.active.load();
    for (size_t i = 0; i < kRateLimitDecisionCount; ++i)
      into.ratelimit_decisions[i] += from.ratelimit_decisions[i].load();
    for (size_t i = 0; i < kRateLimitFallbackCount; ++i)
      into.ratelimit_fallbacks[i] += from.ratelimit_fallbacks[i].load();
    for (size_t l = 0; l < kCacheLayerCount; ++l)
      for (size_t i = 0; i < kCacheResultCount; ++i) into.cache[l][i] += from.cache[l][i].load();
  }
  for (size_t c = 0; c < clusters.size(); ++c) {
    const ClusterShard& from = shard.cluster(c);
    ClusterTotals& into = clusters[c];
    into.duration.add(from.duration);
    into.requests += from.requests.load();
    into.connect_failures += from.connect_failures.load();
  }
  active_connections += shard.activeConnections();
  connections_total += shard.connectionsTotal();
  rx_bytes += shard.rxBytes();
  tx_bytes += shard.txBytes();
  for (size_t i = 0; i < kLocalReplyCount; ++i) local_replies[i] += shard.localReplies(i);
  for (size_t i = 0; i < kRedisOpCount; ++i) redis_errors[i] += shard.redisErrors(i);
}

void StatsSnapshot::mergeByName(const StatsSnapshot& other) {
  for (size_t r = 0; r < routes.size(); ++r)
    if (const RouteTotals* from = findByName(other.routes, routes[r].name, r))
      addRoute(routes[r], *from);
  for (size_t c = 0; c < clusters.size(); ++c) {
    if (const ClusterTotals* from = findByName(other.clusters, clusters[c].name, c)) {
      clusters[c].duration.add(from->duration);
      clusters[c].requests += from->requests;
      clusters[c].connect_failures += from->connect_failures;
    }
  }
  active_connections += other.active_connections;
  connections_total += other.connections_total;
  rx_bytes += other.rx_bytes;
  tx_bytes += other.tx_bytes;
  for (size_t i = 0; i < kLocalReplyCount; ++i) local_replies[i] += other.local_replies[i];
  for (size_t i = 0; i < kRedisOpCount; ++i) redis_errors[i] += other.redis_errors[i];
  reloads_ok += other.reloads_ok;
  reloads_failed += other.reloads_failed;
}

}  // namespace courier::stats
