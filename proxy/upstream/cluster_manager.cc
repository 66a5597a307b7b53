#include "proxy/upstream/cluster_manager.h"

namespace courier::upstream {

ClusterManager::ClusterManager(event::Dispatcher& dispatcher, const config::Config& config) {
  clusters_.reserve(config.clusters.size());
  for (const auto& c : config.clusters) {
    Cluster cluster{&c, {}, 0};
    for (const auto& endpoint : c.endpoints)
      cluster.pools.push_back(std::make_unique<ConnPool>(dispatcher, c, endpoint));
    clusters_.push_back(std::move(cluster));
  }
}

ConnPool& ClusterManager::pickPool(size_t cluster_index) {
  Cluster& c = clusters_[cluster_index];
  size_t n = c.pools.size();
  size_t start = c.next++ % n;
  if (c.config->lb == config::LoadBalancerPolicy::RoundRobin || n == 1) return *c.pools[start];
  // least_request: fewest in flight, ties broken by the rotating start.
  size_t best = start;
  for (size_t k = 1; k < n; ++k) {
    size_t i = (start + k) % n;
    if (c.pools[i]->activeRequests() < c.pools[best]->activeRequests()) best = i;
  }
  return *c.pools[best];
}

void ClusterManager::closeIdle() {
  for (auto& c : clusters_)
    for (auto& p : c.pools) p->closeIdle();
}

}  // namespace courier::upstream
