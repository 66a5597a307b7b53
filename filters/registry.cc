#include "filters/registry.h"

#include "config/filter_factory.h"
#include "filters/cache/config.h"
#include "filters/headers/config.h"
#include "filters/rate_limit/config.h"

namespace courier::filters {

std::span<const config::FilterFactory> registry() {
  static constexpr config::FilterFactory kFactories[] = {
      {"rate_limit", kRateLimitOrder, &rate_limit::parseRateLimitConfig},
      {"cache", kCacheOrder, &cache::parseCacheConfig},
      {"headers", kHeadersOrder, &headers::parseHeadersConfig},
  };
  return kFactories;
}

}  // namespace courier::filters
