#include "proxy/upstream/cluster_manager.h"

namespace courier::upstream {
namespace {

// round_robin, or least_request: fewest in flight, ties broken by the
// rotating start.
template <typename Pool>
Pool& pick(const std::vector<std::unique_ptr<Pool>>& pools, config::LoadBalancerPolicy lb,
           size_t& next) {
  size_t n = pools.size();
  size_t start = next++ % n;
  if (lb == config::LoadBalancerPolicy::RoundRobin || n == 1) return *pools[start];
  size_t best = start;
  for (size_t k = 1; k < n; ++k) {
    size_t i = (start + k) % n;
    if (pools[i]->activeRequests() < pools[best]->activeRequests()) best = i;
  }
  return *pools[best];
}

}  // namespace

ClusterManager::ClusterManager(event::Dispatcher& dispatcher, const config::Config& config) {
  clusters_.reserve(config.clusters.size());
  for (const auto& c : config.clusters) {
    Cluster cluster{&c, {}, {}, 0};
    for (const auto& endpoint : c.endpoints) {
      if (c.protocol == config::UpstreamProtocol::H2c) {
        cluster.h2_pools.push_back(
            std::make_unique<H2ConnPool>(dispatcher, c, endpoint, config.server.max_header_bytes));
      } else {
        cluster.pools.push_back(std::make_unique<ConnPool>(dispatcher, c, endpoint));
      }
    }
    clusters_.push_back(std::move(cluster));
  }
}

ConnPool& ClusterManager::pickPool(size_t cluster_index) {
  Cluster& c = clusters_[cluster_index];
  return pick(c.pools, c.config->lb, c.next);
}

H2ConnPool& ClusterManager::pickH2Pool(size_t cluster_index) {
  Cluster& c = clusters_[cluster_index];
  return pick(c.h2_pools, c.config->lb, c.next);
}

void ClusterManager::closeIdle() {
  for (auto& c : clusters_) {
    for (auto& p : c.pools) p->closeIdle();
    for (auto& p : c.h2_pools) p->closeIdle();
  }
}

}  // namespace courier::upstream
