// ClusterManager: one worker's view of every cluster: a ConnPool per
// endpoint and the load balancer that picks among them.
// Not thread-safe: each worker has its own.
#pragma once

#include <memory>
#include <vector>

#include "config/config.h"
#include "proxy/upstream/conn_pool.h"

namespace courier::upstream {

class ClusterManager {
 public:
  ClusterManager(event::Dispatcher& dispatcher, const config::Config& config);

  // The pool the load balancer picks for the next request to this cluster.
  ConnPool& pickPool(size_t cluster_index);
  void closeIdle();

 private:
  struct Cluster {
    const config::ClusterConfig* config;
    std::vector<std::unique_ptr<ConnPool>> pools;
    size_t next = 0;  // round-robin cursor
  };
  std::vector<Cluster> clusters_;
};

}  // namespace courier::upstream
