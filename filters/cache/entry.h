// CachedEntry: one stored response, as the memory layer keeps it and the
// Redis layer stores it (entry_codec.h gives the binary form).
//
// An entry is immutable once stored: the memory layer hands out
// shared_ptr<const CachedEntry>, and a hit serves its headers and body as
// views, so the entry must outlive the response that points into it (the
// serving filter holds the shared_ptr). Updating an entry (a 304 from the
// origin refreshing it) makes a new one.
//
// Times are unix milliseconds on the system clock, not steady time: entries
// move between replicas through Redis.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "filters/cache/entry_body.h"

namespace courier::filters::cache {

// A 128-bit key hash (XXH3-128). The memory layer keys on it; the Redis
// layer names the entry "courier:c:" + hex().
struct CacheKey {
  uint64_t high = 0;
  uint64_t low = 0;
  bool operator==(const CacheKey&) const = default;
  std::string hex() const;  // 32 lower-case hex digits, high first
};

struct CachedEntry {
  // A vary marker stands in the primary key's place when the response
  // carried Vary: it holds only `vary` (the lower-case request field names),
  // and the response itself is stored under variantKey(primary, vary, req).
  bool vary_marker = false;

  int status = 200;
  // Stored response fields, lower-case names, in origin order. Hop-by-hop
  // fields, Age and x-cache are not stored.
  std::vector<std::pair<std::string, std::string>> headers;
  EntryBody body;  // the whole body, de-chunked

  // RFC 9111 §4.2.3 inputs, fixed at store time.
  int64_t request_time_ms = 0;           // when the request went upstream
  int64_t response_time_ms = 0;          // when the response head arrived
  int64_t corrected_initial_age_ms = 0;  // max(apparent age, Age + response delay)
  int64_t freshness_lifetime_ms = 0;     // s-maxage > max-age > Expires - Date > route ttl
  // Serving stale: windows after freshness ends (route keys or directives).
  int64_t stale_while_revalidate_ms = 0;
  int64_t stale_if_error_ms = 0;
  bool must_revalidate = false;  // must-revalidate / proxy-revalidate / s-maxage: never stale
  bool no_cache = false;         // stored, but revalidated before every use

  // For purge: the path and query the entry was keyed under, and the
  // response's cache-tag values (comma- or space-separated in the header).
  std::string path;
  std::vector<std::string> tags;
  // Lower-case names of the request fields the response varies on.
  std::vector<std::string> vary;

  // RFC 9111 §4.2.3 current_age at `now_ms`.
  int64_t currentAgeMs(int64_t now_ms) const {
    int64_t resident = now_ms - response_time_ms;
    return corrected_initial_age_ms + (resident > 0 ? resident : 0);
  }
  bool isFresh(int64_t now_ms) const {
    return !no_cache && currentAgeMs(now_ms) < freshness_lifetime_ms;
  }
  // How long past freshness the entry is at `now_ms` (0 while fresh).
  int64_t stalenessMs(int64_t now_ms) const {
    int64_t s = currentAgeMs(now_ms) - freshness_lifetime_ms;
    return s > 0 ? s : 0;
  }
  // First stored value of a field, or nullptr.
  const std::string* header(std::string_view lower_name) const {
    for (const auto& [n, v] : headers)
      if (n == lower_name) return &v;
    return nullptr;
  }
  // What [cache] memory_bytes counts for this entry: body, fields, path,
  // tags, vary names and a fixed overhead for the structures.
  size_t byteSize() const {
    size_t n = sizeof(CachedEntry) + body.residentBytes() + path.size();
    for (const auto& [k, v] : headers) n += k.size() + v.size() + 2 * sizeof(std::string);
    for (const auto& t : tags) n += t.size() + sizeof(std::string);
    for (const auto& v : vary) n += v.size() + sizeof(std::string);
    return n;
  }
};

}  // namespace courier::filters::cache
