// The RFC 9111 shared-cache rules as pure functions: may a response be
// stored, how fresh it is, may a stored entry answer a request now, do the
// request's conditionals match it, and how a 304 refreshes it. No I/O and no
// clock: callers pass the times (unix milliseconds, system clock).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

#include "filters/cache/cache_control.h"
#include "filters/cache/entry.h"
#include "proxy/http/header_map.h"

namespace courier::filters::cache {

// The route's cache keys that affect semantics.
struct RoutePolicy {
  int64_t ttl_ms = 0;                     // freshness when the origin gives none
  int64_t stale_while_revalidate_ms = 0;  // route default; a response directive overrides
  int64_t stale_if_error_ms = 0;
  bool allow_set_cookie = false;      // store responses carrying Set-Cookie
  bool authorization_in_key = false;  // "authorization" is one of key_headers
};

struct StoreDecision {
  bool store = false;
  // Static text for logs: "stored", "no-store", "private", "status", "vary-star",
  // "set-cookie", "authorization" or "no-freshness".
  std::string_view reason;
};

// May a shared cache store this response (RFC 9111 §3, SPEC §4)? If yes, fills
// `entry`'s status, headers (copyStorableFields, plus a Date of the response
// time when the origin sent none, RFC 9110 §6.6.1), timing fields, freshness
// lifetime (s-maxage > max-age > Expires - Date > route ttl), stale windows,
// must_revalidate, no_cache, tags and vary. Leaves body, path and vary_marker.
StoreDecision decideStore(const http::RequestHeaders& req, const CacheControl& req_cc,
                          const http::ResponseHeaders& resp, const CacheControl& resp_cc,
                          const RoutePolicy& route, int64_t request_time_ms,
                          int64_t response_time_ms, CachedEntry& entry);

// Replaces entry.headers with the fields of `from` a cache keeps: drops
// hop-by-hop fields (and any named in Connection), Age, x-cache, and
// Set-Cookie unless `keep_set_cookie`.
void copyStorableFields(const http::HeaderMap& from, bool keep_set_cookie, CachedEntry& entry);

enum class Usability {
  Fresh,                 // serve as is
  ServeStale,            // stale, but the request's max-stale allows it
  StaleWhileRevalidate,  // stale within the entry's window: serve, refresh in the background
  Revalidate,            // ask the origin first
};

// How a stored entry may answer this request at `now_ms`.
Usability classify(const CachedEntry& entry, const CacheControl& req_cc, int64_t now_ms);

// May this entry answer when the origin failed (RFC 5861 stale-if-error)? Its
// staleness must be within the entry's window or the request's stale-if-error,
// and the entry must not be must_revalidate or no_cache.
bool staleIfErrorAllows(const CachedEntry& entry, const CacheControl& req_cc, int64_t now_ms);

// Do the request's conditionals match the entry, so it can be answered with 304?
// If-None-Match (weak comparison) takes precedence over If-Modified-Since
// (against Last-Modified, else Date, else the response time). GET and HEAD only;
// false without conditionals.
bool conditionalMatches(const http::RequestHeaders& req, const CachedEntry& entry);

// ETag or Last-Modified: can the origin answer a revalidation with 304?
bool hasValidators(const CachedEntry& entry);

// RFC 9111 §4.3.4: a new entry with the old body and path, the stored fields
// replaced by the 304's same-named fields (except hop-by-hop and
// Content-Length), and freshness and times recomputed as decideStore does.
// nullptr if the merged response may no longer be stored.
std::shared_ptr<CachedEntry> refreshFromNotModified(
    const CachedEntry& old, const http::RequestHeaders& req, const CacheControl& req_cc,
    const http::ResponseHeaders& not_modified, const RoutePolicy& route, int64_t request_time_ms,
    int64_t response_time_ms);

}  // namespace courier::filters::cache
