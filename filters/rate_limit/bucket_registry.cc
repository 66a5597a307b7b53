#include "filters/rate_limit/bucket_registry.h"

#include <map>
#include <mutex>

namespace courier::filters::rate_limit {

std::shared_ptr<LocalBuckets> sharedBuckets(const std::string& identity, BucketShape shape,
                                            bool keyed, size_t max_keys) {
  // Weak: buckets die with the last config that uses them.
  static std::mutex mu;
  static std::map<std::string, std::weak_ptr<LocalBuckets>> live;
  std::lock_guard lock(mu);
  std::erase_if(live, [](const auto& entry) { return entry.second.expired(); });
  if (auto it = live.find(identity); it != live.end())
    if (auto existing = it->second.lock()) return existing;
  auto made = std::make_shared<LocalBuckets>(shape, keyed, max_keys);
  live[identity] = made;
  return made;
}

}  // namespace courier::filters::rate_limit
