// Config of the `cache` filter, parsed from a route's
//   cache = { layers = ["memory", "redis"], ttl = "5m", redis_ttl = "1h",
//             methods = ["POST"], key_headers = ["authorization"],
//             stale_while_revalidate = "30s", stale_if_error = "5m" }
// plus the process-wide [cache] section (memory_bytes, max_object_bytes),
// which sizes the memory layer every cached route shares.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/filter_factory.h"
#include "filters/cache/key.h"
#include "filters/cache/policy.h"

namespace courier::filters::cache {

struct CacheRuntime;

class CacheConfig : public config::FilterConfig {
 public:
  std::string_view name() const override { return "cache"; }
  std::unique_ptr<http::StreamFilter> createFilter() const override;
  std::string renderJson() const override;

  bool memory = true;  // layers holds "memory"
  bool redis = false;  // layers holds "redis"
  // Redis keeps entries this long; 0 = as long as the memory layer would
  // (freshness plus the stale windows).
  int64_t redis_ttl_ms = 0;
  std::vector<std::string> methods;      // upper-case; GET implies HEAD
  std::vector<std::string> key_headers;  // lower-case field names
  BodyKeyMode body_key = BodyKeyMode::CanonicalJson;
  bool coalesce = true;
  // How long a request waits for a coalesced response's head before it
  // goes upstream on its own.
  config::Duration coalesce_timeout{30'000};
  uint64_t max_object_bytes = 8ull << 20;  // from [cache]
  RoutePolicy policy;                      // ttl, stale windows, Set-Cookie, Authorization
  std::string route_name;
  // The memory layer and the coalescing table, shared by every route and
  // worker (and across reloads while [cache] keeps its size).
  std::shared_ptr<CacheRuntime> runtime;

  bool cachesMethod(std::string_view method) const;
  bool hasKeyHeader(std::string_view lower_name) const;
};

// The FilterFactory parse function for route key "cache".
std::shared_ptr<const config::FilterConfig> parseCacheConfig(const toml::node& node,
                                                             config::ParseContext& ctx);

}  // namespace courier::filters::cache
