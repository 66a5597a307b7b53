// The `rate_limit` filter: decides each request against the route's limits
// before anything else runs (it is first in the chain), answers 429 with
// Retry-After when one says no, and adds RateLimit-Limit / -Remaining /
// -Reset for the tightest limit to every response of the route.
//
// Local limits are decided synchronously. Redis limits are decided by one
// script call on the worker's Redis connection while the chain waits; if
// Redis is down, slow (over [redis] timeout) or answers nonsense, the local
// bucket of each such limit decides instead and the fallback is counted.
//
// Threading/ownership: one filter per stream, on its worker. It references
// the route's RateLimitConfig, which the stream's config generation keeps.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "filters/rate_limit/config.h"
#include "proxy/http/filter.h"
#include "proxy/redis/client.h"
#include "proxy/stats/feature_stats.h"

namespace courier::filters::rate_limit {

class RateLimitFilter : public http::StreamFilter, public redis::ReplyHandler {
 public:
  explicit RateLimitFilter(const RateLimitConfig& config) : config_(config) {}

  http::FilterHeadersStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterHeadersStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;
  void onLocalReply(http::ResponseHeaders& headers) override;
  void onDestroy() override;

  void onRedisReply(const redis::Reply& reply) override;
  void onRedisError(redis::Error error, std::string_view message) override;

 private:
  // One limit's part in this request.
  struct Applied {
    bool applies = false;     // false: skip_if_missing and the header is absent
    bool took_local = false;  // a local bucket gave a token (refunded on a 429)
    uint64_t key_hash = 0;
    Decision decision;
  };

  // Takes tokens from the local buckets of the limits of `scope` (Redis
  // limits use theirs as the fallback); false (and limited_) if one refused.
  bool takeLocalTokens(Scope scope);
  // Sends the Redis limits' script; false if there is no connection.
  bool sendRedis();
  // Decides the Redis limits with their local buckets instead.
  void fallBackToLocal(stats::RateLimitFallback why);
  // After the Redis answer: continue, or answer 429.
  void resume();
  // Gives back tokens taken and answers 429.
  void reject();
  int64_t retryAfterSeconds() const;  // of the refusing limit, at least 1
  // The applied limit with the fewest tokens left (ties: the later reset).
  std::optional<size_t> tightest() const;
  // RateLimit-* of the tightest limit, or on a 429 Retry-After and those of
  // the refusing limit.
  void addRateLimitFields(http::HeaderMap& headers);
  void recordDecision(stats::RateLimitDecision d);

  const RateLimitConfig& config_;
  std::array<Applied, kMaxLimitsPerRoute> applied_{};
  redis::Request* redis_request_ = nullptr;
  bool limited_ = false;
  size_t refused_index_ = 0;  // limited_: the limit whose token comes last
  // The values of the fields the response head points at. A filter lives
  // until its stream is deleted, as long as the response head it marks
  // (and HTTP/1.1 writes the head out at once).
  char field_values_[4 * 20] = {};
};

}  // namespace courier::filters::rate_limit
