#include "filters/cache/policy.h"

#include <algorithm>

#include "filters/cache/http_date.h"

namespace courier::filters::cache {
namespace {

constexpr int64_t kMsPerSecond = 1000;

// Codecs already drop these from what they pass up; checked again because
// a stored entry outlives the connection it came from.
bool isHopByHop(std::string_view name, const http::HeaderMap& message) {
  return http::isHopByHop(name) || message.hasToken("connection", name);
}

// RFC 9110 §15.1: statuses a cache may give heuristic freshness.
bool isHeuristicallyCacheable(int status) {
  switch (status) {
    case 200:
    case 203:
    case 204:
    case 300:
    case 301:
    case 308:
    case 404:
    case 405:
    case 410:
    case 414:
    case 501:
      return true;
    default:
      return false;
  }
}

StoreDecision refuse(std::string_view reason) {
  return {false, reason};
}

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn` for each non-empty item of `list` split at any of `separators`.
template <typename Fn>
void forEachItem(std::string_view list, std::string_view separators, Fn&& fn) {
  while (!list.empty()) {
    size_t end = list.find_first_of(separators);
    std::string_view item = trimOws(list.substr(0, end));
    if (!item.empty()) fn(item);
    if (end == std::string_view::npos) break;
    list.remove_prefix(end + 1);
  }
}

void collectTags(const http::HeaderMap& headers, std::vector<std::string>& tags) {
  tags.clear();
  for (const http::HeaderField& f : headers.fields()) {
    if (f.name != "cache-tag") continue;
    forEachItem(f.value, ", \t", [&](std::string_view tag) {
      if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.emplace_back(tag);
    });
  }
}

void collectVary(const http::HeaderMap& headers, std::vector<std::string>& vary) {
  vary.clear();
  for (const http::HeaderField& f : headers.fields()) {
    if (f.name != "vary") continue;
    forEachItem(f.value, ",", [&](std::string_view name) {
      std::string lower(name);
      for (char& c : lower) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      if (std::find(vary.begin(), vary.end(), lower) == vary.end())
        vary.push_back(std::move(lower));
    });
  }
  std::sort(vary.begin(), vary.end());
}

// The origin's Date in ms, or the response time when it is missing or invalid
// (which makes the apparent age 0).
int64_t originDateMs(const http::HeaderMap& headers, int64_t response_time_ms) {
  const std::string_view* date = headers.get("date");
  std::optional<int64_t> seconds = date ? parseHttpDate(*date) : std::nullopt;
  return seconds ? *seconds * kMsPerSecond : response_time_ms;
}

// RFC 9111 §4.2.1 Expires - Date; an invalid Expires, or several that
// disagree, means already expired.
int64_t expiresLifetimeMs(const http::HeaderMap& headers, int64_t date_ms) {
  std::optional<int64_t> expires_s;
  for (const http::HeaderField& f : headers.fields()) {
    if (f.name != "expires") continue;
    std::optional<int64_t> parsed = parseHttpDate(f.value);
    if (!parsed || (expires_s && *expires_s != *parsed)) return 0;
    expires_s = parsed;
  }
  return expires_s ? std::max<int64_t>(0, *expires_s * kMsPerSecond - date_ms) : 0;
}

int64_t freshnessLifetimeMs(const http::HeaderMap& headers, const CacheControl& cc,
                            const RoutePolicy& route, int64_t date_ms) {
  if (cc.s_maxage_s) return *cc.s_maxage_s * kMsPerSecond;
  if (cc.max_age_s) return *cc.max_age_s * kMsPerSecond;
  if (headers.get("expires")) return expiresLifetimeMs(headers, date_ms);
  return std::max<int64_t>(0, route.ttl_ms);
}

// RFC 9111 §4.2.3 corrected_initial_age.
int64_t correctedInitialAgeMs(const http::HeaderMap& headers, int64_t date_ms,
                              int64_t request_time_ms, int64_t response_time_ms) {
  const std::string_view* age = headers.get("age");
  std::optional<int64_t> age_s = age ? parseDeltaSeconds(trimOws(*age)) : std::nullopt;
  int64_t apparent_age = std::max<int64_t>(0, response_time_ms - date_ms);
  int64_t response_delay = std::max<int64_t>(0, response_time_ms - request_time_ms);
  int64_t corrected_age_value = age_s.value_or(0) * kMsPerSecond + response_delay;
  return std::max(apparent_age, corrected_age_value);
}

// A response directive overrides the route's window.
int64_t windowMs(const std::optional<int64_t>& directive_s, int64_t route_ms) {
  return directive_s ? *directive_s * kMsPerSecond : std::max<int64_t>(0, route_ms);
}

// Checks RFC 9111 §3 and SPEC §4 storability; "" when the response may be stored.
std::string_view refusalReason(const http::RequestHeaders& req, const CacheControl& req_cc,
                               const http::ResponseHeaders& resp, const CacheControl& resp_cc,
                               const RoutePolicy& route) {
  if (req_cc.no_store || resp_cc.no_store) return "no-store";
  if (resp_cc.private_) return "private";
  // 1xx is not final, 206 needs range support, 304 refreshes (refreshFromNotModified).
  const int status = resp.status;
  if (status < 200 || status > 599 || status == 206 || status == 304) return "status";
  const http::HeaderMap& h = resp.headers;
  if (h.hasToken("vary", "*")) return "vary-star";
  if (!route.allow_set_cookie && h.get("set-cookie")) return "set-cookie";
  // RFC 9111 §3.5: an authorized response is shared only when it says so.
  bool shared_despite_auth = resp_cc.public_ || resp_cc.s_maxage_s || resp_cc.must_revalidate;
  if (req.headers.get("authorization") && !route.authorization_in_key && !shared_despite_auth)
    return "authorization";
  bool explicit_freshness =
      resp_cc.s_maxage_s || resp_cc.max_age_s || h.get("expires") || resp_cc.public_;
  if (!explicit_freshness && !isHeuristicallyCacheable(status)) return "status";
  return {};
}

}  // namespace

void copyStorableFields(const http::HeaderMap& from, bool keep_set_cookie, CachedEntry& entry) {
  entry.headers.clear();
  entry.headers.reserve(from.size());
  for (const http::HeaderField& f : from.fields()) {
    if (f.name == "age" || f.name == "x-cache") continue;
    if (f.name == "set-cookie" && !keep_set_cookie) continue;
    if (isHopByHop(f.name, from)) continue;
    entry.headers.emplace_back(std::string(f.name), std::string(f.value));
  }
}

StoreDecision decideStore(const http::RequestHeaders& req, const CacheControl& req_cc,
                          const http::ResponseHeaders& resp, const CacheControl& resp_cc,
                          const RoutePolicy& route, int64_t request_time_ms,
                          int64_t response_time_ms, CachedEntry& entry) {
  std::string_view refusal = refusalReason(req, req_cc, resp, resp_cc, route);
  if (!refusal.empty()) return refuse(refusal);

  const http::HeaderMap& h = resp.headers;
  const int64_t date_ms = originDateMs(h, response_time_ms);
  const int64_t freshness_ms = freshnessLifetimeMs(h, resp_cc, route, date_ms);
  const int64_t initial_age_ms =
      correctedInitialAgeMs(h, date_ms, request_time_ms, response_time_ms);
  // RFC 9111 §4.2.4: these directives forbid serving stale, as does no-cache
  // (every use needs a successful validation).
  const bool must_revalidate =
      resp_cc.must_revalidate || resp_cc.proxy_revalidate || resp_cc.s_maxage_s.has_value();
  const bool stale_forbidden = must_revalidate || resp_cc.no_cache;
  const int64_t swr_ms =
      stale_forbidden ? 0
                      : windowMs(resp_cc.stale_while_revalidate_s, route.stale_while_revalidate_ms);
  const int64_t sie_ms =
      stale_forbidden ? 0 : windowMs(resp_cc.stale_if_error_s, route.stale_if_error_ms);

  // An entry that can neither answer fresh, nor stale, nor be revalidated
  // cheaply would only take memory.
  const bool validators = h.get("etag") || h.get("last-modified");
  const bool usable_fresh = !resp_cc.no_cache && freshness_ms > initial_age_ms;
  if (!validators && !usable_fresh && swr_ms == 0 && sie_ms == 0) return refuse("no-freshness");

  entry.status = resp.status;
  copyStorableFields(h, route.allow_set_cookie, entry);
  if (!h.get("date"))
    entry.headers.emplace_back("date", formatHttpDate(response_time_ms / kMsPerSecond));
  entry.request_time_ms = request_time_ms;
  entry.response_time_ms = response_time_ms;
  entry.corrected_initial_age_ms = initial_age_ms;
  entry.freshness_lifetime_ms = freshness_ms;
  entry.stale_while_revalidate_ms = swr_ms;
  entry.stale_if_error_ms = sie_ms;
  entry.must_revalidate = must_revalidate;
  entry.no_cache = resp_cc.no_cache;
  collectTags(h, entry.tags);
  collectVary(h, entry.vary);
  return {true, "stored"};
}

Usability classify(const CachedEntry& entry, const CacheControl& req_cc, int64_t now_ms) {
  if (entry.no_cache || req_cc.no_cache) return Usability::Revalidate;
  const int64_t age_ms = entry.currentAgeMs(now_ms);
  if (req_cc.max_age_s && age_ms > *req_cc.max_age_s * kMsPerSecond) return Usability::Revalidate;
  const int64_t fresh_left_ms = entry.freshness_lifetime_ms - age_ms;
  if (req_cc.min_fresh_s && fresh_left_ms < *req_cc.min_fresh_s * kMsPerSecond)
    return Usability::Revalidate;
  if (fresh_left_ms > 0) return Usability::Fresh;

  if (entry.must_revalidate) return Usability::Revalidate;
  const int64_t staleness_ms = -fresh_left_ms;
  // A background refresh beats plain stale serving: the next request finds it fresh.
  if (staleness_ms < entry.stale_while_revalidate_ms) return Usability::StaleWhileRevalidate;
  if (req_cc.max_stale &&
      (!req_cc.max_stale_s || staleness_ms <= *req_cc.max_stale_s * kMsPerSecond))
    return Usability::ServeStale;
  return Usability::Revalidate;
}

bool staleIfErrorAllows(const CachedEntry& entry, const CacheControl& req_cc, int64_t now_ms) {
  if (entry.must_revalidate || entry.no_cache) return false;
  const int64_t staleness_ms = entry.stalenessMs(now_ms);
  if (staleness_ms < entry.stale_if_error_ms) return true;
  return req_cc.stale_if_error_s && staleness_ms <= *req_cc.stale_if_error_s * kMsPerSecond;
}

namespace {

// Weak comparison (RFC 9110 §8.8.3.2) ignores the W/ prefix.
std::string_view opaqueTag(std::string_view etag) {
  etag = trimOws(etag);
  if (etag.starts_with("W/")) etag.remove_prefix(2);
  return etag;
}

// Does one If-None-Match field value ("*" or a list of entity-tags) match `stored`?
// Quoted tags may hold commas, so the list is read tag by tag; an unquoted
// item (a sloppy client) is read up to the next comma.
bool ifNoneMatchHits(std::string_view list, const std::string* stored_etag) {
  std::string_view wanted = stored_etag ? opaqueTag(*stored_etag) : std::string_view{};
  while (true) {
    while (!list.empty() && (list.front() == ' ' || list.front() == '\t' || list.front() == ','))
      list.remove_prefix(1);
    if (list.empty()) return false;
    std::string_view tag;
    size_t quote =
        list.starts_with("W/\"") ? 2 : (list.starts_with("\"") ? 0 : std::string_view::npos);
    if (quote != std::string_view::npos) {
      size_t close = list.find('"', quote + 1);
      size_t end = close == std::string_view::npos ? list.size() : close + 1;
      tag = list.substr(0, end);
      list.remove_prefix(end);
    } else {
      size_t comma = list.find(',');
      tag = trimOws(list.substr(0, comma));
      list.remove_prefix(comma == std::string_view::npos ? list.size() : comma);
    }
    if (tag == "*") return true;  // the stored entry is a current representation
    if (!wanted.empty() && opaqueTag(tag) == wanted) return true;
  }
}

// What If-Modified-Since compares against (RFC 9111 §4.3.2).
int64_t lastModifiedSeconds(const CachedEntry& entry) {
  for (std::string_view name : {"last-modified", "date"}) {
    if (const std::string* value = entry.header(name)) {
      if (std::optional<int64_t> seconds = parseHttpDate(*value)) return *seconds;
    }
  }
  return entry.response_time_ms / kMsPerSecond;
}

}  // namespace

bool conditionalMatches(const http::RequestHeaders& req, const CachedEntry& entry) {
  if (req.method != "GET" && req.method != "HEAD") return false;
  const std::string* stored_etag = entry.header("etag");
  bool has_if_none_match = false;
  for (const http::HeaderField& f : req.headers.fields()) {
    if (f.name != "if-none-match") continue;
    has_if_none_match = true;
    if (ifNoneMatchHits(f.value, stored_etag)) return true;
  }
  // RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present.
  if (has_if_none_match) return false;
  const std::string_view* since = req.headers.get("if-modified-since");
  if (!since) return false;
  std::optional<int64_t> since_s = parseHttpDate(*since);
  return since_s && lastModifiedSeconds(entry) <= *since_s;
}

bool hasValidators(const CachedEntry& entry) {
  return entry.header("etag") || entry.header("last-modified");
}

std::shared_ptr<CachedEntry> refreshFromNotModified(
    const CachedEntry& old, const http::RequestHeaders& req, const CacheControl& req_cc,
    const http::ResponseHeaders& not_modified, const RoutePolicy& route, int64_t request_time_ms,
    int64_t response_time_ms) {
  const http::HeaderMap& update = not_modified.headers;
  auto updates = [&](std::string_view name) {
    return name != "content-length" && !isHopByHop(name, update);
  };
  // The merged response, as views into the old entry and the 304. The stored
  // Date always goes: it dates the old response and would make the refreshed
  // entry look old (decideStore dates a 304 without Date at its arrival).
  http::ResponseHeaders merged;
  merged.status = old.status;
  for (const auto& [name, value] : old.headers) {
    bool replaced = name == "date" || (updates(name) && update.get(name) != nullptr);
    if (!replaced) merged.headers.addView(name, value);
  }
  for (const http::HeaderField& f : update.fields())
    if (updates(f.name)) merged.headers.addView(f.name, f.value);

  auto refreshed = std::make_shared<CachedEntry>();
  CacheControl merged_cc = parseCacheControl(merged.headers, /*request=*/false);
  if (!decideStore(req, req_cc, merged, merged_cc, route, request_time_ms, response_time_ms,
                   *refreshed)
           .store)
    return nullptr;
  refreshed->vary_marker = old.vary_marker;
  refreshed->body = old.body;
  refreshed->path = old.path;
  return refreshed;
}

}  // namespace courier::filters::cache
