// CacheRuntime: the cache state one courier process shares across routes,
// workers and config reloads: the memory layer (L1) and the table of
// responses being fetched (coalescing). Config parsing acquires it; the
// main thread's cache service (purge, invalidation subscriber) and the
// metrics read it.
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "filters/cache/coalescer.h"
#include "filters/cache/memory_store.h"

namespace courier::filters::cache {

struct CacheRuntime {
  explicit CacheRuntime(const config::CacheSettings& settings);

  MemoryStore memory;
  CoalesceTable fills;
  RefreshSet refreshing;
  // Names this process in invalidation messages, so it skips its own.
  const std::string instance_id;
};

// The process's runtime, made on first use (sized by `settings`); later
// calls return the same one. It lives while any config generation refers
// to it; CacheService resizes it when a reload changes [cache].
std::shared_ptr<CacheRuntime> acquireCacheRuntime(const config::CacheSettings& settings);
// The live runtime, or nullptr when no route caches.
std::shared_ptr<CacheRuntime> currentCacheRuntime();

}  // namespace courier::filters::cache
