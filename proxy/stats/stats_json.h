// The admin API's GET /stats body: per-route and per-cluster request counts,
// request rates, latency percentiles and cache hit ratios, as JSON.
//
// Rates and percentiles are over a window: the time since the previous
// render() call that is at least kMinWindow old (or since the store started,
// on the first call). Polling it every N seconds therefore reports the last
// N seconds; two clients polling at once do not shrink each other's window
// below one second. Percentiles are estimated from the histogram buckets by
// linear interpolation (histogram.h), null when the window saw no requests.
// Counts ("requests_total", "codes", "protocols", cache results) are totals
// since start. "codes" sums every downstream protocol; "protocols" always
// has both keys, "http1" and "http2" (requests by the protocol the client
// spoke), and they add up to "requests_total".
// A cache layer's hit_ratio is hits / lookups of that layer (every result it
// counts: memory hit+miss+stale, redis hit+miss+error) in the window, null
// when the window saw no lookup there. Stale is not a hit.
//
// Shape:
//   {"uptime_seconds":..,"window_seconds":..,"active_connections":..,
//    "connections_total":..,
//    "routes":[{"name":"completions","requests_total":..,"active_requests":..,
//               "rate":..,"codes":{"200":..},"protocols":{"http1":..,"http2":..},
//               "latency_seconds":{"p50":..,"p95":..,"p99":..},
//               "first_byte_seconds":{"p50":..,"p95":..,"p99":..},
//               "cache":{"memory":{"hit":..,"miss":..,"stale":..,"hit_ratio":..},
//                        "redis":{"hit":..,"miss":..,"error":..,"hit_ratio":..},
//                        "none":{"bypass":..}}}, ...],
//    ("cache" only on routes that recorded a cache result)
//    "clusters":[{"name":"agent","requests_total":..,"connect_failures":..,"rate":..,
//                 "latency_seconds":{...}}, ...],
//    "local_replies":{"no_route":..,...},"config_reloads":{"success":..,"failure":..},
//    "cache":{"memory":{"bytes":..,"entries":..,"capacity_bytes":..},
//             "evictions":..,"expirations":..}}
//   (the last "cache" only while a gauge source is set, cache_gauges.h)
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "proxy/stats/snapshot.h"
#include "proxy/stats/stats_store.h"

namespace courier::stats {

// Keeps the previous readings that the window starts from. Main thread.
class StatsJsonRenderer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kMinWindow{1};

  std::string render(const StatsStore& store, Clock::time_point now = Clock::now());

 private:
  struct Sample {
    Clock::time_point time;
    StatsSnapshot snapshot;
  };
  std::vector<Sample> samples_;  // oldest first, at least kMinWindow apart, at most two
};

// Formats `current` with rates and percentiles over the window that started
// at `baseline` (matched by name; null = since start). Pure: for tests.
std::string renderStatsJson(const StatsSnapshot& current, const StatsSnapshot* baseline,
                            double window_seconds, double uptime_seconds);
// Window = since the store started.
std::string renderStatsJson(const StatsStore& store);

}  // namespace courier::stats
