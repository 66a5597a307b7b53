// Prometheus text exposition (format 0.0.4) of a StatsStore.
//
// Families, all prefixed courier_ (SPEC §4 "Metrics" plus the extras marked +):
//   requests_total{route,code,protocol}        counter; only (code, protocol) pairs seen;
//                                              code="other" for statuses outside
//                                              100..599; protocol="http1"|"http2" (+):
//                                              what the downstream client spoke
//   request_duration_seconds{route}            histogram
//   upstream_first_byte_seconds{route}         histogram
//   active_requests{route}                     gauge
//   ratelimit_decisions_total{route,decision}  counter; routes that recorded one
// + ratelimit_fallbacks_total{route,reason}    counter; routes that recorded one
//   cache_requests_total{route,layer,result}   counter; routes that recorded a cache
//                                              result, the isCacheSeries() pairs
//   upstream_request_duration_seconds{cluster} histogram
// + upstream_requests_total{cluster}           counter: attempts, incl. connect failures
// + upstream_connect_failures_total{cluster}   counter
//   active_connections                         gauge
// + downstream_connections_total               counter
// + downstream_rx_bytes_total, downstream_tx_bytes_total  counters
// + local_replies_total{error}                 counter, every error name (zeros too)
//   cache_bytes{layer="memory"}                gauge   } only while a cache gauge
// + cache_entries{layer="memory"}              gauge   } source is set
// + cache_capacity_bytes{layer="memory"}       gauge   } (cache_gauges.h)
//   cache_evictions_total                      counter }
// + cache_expirations_total                    counter }
//   redis_errors_total{op}                     counter, every op (zeros too)
//   config_reloads_total{result}               counter, result="success"|"failure"
//   build_info{version,revision,compiler}      gauge, always 1
// Histograms share the bucket bounds of histogram.h (le inclusive,
// cumulative, ending in +Inf, then _sum in seconds and _count).
// Requests that matched no route carry route="_no_route_".
#pragma once

#include <string>
#include <string_view>

#include "proxy/stats/build_info.h"
#include "proxy/stats/snapshot.h"
#include "proxy/stats/stats_store.h"

namespace courier::stats {

// Appends the exposition of store.snapshot() to `out`. Main thread.
void renderPrometheus(const StatsStore& store, const BuildInfo& build, std::string& out);
// The same for a snapshot already taken (tests, and callers that render twice).
void renderPrometheus(const StatsSnapshot& snapshot, const BuildInfo& build, std::string& out);

// Appends `value` escaped for a label value: \ -> \\, " -> \", newline -> \n.
void appendLabelValue(std::string& out, std::string_view value);

}  // namespace courier::stats
