// ClusterManager: one worker's view of every cluster: a pool per endpoint
// (ConnPool for HTTP/1.1 clusters, H2ConnPool for h2c ones) and the load
// balancer that picks among them.
// Not thread-safe: each worker has its own.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/upstream/conn_pool.h"
#include "proxy/upstream/h2_conn_pool.h"

namespace courier::upstream {

class ClusterManager {
 public:
  ClusterManager(event::Dispatcher& dispatcher, const config::Config& config);

  // Does this cluster speak h2c (pickH2Pool) rather than HTTP/1.1 (pickPool)?
  bool isH2(size_t cluster_index) const {
    return clusters_[cluster_index].config->protocol == config::UpstreamProtocol::H2c;
  }
  // The pool the load balancer picks for the next request to this cluster.
  ConnPool& pickPool(size_t cluster_index);
  H2ConnPool& pickH2Pool(size_t cluster_index);
  void closeIdle();

 private:
  struct Cluster {
    const config::ClusterConfig* config;
    std::vector<std::unique_ptr<ConnPool>> pools;       // http1 clusters
    std::vector<std::unique_ptr<H2ConnPool>> h2_pools;  // h2c clusters
    size_t next = 0;                                    // round-robin cursor
  };
  std::vector<Cluster> clusters_;
};

}  // namespace courier::upstream
