// The scope = "redis" decision: one Lua script, run atomically by Redis with
// EVALSHA, decides every Redis-scoped limit of a request in one round trip
// (GCRA as in gcra.h, on Redis's own clock, in microseconds). Tokens are
// taken only if every limit allows, so a request refused by one limit costs
// nothing from the others. Each key expires when its bucket would be full
// again, so idle buckets leave Redis by themselves.
//
// KEYS[i]: the bucket of limit i. ARGV[2i-1], ARGV[2i]: its interval and
// capacity in microseconds. Reply: {allowed (1|0), then per limit:
// remaining, reset_us, retry_after_us}.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/redis/client.h"

namespace courier::filters::rate_limit {

std::string_view gcraScript();
std::string_view gcraScriptSha1();  // computed once

struct RedisLimitResult {
  uint32_t remaining = 0;
  int64_t reset_ns = 0;
  int64_t retry_after_ns = 0;
};

// Parses the script's reply for `count` limits into `out` (count entries);
// returns whether all were allowed, or nullopt if the reply is malformed.
std::optional<bool> parseGcraReply(const redis::Reply& reply, size_t count, RedisLimitResult* out);

}  // namespace courier::filters::rate_limit
