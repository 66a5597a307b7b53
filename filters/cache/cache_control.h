// Cache-Control (RFC 9111 §5.2, RFC 5861) parsed into flags and delta-seconds,
// for the cache policy to read without re-scanning header text.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "proxy/http/header_map.h"

namespace courier::filters::cache {

// RFC 9111 §1.2.2: a delta-seconds too large to represent counts as 2^31.
inline constexpr int64_t kMaxDeltaSeconds = 2147483648;

struct CacheControl {
  bool no_store = false;
  bool no_cache = false;  // also set by `no-cache="field"` and a request's Pragma: no-cache
  bool private_ = false;  // also set by `private="field"`
  bool public_ = false;
  bool must_revalidate = false;
  bool proxy_revalidate = false;
  bool no_transform = false;
  bool only_if_cached = false;
  bool immutable = false;
  std::optional<int64_t> max_age_s;
  std::optional<int64_t> s_maxage_s;
  std::optional<int64_t> min_fresh_s;
  std::optional<int64_t> stale_while_revalidate_s;
  std::optional<int64_t> stale_if_error_s;
  bool max_stale = false;
  std::optional<int64_t> max_stale_s;  // max_stale && !max_stale_s: any staleness
};

// Reads every Cache-Control field of a request (`request` true) or a response.
// Directive names are case-insensitive; values may be tokens or quoted strings;
// unknown directives are ignored; `no-cache="f"` and `private="f"` count as
// their unqualified (stricter) forms.
// A missing or invalid delta-seconds makes a response directive 0 (RFC 9111
// §4.2.1: treat invalid freshness as stale) and a request directive absent.
// A directive given twice keeps the stricter value (the smaller, or for
// min-fresh the larger).
// A request without Cache-Control but with `Pragma: no-cache` is no_cache.
CacheControl parseCacheControl(const http::HeaderMap& headers, bool request);

// delta-seconds (1*DIGIT), saturated at kMaxDeltaSeconds; nullopt if the text
// is not all digits. Also used for the Age field.
std::optional<int64_t> parseDeltaSeconds(std::string_view text);

}  // namespace courier::filters::cache
