// Config of the `rate_limit` filter, parsed from a route's
//   rate_limit = [ { key = "header:x-api-key", rate = 10, per = "1s", burst = 20 },
//                  { key = "route", rate = 1000, per = "1s", scope = "redis" } ]
// (a single table is accepted as a list of one). Each entry is a token
// bucket per key value; a request must pass every entry that applies.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/filter_factory.h"
#include "filters/rate_limit/local_buckets.h"

namespace courier::filters::rate_limit {

enum class KeyKind : uint8_t { ClientIp, Header, Route };
enum class Scope : uint8_t { Local, Redis };

// Limits per route: enough for any sane policy, and it lets a stream keep
// its per-limit state in a fixed array.
inline constexpr size_t kMaxLimitsPerRoute = 8;
inline constexpr size_t kDefaultMaxKeys = 1'000'000;

struct Limit {
  KeyKind key_kind = KeyKind::ClientIp;
  std::string key_text;  // as written: "client_ip", "header:x-api-key", "route"
  std::string header;    // lower-case name, for KeyKind::Header
  double rate = 0;
  config::Duration per{1'000};
  uint32_t burst = 0;
  Scope scope = Scope::Local;
  // A request without the keyed header: false (default) = limited under the
  // empty key (all such requests share one bucket); true = this limit does
  // not apply to it.
  bool skip_if_missing = false;
  size_t max_keys = kDefaultMaxKeys;
  BucketShape shape;
  // Local scope: the buckets. Redis scope: the fallback used while Redis
  // fails. Shared by every worker (and across reloads; bucket_registry.h).
  std::shared_ptr<LocalBuckets> buckets;
  // Redis scope: "courier:rl:<route>:<key>:<rate>/<per ms>:"; the key's hash
  // follows. The same config on every replica gives the same keys.
  std::string redis_prefix;
  int64_t interval_us = 1;  // shape in Redis's microseconds
  int64_t capacity_us = 1;
};

class RateLimitConfig : public config::FilterConfig {
 public:
  explicit RateLimitConfig(std::vector<Limit> limits) : limits_(std::move(limits)) {}

  std::string_view name() const override { return "rate_limit"; }
  std::unique_ptr<http::StreamFilter> createFilter() const override;
  std::string renderJson() const override;

  const std::vector<Limit>& limits() const { return limits_; }

 private:
  std::vector<Limit> limits_;
};

// The FilterFactory parse function for route key "rate_limit".
std::shared_ptr<const config::FilterConfig> parseRateLimitConfig(const toml::node& node,
                                                                 config::ParseContext& ctx);

}  // namespace courier::filters::rate_limit
