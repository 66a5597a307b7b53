#include "proxy/stats/prometheus.h"

#include <array>
#include <charconv>
#include <span>
#include <vector>

namespace courier::stats {
namespace {

template <typename Int>
void appendInt(std::string& out, Int v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  (void)ec;  // 24 bytes hold any 64-bit integer
  out.append(buf, static_cast<size_t>(end - buf));
}

void appendHeader(std::string& out, std::string_view name, std::string_view type,
                  std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// `label="value"` with the value escaped, made once per series.
std::string labelPair(std::string_view label, std::string_view value) {
  std::string s(label);
  s += "=\"";
  appendLabelValue(s, value);
  s += '"';
  return s;
}

// The `le` values, formatted once: "0.0005" ... "300", "+Inf".
const std::vector<std::string>& leValues() {
  static const std::vector<std::string> values = [] {
    std::vector<std::string> v;
    for (uint64_t bound : kBucketBoundsUs) {
      std::string s;
      appendSeconds(s, bound);
      v.push_back(std::move(s));
    }
    v.emplace_back("+Inf");
    return v;
  }();
  return values;
}

void appendHistogram(std::string& out, std::string_view name, const std::string& labels,
                     const HistogramData& h) {
  const auto& le = leValues();
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    cumulative += h.buckets[i];
    out += name;
    out += "_bucket{";
    out += labels;
    out += ",le=\"";
    out += le[i];
    out += "\"} ";
    appendInt(out, cumulative);
    out += '\n';
  }
  out += name;
  out += "_sum{";
  out += labels;
  out += "} ";
  appendSeconds(out, h.sum_us);
  out += '\n';
  out += name;
  out += "_count{";
  out += labels;
  out += "} ";
  appendInt(out, cumulative);
  out += '\n';
}

template <typename Int>
void appendSample(std::string& out, std::string_view name, std::string_view labels, Int value) {
  out += name;
  if (!labels.empty()) {
    out += '{';
    out += labels;
    out += '}';
  }
  out += ' ';
  appendInt(out, value);
  out += '\n';
}

// A counter family with one extra label whose values are a fixed enum. Only
// routes that recorded something are listed: most routes have no limits.
template <size_t N, typename Values>
void renderRouteCounters(std::string& out, std::string_view name, std::string_view help,
                         std::string_view label, const std::array<std::string_view, N>& names,
                         const std::vector<std::string>& route_labels,
                         const std::vector<RouteTotals>& routes, Values values) {
  appendHeader(out, name, "counter", help);
  for (size_t r = 0; r < routes.size(); ++r) {
    std::span<const uint64_t> v = values(routes[r]);
    bool any = false;
    for (uint64_t n : v) any = any || n != 0;
    if (!any) continue;
    for (size_t i = 0; i < N; ++i) {
      std::string series = route_labels[r];
      series += ',';
      series += labelPair(label, names[i]);
      appendSample(out, name, series, v[i]);
    }
  }
}

// Routes that recorded a cache result (only cached routes do), each with
// every pair isCacheSeries() allows, zeros too, so hit ratios have both
// terms from the first request on.
void renderCacheRequests(std::string& out, const std::vector<std::string>& route_labels,
                         const std::vector<RouteTotals>& routes) {
  static constexpr std::string_view kName = "courier_cache_requests_total";
  appendHeader(out, kName, "counter",
               "Answers of each cache layer on cached routes: memory hit, miss or stale (served "
               "past its freshness); redis hit, miss or error (failed or timed out); none "
               "bypass (not cacheable, cache skipped).");
  for (size_t r = 0; r < routes.size(); ++r) {
    if (!routes[r].hasCache()) continue;
    for (size_t l = 0; l < kCacheLayerCount; ++l) {
      for (size_t i = 0; i < kCacheResultCount; ++i) {
        if (!isCacheSeries(static_cast<CacheLayer>(l), static_cast<CacheResult>(i))) continue;
        std::string series = route_labels[r];
        series += ',';
        series += labelPair("layer", kCacheLayerNames[l]);
        series += ',';
        series += labelPair("result", kCacheResultNames[i]);
        appendSample(out, kName, series, routes[r].cache[l][i]);
      }
    }
  }
}

// Nothing when no gauge source is set (a build or config without a cache).
void renderCacheGauges(const StatsSnapshot& s, std::string& out) {
  if (!s.cache_gauges) return;
  const CacheGauges& g = *s.cache_gauges;
  static constexpr std::string_view kMemory = "layer=\"memory\"";
  appendHeader(out, "courier_cache_bytes", "gauge", "Bytes held by the cache, by layer.");
  appendSample(out, "courier_cache_bytes", kMemory, g.memory_bytes);
  appendHeader(out, "courier_cache_entries", "gauge", "Entries held by the cache, by layer.");
  appendSample(out, "courier_cache_entries", kMemory, g.memory_entries);
  appendHeader(out, "courier_cache_capacity_bytes", "gauge",
               "Configured size limit of the cache, by layer.");
  appendSample(out, "courier_cache_capacity_bytes", kMemory, g.memory_capacity);
  appendHeader(out, "courier_cache_evictions_total", "counter",
               "Memory cache entries evicted to make room for new ones.");
  appendSample(out, "courier_cache_evictions_total", {}, g.evictions);
  appendHeader(out, "courier_cache_expirations_total", "counter",
               "Memory cache entries dropped because they expired.");
  appendSample(out, "courier_cache_expirations_total", {}, g.expirations);
}

void renderRoutes(const StatsSnapshot& s, std::string& out) {
  std::vector<std::string> labels;
  labels.reserve(s.routes.size());
  for (const auto& r : s.routes) labels.push_back(labelPair("route", r.name));

  // Only the (code, protocol) pairs a route has seen, ordered by code then
  // protocol: {route="chat",code="200",protocol="http1"}.
  static constexpr std::string_view kRequests = "courier_requests_total";
  appendHeader(out, kRequests, "counter",
               "Requests answered, by route, status code and downstream protocol.");
  std::array<std::string, kDownstreamProtocolCount> protocol_labels;
  for (size_t p = 0; p < kDownstreamProtocolCount; ++p)
    protocol_labels[p] = "," + labelPair("protocol", kDownstreamProtocolNames[p]);
  for (size_t r = 0; r < s.routes.size(); ++r) {
    const auto& by_status = s.routes[r].by_status;
    for (size_t slot = 0; slot < kStatusSlots; ++slot) {
      for (size_t p = 0; p < kDownstreamProtocolCount; ++p) {
        uint64_t n = by_status[p][slot];
        if (n == 0) continue;
        std::string series = labels[r];
        series += ",code=\"";
        if (slot < kStatusSlots - 1)
          appendInt(series, slot + 100);
        else
          series += "other";
        series += '"';
        series += protocol_labels[p];
        appendSample(out, kRequests, series, n);
      }
    }
  }

  static constexpr std::string_view kDuration = "courier_request_duration_seconds";
  appendHeader(out, kDuration, "histogram",
               "Time from request arrival to the end of the response, by route.");
  for (size_t r = 0; r < s.routes.size(); ++r)
    appendHistogram(out, kDuration, labels[r], s.routes[r].duration);

  static constexpr std::string_view kFirstByte = "courier_upstream_first_byte_seconds";
  appendHeader(out, kFirstByte, "histogram",
               "Time from request arrival to the first response byte from upstream, by route.");
  for (size_t r = 0; r < s.routes.size(); ++r)
    appendHistogram(out, kFirstByte, labels[r], s.routes[r].first_byte);

  static constexpr std::string_view kActive = "courier_active_requests";
  appendHeader(out, kActive, "gauge", "Requests in flight, by route.");
  for (size_t r = 0; r < s.routes.size(); ++r)
    appendSample(out, kActive, labels[r], s.routes[r].active);

  renderRouteCounters(out, "courier_ratelimit_decisions_total",
                      "Rate-limit decisions on limited routes, by route and decision.", "decision",
                      kRateLimitDecisionNames, labels, s.routes,
                      [](const RouteTotals& r) { return std::span(r.ratelimit_decisions); });
  renderRouteCounters(
      out, "courier_ratelimit_fallbacks_total",
      "scope = \"redis\" limits decided by the local bucket because Redis failed, by reason.",
      "reason", kRateLimitFallbackNames, labels, s.routes,
      [](const RouteTotals& r) { return std::span(r.ratelimit_fallbacks); });
  renderCacheRequests(out, labels, s.routes);
}

void renderClusters(const StatsSnapshot& s, std::string& out) {
  std::vector<std::string> labels;
  labels.reserve(s.clusters.size());
  for (const auto& c : s.clusters) labels.push_back(labelPair("cluster", c.name));

  static constexpr std::string_view kDuration = "courier_upstream_request_duration_seconds";
  appendHeader(out, kDuration, "histogram",
               "Time from sending a request upstream to its complete response, by cluster.");
  for (size_t c = 0; c < s.clusters.size(); ++c)
    appendHistogram(out, kDuration, labels[c], s.clusters[c].duration);

  static constexpr std::string_view kRequests = "courier_upstream_requests_total";
  appendHeader(out, kRequests, "counter",
               "Upstream request attempts, including connect failures, by cluster.");
  for (size_t c = 0; c < s.clusters.size(); ++c)
    appendSample(out, kRequests, labels[c], s.clusters[c].requests);

  static constexpr std::string_view kFailures = "courier_upstream_connect_failures_total";
  appendHeader(out, kFailures, "counter", "Upstream connection attempts that failed, by cluster.");
  for (size_t c = 0; c < s.clusters.size(); ++c)
    appendSample(out, kFailures, labels[c], s.clusters[c].connect_failures);
}

void renderGlobals(const StatsSnapshot& s, const BuildInfo& build, std::string& out) {
  appendHeader(out, "courier_active_connections", "gauge", "Open downstream connections.");
  appendSample(out, "courier_active_connections", {}, s.active_connections);
  appendHeader(out, "courier_downstream_connections_total", "counter",
               "Downstream connections accepted.");
  appendSample(out, "courier_downstream_connections_total", {}, s.connections_total);
  appendHeader(out, "courier_downstream_rx_bytes_total", "counter",
               "Bytes received from downstream clients.");
  appendSample(out, "courier_downstream_rx_bytes_total", {}, s.rx_bytes);
  appendHeader(out, "courier_downstream_tx_bytes_total", "counter",
               "Bytes sent to downstream clients.");
  appendSample(out, "courier_downstream_tx_bytes_total", {}, s.tx_bytes);

  static constexpr std::string_view kLocal = "courier_local_replies_total";
  appendHeader(out, kLocal, "counter", "Error replies courier generated itself, by error code.");
  for (size_t i = 0; i < kLocalReplyCount; ++i)
    appendSample(out, kLocal, labelPair("error", kLocalReplyNames[i]), s.local_replies[i]);

  renderCacheGauges(s, out);

  static constexpr std::string_view kRedis = "courier_redis_errors_total";
  appendHeader(out, kRedis, "counter", "Failed Redis operations, by operation.");
  for (size_t i = 0; i < kRedisOpCount; ++i)
    appendSample(out, kRedis, labelPair("op", kRedisOpNames[i]), s.redis_errors[i]);

  static constexpr std::string_view kReloads = "courier_config_reloads_total";
  appendHeader(out, kReloads, "counter", "Configuration reload attempts, by result.");
  appendSample(out, kReloads, "result=\"success\"", s.reloads_ok);
  appendSample(out, kReloads, "result=\"failure\"", s.reloads_failed);

  appendHeader(out, "courier_build_info", "gauge", "Build information; the value is always 1.");
  std::string labels = labelPair("version", build.version);
  labels += ',';
  labels += labelPair("revision", build.revision);
  labels += ',';
  labels += labelPair("compiler", build.compiler);
  appendSample(out, "courier_build_info", labels, 1);
}

}  // namespace

void appendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

void renderPrometheus(const StatsSnapshot& snapshot, const BuildInfo& build, std::string& out) {
  renderRoutes(snapshot, out);
  renderClusters(snapshot, out);
  renderGlobals(snapshot, build, out);
}

void renderPrometheus(const StatsStore& store, const BuildInfo& build, std::string& out) {
  renderPrometheus(store.snapshot(), build, out);
}

}  // namespace courier::stats
