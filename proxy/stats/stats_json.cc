#include "proxy/stats/stats_json.h"

#include <algorithm>

#include "proxy/common/json.h"
#include "proxy/stats/json_number.h"

namespace courier::stats {
namespace {

template <typename T>
const T* findByName(const std::vector<T>& items, const std::string& name, size_t hint) {
  if (hint < items.size() && items[hint].name == name) return &items[hint];
  for (const T& item : items)
    if (item.name == name) return &item;
  return nullptr;
}

void appendKey(std::string& out, std::string_view key) {
  json::appendString(out, key);
  out += ':';
}

void appendUint(std::string& out, std::string_view key, uint64_t v) {
  appendKey(out, key);
  out += std::to_string(v);
}

void appendInt(std::string& out, std::string_view key, int64_t v) {
  appendKey(out, key);
  out += std::to_string(v);
}

void appendPercentiles(std::string& out, std::string_view key, const HistogramData& window) {
  appendKey(out, key);
  out += "{\"p50\":";
  appendJsonNumber(out, estimateQuantile(window, 0.50), true);
  out += ",\"p95\":";
  appendJsonNumber(out, estimateQuantile(window, 0.95), true);
  out += ",\"p99\":";
  appendJsonNumber(out, estimateQuantile(window, 0.99), true);
  out += '}';
}

double rate(uint64_t events, double seconds) {
  return seconds > 0 ? static_cast<double>(events) / seconds : 0.0;
}

uint64_t minus(uint64_t now, uint64_t before) {
  return now > before ? now - before : 0;
}

// "cache":{"memory":{"hit":..,"miss":..,"stale":..,"hit_ratio":..},"redis":{..},
// "none":{"bypass":..}}. Counts since start; hit_ratio = hits / lookups of
// that layer (all its results) in the window, null when it had none.
void appendRouteCache(std::string& out, const RouteTotals& r, const RouteTotals* base) {
  out += ",\"cache\":{";
  for (size_t l = 0; l < kCacheLayerCount; ++l) {
    if (l) out += ',';
    appendKey(out, kCacheLayerNames[l]);
    out += '{';
    uint64_t lookups = 0;
    bool first = true;
    for (size_t i = 0; i < kCacheResultCount; ++i) {
      if (!isCacheSeries(static_cast<CacheLayer>(l), static_cast<CacheResult>(i))) continue;
      if (!first) out += ',';
      first = false;
      appendUint(out, kCacheResultNames[i], r.cache[l][i]);
      lookups += minus(r.cache[l][i], base ? base->cache[l][i] : 0);
    }
    if (static_cast<CacheLayer>(l) != CacheLayer::None) {
      size_t hit = static_cast<size_t>(CacheResult::Hit);
      uint64_t hits = minus(r.cache[l][hit], base ? base->cache[l][hit] : 0);
      out += ",\"hit_ratio\":";
      appendJsonNumber(out, lookups ? static_cast<double>(hits) / lookups : -1, true);
    }
    out += '}';
  }
  out += '}';
}

// Top level, only while a gauge source is set (cache_gauges.h).
void appendCacheGauges(std::string& out, const CacheGauges& g) {
  out += ",\"cache\":{\"memory\":{";
  appendUint(out, "bytes", g.memory_bytes);
  out += ',';
  appendUint(out, "entries", g.memory_entries);
  out += ',';
  appendUint(out, "capacity_bytes", g.memory_capacity);
  out += "},";
  appendUint(out, "evictions", g.evictions);
  out += ',';
  appendUint(out, "expirations", g.expirations);
  out += '}';
}

void appendRoute(std::string& out, const RouteTotals& r, const RouteTotals* base, double window) {
  HistogramData duration = base ? r.duration.minus(base->duration) : r.duration;
  HistogramData first_byte = base ? r.first_byte.minus(base->first_byte) : r.first_byte;
  out += '{';
  appendKey(out, "name");
  json::appendString(out, r.name);
  out += ',';
  appendUint(out, "requests_total", r.requests());
  out += ',';
  appendInt(out, "active_requests", r.active);
  out += ",\"rate\":";
  appendJsonNumber(out, rate(duration.count(), window));
  out += ",\"codes\":{";
  bool first = true;
  for (size_t slot = 0; slot < kStatusSlots; ++slot) {
    uint64_t n = r.statusCount(slot);
    if (n == 0) continue;
    if (!first) out += ',';
    first = false;
    appendUint(out, slot + 1 < kStatusSlots ? std::to_string(slot + 100) : "other", n);
  }
  out += "},\"protocols\":{";
  for (size_t p = 0; p < kDownstreamProtocolCount; ++p) {
    if (p) out += ',';
    appendUint(out, kDownstreamProtocolNames[p],
               r.protocolCount(static_cast<DownstreamProtocol>(p)));
  }
  out += "},";
  appendPercentiles(out, "latency_seconds", duration);
  out += ',';
  appendPercentiles(out, "first_byte_seconds", first_byte);
  if (r.hasCache()) appendRouteCache(out, r, base);
  out += '}';
}

void appendCluster(std::string& out, const ClusterTotals& c, const ClusterTotals* base,
                   double window) {
  HistogramData duration = base ? c.duration.minus(base->duration) : c.duration;
  out += '{';
  appendKey(out, "name");
  json::appendString(out, c.name);
  out += ',';
  appendUint(out, "requests_total", c.requests);
  out += ',';
  appendUint(out, "connect_failures", c.connect_failures);
  out += ",\"rate\":";
  appendJsonNumber(out, rate(minus(c.requests, base ? base->requests : 0), window));
  out += ',';
  appendPercentiles(out, "latency_seconds", duration);
  out += '}';
}

}  // namespace

std::string renderStatsJson(const StatsSnapshot& current, const StatsSnapshot* baseline,
                            double window_seconds, double uptime_seconds) {
  std::string out;
  out.reserve(512 + current.routes.size() * 360);
  out += "{\"uptime_seconds\":";
  appendJsonNumber(out, uptime_seconds);
  out += ",\"window_seconds\":";
  appendJsonNumber(out, window_seconds);
  out += ',';
  appendInt(out, "active_connections", current.active_connections);
  out += ',';
  appendUint(out, "connections_total", current.connections_total);
  out += ",\"routes\":[";
  for (size_t i = 0; i < current.routes.size(); ++i) {
    if (i) out += ',';
    const RouteTotals* base =
        baseline ? findByName(baseline->routes, current.routes[i].name, i) : nullptr;
    appendRoute(out, current.routes[i], base, window_seconds);
  }
  out += "],\"clusters\":[";
  for (size_t i = 0; i < current.clusters.size(); ++i) {
    if (i) out += ',';
    const ClusterTotals* base =
        baseline ? findByName(baseline->clusters, current.clusters[i].name, i) : nullptr;
    appendCluster(out, current.clusters[i], base, window_seconds);
  }
  out += "],\"local_replies\":{";
  for (size_t i = 0; i < kLocalReplyCount; ++i) {
    if (i) out += ',';
    appendUint(out, kLocalReplyNames[i], current.local_replies[i]);
  }
  out += "},\"config_reloads\":{";
  appendUint(out, "success", current.reloads_ok);
  out += ',';
  appendUint(out, "failure", current.reloads_failed);
  out += '}';
  if (current.cache_gauges) appendCacheGauges(out, *current.cache_gauges);
  out += '}';
  return out;
}

std::string renderStatsJson(const StatsStore& store) {
  double uptime =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - store.startTime()).count();
  return renderStatsJson(store.snapshot(), nullptr, uptime, uptime);
}

std::string StatsJsonRenderer::render(const StatsStore& store, Clock::time_point now) {
  StatsSnapshot current = store.snapshot();
  // The window starts at the newest sample at least kMinWindow old, else at
  // the oldest sample we have, else at the start.
  const Sample* base = nullptr;
  for (const Sample& s : samples_)
    if (now - s.time >= kMinWindow) base = &s;
  if (base == nullptr && !samples_.empty()) base = &samples_.front();
  Clock::time_point window_start = base ? base->time : store.startTime();
  auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  std::string out = renderStatsJson(current, base ? &base->snapshot : nullptr,
                                    seconds(now - window_start), seconds(now - store.startTime()));
  // Keep the window's start and what is newer. A new sample is kept only
  // when it is kMinWindow past the last one, so the samples are spaced out
  // and the newest one at least kMinWindow old is never far back.
  if (base != nullptr)
    samples_.erase(samples_.begin(), samples_.begin() + (base - samples_.data()));
  if (samples_.empty() || now - samples_.back().time >= kMinWindow)
    samples_.push_back({now, std::move(current)});
  return out;
}

}  // namespace courier::stats
