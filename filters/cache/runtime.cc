#include "filters/cache/runtime.h"

#include <mutex>
#include <random>

namespace courier::filters::cache {
namespace {

std::mutex g_mutex;
std::weak_ptr<CacheRuntime> g_runtime;

std::string newInstanceId() {
  std::random_device rd;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(16, '0');
  for (auto& c : id) c = kHex[rd() & 15];
  return id;
}

}  // namespace

CacheRuntime::CacheRuntime(const config::CacheSettings& settings)
    : memory(settings.memory_bytes, settings.max_object_bytes), instance_id(newInstanceId()) {}

std::shared_ptr<CacheRuntime> acquireCacheRuntime(const config::CacheSettings& settings) {
  std::lock_guard lock(g_mutex);
  // A live runtime is kept as it is: parsing a config must not change the
  // running one (the reload may still fail). The cache service resizes it
  // once a new config is in use.
  if (auto live = g_runtime.lock()) return live;
  auto made = std::make_shared<CacheRuntime>(settings);
  g_runtime = made;
  return made;
}

std::shared_ptr<CacheRuntime> currentCacheRuntime() {
  std::lock_guard lock(g_mutex);
  return g_runtime.lock();
}

}  // namespace courier::filters::cache
