#include "proxy/stats/worker_stats.h"

#include <cstdlib>

namespace courier::stats {
namespace {

size_t alignUp(size_t n, size_t a) {
  return (n + a - 1) / a * a;
}

}  // namespace

WorkerStats::WorkerStats(size_t routes, size_t clusters)
    : route_count_(routes), cluster_count_(clusters) {
  // calloc, not new[]: zeroed pages that no request touches stay shared
  // zero pages (see counter.h). The extra 64 bytes let the arrays start on
  // a cache line so the first route does not share one with a neighbour.
  size_t routes_bytes = alignUp(routes * sizeof(RouteShard), 64);
  size_t bytes = routes_bytes + clusters * sizeof(ClusterShard) + 64;
  block_ = std::calloc(1, bytes);
  if (block_ == nullptr) std::abort();  // startup only: nothing sensible to run without stats
  auto base = alignUp(reinterpret_cast<uintptr_t>(block_), 64);
  // Counter and Gauge are trivial types, so calloc'd storage holds them
  // implicitly (C++20 implicit object creation); zero is their initial value.
  routes_ = reinterpret_cast<RouteShard*>(base);
  clusters_ = reinterpret_cast<ClusterShard*>(base + routes_bytes);
}

WorkerStats::~WorkerStats() {
  std::free(block_);
}

}  // namespace courier::stats
