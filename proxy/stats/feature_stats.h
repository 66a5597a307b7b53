// Label values of the feature metrics that filters record:
// courier_ratelimit_decisions_total{route,decision},
// courier_ratelimit_fallbacks_total{route,reason},
// courier_cache_requests_total{route,layer,result} and
// courier_redis_errors_total{op}. Fixed enums, so a hostile client or
// server can never create a new series.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace courier::stats {

enum class RateLimitDecision : uint8_t { Allowed, Limited };
inline constexpr std::array<std::string_view, 2> kRateLimitDecisionNames = {"allowed", "limited"};

// Why a scope = "redis" limit was decided by the local bucket instead.
enum class RateLimitFallback : uint8_t { Disconnected, Timeout, Error };
inline constexpr std::array<std::string_view, 3> kRateLimitFallbackNames = {"disconnected",
                                                                            "timeout", "error"};

// What courier was doing when Redis failed. "connect" covers connecting,
// AUTH/SELECT and connections that drop.
enum class RedisOp : uint8_t { Connect, RateLimit, CacheGet, CachePut, Purge, Subscribe };
inline constexpr std::array<std::string_view, 6> kRedisOpNames = {
    "connect", "ratelimit", "cache_get", "cache_put", "purge", "subscribe"};

// Cache lookups: each layer a request consults records what it found there.
// A request the cache does not handle at all records None/Bypass.
enum class CacheLayer : uint8_t { Memory, Redis, None };
inline constexpr std::array<std::string_view, 3> kCacheLayerNames = {"memory", "redis", "none"};

enum class CacheResult : uint8_t { Hit, Miss, Stale, Bypass, Error };
inline constexpr std::array<std::string_view, 5> kCacheResultNames = {"hit", "miss", "stale",
                                                                      "bypass", "error"};

// The pairs a layer can produce; only these are exported (and recorded:
// WorkerStats::recordCache asserts it). memory: hit, miss, stale (served
// past its freshness); redis: hit, miss, error (failed or timed out);
// none: bypass (not cacheable, or the request skips the cache).
constexpr bool isCacheSeries(CacheLayer layer, CacheResult result) {
  switch (layer) {
    case CacheLayer::Memory:
      return result == CacheResult::Hit || result == CacheResult::Miss ||
             result == CacheResult::Stale;
    case CacheLayer::Redis:
      return result == CacheResult::Hit || result == CacheResult::Miss ||
             result == CacheResult::Error;
    case CacheLayer::None:
      return result == CacheResult::Bypass;
  }
  return false;
}

inline constexpr size_t kRateLimitDecisionCount = kRateLimitDecisionNames.size();
inline constexpr size_t kRateLimitFallbackCount = kRateLimitFallbackNames.size();
inline constexpr size_t kRedisOpCount = kRedisOpNames.size();
inline constexpr size_t kCacheLayerCount = kCacheLayerNames.size();
inline constexpr size_t kCacheResultCount = kCacheResultNames.size();

}  // namespace courier::stats
