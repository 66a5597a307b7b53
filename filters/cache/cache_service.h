// CacheService: the cache's main-thread side, one per process.
// - POST /cache/purge: {"url": "..."} (every variant of that path and
//   query), {"prefix": "..."} (every path starting with it) or
//   {"tag": "..."} (every entry whose cache-tag had it). Removes the
//   entries from the memory layer and from Redis, then publishes the purge
//   on `courier:invalidate` so every other replica drops its memory copies.
// - Subscribes to `courier:invalidate` and applies other replicas' purges
//   to the memory layer. After a lost subscription (messages may have been
//   missed) it empties the memory layer: serving a purged entry is worse
//   than refetching.
// - Resizes the memory layer when a reload changes [cache], and feeds the
//   courier_cache_bytes / _entries / evictions metrics.
// URLs may be given whole ("http://host/v1/x?a=1") or as a path: entries
// are purged by path and query, on every host (a sidecar serves one).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>

#include "filters/cache/redis_store.h"
#include "proxy/redis/client.h"
#include "proxy/redis/subscriber.h"
#include "proxy/server/process_service.h"

namespace courier::filters::cache {

class CacheService : public server::ProcessService {
 public:
  CacheService();
  ~CacheService() override;

  void configure(event_base* main_base, const config::Config& config,
                 stats::WorkerStats* stats) override;
  void shutdown() override;
  void purge(std::string_view body, Done done) override;

  // For tests: whether the invalidation subscription is live.
  bool subscribed() const { return subscriber_ && subscriber_->subscribed(); }

 private:
  class PendingPurge;
  void onInvalidation(std::string_view message);
  void onResubscribed();
  void finished(PendingPurge* p);

  std::optional<config::RedisConfig> redis_config_;
  stats::WorkerStats* stats_ = nullptr;
  std::unique_ptr<redis::Client> redis_;  // purges and publishes
  std::unique_ptr<redis::Subscriber> subscriber_;
  std::unordered_set<PendingPurge*> pending_;
};

// What a purge request asks for; nullopt and `error` for a bad body.
struct PurgeRequest {
  PurgeKind kind = PurgeKind::Path;
  std::string value;  // a path (and query), a path prefix, or a tag
};
std::optional<PurgeRequest> parsePurgeRequest(std::string_view body, std::string* error);

}  // namespace courier::filters::cache
