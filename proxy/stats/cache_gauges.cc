#include "proxy/stats/cache_gauges.h"

#include <mutex>
#include <utility>

namespace courier::stats {
namespace {

// Function-local statics: safe to use from other statics' constructors.
std::mutex& sourceMutex() {
  static std::mutex mu;
  return mu;
}
std::function<CacheGauges()>& source() {
  static std::function<CacheGauges()> fn;
  return fn;
}

}  // namespace

void setCacheGaugeSource(std::function<CacheGauges()> fn) {
  std::lock_guard lock(sourceMutex());
  source() = std::move(fn);
}

std::optional<CacheGauges> readCacheGauges() {
  // Called under the lock so a concurrent unset waits for this call to end
  // (the promise in the header). Scrapes are rare; nothing else contends.
  std::lock_guard lock(sourceMutex());
  if (!source()) return std::nullopt;
  return source()();
}

}  // namespace courier::stats
