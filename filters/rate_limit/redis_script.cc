#include "filters/rate_limit/redis_script.h"

#include <string>

namespace courier::filters::rate_limit {

std::string_view gcraScript() {
  // TIME is allowed in scripts since Redis 5 (effects replication). TATs are
  // stored as integers; a missing key is a full bucket.
  static constexpr std::string_view kScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local base = {}
local out = {1}
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local capacity = tonumber(ARGV[2 * i])
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0') or 0
  if tat < now then tat = now end
  base[i] = tat
  local ahead = tat + interval - now
  if ahead > capacity then
    out[1] = 0
    out[3 * i - 1] = 0
    out[3 * i] = tat - now
    out[3 * i + 1] = ahead - capacity
  else
    out[3 * i - 1] = math.floor((capacity - ahead) / interval)
    out[3 * i] = ahead
    out[3 * i + 1] = 0
  end
end
if out[1] == 1 then
  for i = 1, n do
    local interval = tonumber(ARGV[2 * i - 1])
    local tat = base[i] + interval
    redis.call('SET', KEYS[i], string.format('%d', tat), 'PX', math.floor((tat - now) / 1000) + 1)
  end
else
  for i = 1, n do
    if out[3 * i + 1] == 0 then out[3 * i - 1] = out[3 * i - 1] + 1 end
  end
end
return out
)lua";
  return kScript;
}

std::string_view gcraScriptSha1() {
  static const std::string sha = redis::scriptSha1(gcraScript());
  return sha;
}

std::optional<bool> parseGcraReply(const redis::Reply& reply, size_t count, RedisLimitResult* out) {
  if (!reply.isArray() || reply.size() != 1 + 3 * count) return std::nullopt;
  for (size_t i = 0; i < reply.size(); ++i)
    if (!reply.element(i).isInteger()) return std::nullopt;
  for (size_t i = 0; i < count; ++i) {
    int64_t remaining = reply.element(1 + 3 * i).integer();
    int64_t reset_us = reply.element(2 + 3 * i).integer();
    int64_t retry_us = reply.element(3 + 3 * i).integer();
    if (remaining < 0 || reset_us < 0 || retry_us < 0) return std::nullopt;
    out[i].remaining = static_cast<uint32_t>(std::min<int64_t>(remaining, UINT32_MAX));
    out[i].reset_ns = reset_us * 1000;
    out[i].retry_after_ns = retry_us * 1000;
  }
  return reply.element(0).integer() == 1;
}

}  // namespace courier::filters::rate_limit
