// Label values of the feature metrics that filters record:
// courier_ratelimit_decisions_total{route,decision},
// courier_ratelimit_fallbacks_total{route,reason} and
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
enum class RedisOp : uint8_t { Connect, RateLimit };
inline constexpr std::array<std::string_view, 2> kRedisOpNames = {"connect", "ratelimit"};

inline constexpr size_t kRateLimitDecisionCount = kRateLimitDecisionNames.size();
inline constexpr size_t kRateLimitFallbackCount = kRateLimitFallbackNames.size();
inline constexpr size_t kRedisOpCount = kRedisOpNames.size();

}  // namespace courier::stats
