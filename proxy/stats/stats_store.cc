#include "proxy/stats/stats_store.h"

#include <atomic>
#include <utility>

namespace courier::stats {
namespace {

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define COURIER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define COURIER_TSAN 1
#endif

void acquireFence() {
#ifndef COURIER_TSAN
  std::atomic_thread_fence(std::memory_order_acquire);
#endif
  // TSan does not model fences (GCC rejects them under -fsanitize=thread).
  // Every access to a shard is atomic, so it has no race to report anyway.
}

}  // namespace

StatsStore::StatsStore(std::vector<std::string> routes, std::vector<std::string> clusters,
                       unsigned workers)
    : route_names_(std::move(routes)),
      cluster_names_(std::move(clusters)),
      start_(std::chrono::steady_clock::now()) {
  route_names_.emplace_back(kNoRouteName);
  shards_.reserve(workers == 0 ? 1 : workers);
  for (unsigned i = 0; i < (workers == 0 ? 1 : workers); ++i)
    shards_.push_back(std::make_unique<WorkerStats>(route_names_.size(), cluster_names_.size()));
  carried_ = StatsSnapshot::shaped(route_names_, cluster_names_);
}

StatsStore::~StatsStore() = default;

void StatsStore::inheritFrom(std::shared_ptr<const StatsStore> previous) {
  if (!previous || previous.get() == this) return;
  std::scoped_lock lock(lineage_mu_, previous->lineage_mu_);
  start_ = previous->start_;
  carried_.mergeByName(previous->carried_);
  // Flatten the lineage: the previous store's own retired stores become
  // ours, so snapshot() never recurses.
  for (auto& r : previous->retired_) retired_.push_back(std::move(r));
  previous->retired_.clear();
  previous->carried_ = StatsSnapshot::shaped(previous->route_names_, previous->cluster_names_);
  retired_.push_back(std::move(previous));
}

StatsSnapshot StatsStore::ownSnapshot() const {
  StatsSnapshot s = StatsSnapshot::shaped(route_names_, cluster_names_);
  for (const auto& shard : shards_) s.addShard(*shard);
  s.reloads_ok = reloads_ok_.load();
  s.reloads_failed = reloads_failed_.load();
  return s;
}

StatsSnapshot StatsStore::snapshot() const {
  StatsSnapshot s = ownSnapshot();
  s.cache_gauges = readCacheGauges();  // before the lock: the source is foreign code
  std::lock_guard lock(lineage_mu_);
  for (auto it = retired_.begin(); it != retired_.end();) {
    const StatsStore& old = **it;
    if (it->use_count() == 1) {
      // Nobody else holds it, so nobody can write it again. use_count() is a
      // relaxed load; the fence pairs it with the release in the last
      // owner's decrement so its final writes are visible before we fold.
      acquireFence();
      carried_.mergeByName(old.ownSnapshot());
      it = retired_.erase(it);
    } else {
      s.mergeByName(old.ownSnapshot());
      ++it;
    }
  }
  s.mergeByName(carried_);
  return s;
}

}  // namespace courier::stats
