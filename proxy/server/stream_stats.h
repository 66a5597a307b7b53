// The few places the data path records stats, in one file so the stream and
// router code reads as behaviour, not bookkeeping. Each call touches only
// the calling worker's shard.
#pragma once

#include <chrono>
#include <string_view>

#include "config/config.h"
#include "proxy/http/filter.h"
#include "proxy/server/worker_context.h"
#include "proxy/stats/worker_stats.h"

namespace courier::stats {

// Status recorded for a stream that ended before any response (nginx's 499).
inline constexpr int kClientClosedStatus = 499;

inline size_t routeIndex(const Generation& gen, const http::StreamInfo& info) {
  return info.route ? info.route->index : gen.no_route_stats_index;
}

inline void streamStarted(Generation& gen, const http::StreamInfo& info) {
  gen.stats->requestStarted(routeIndex(gen, info));
}

inline void streamFinished(Generation& gen, http::StreamInfo& info, bool reset) {
  if (reset && info.response_code == 0) info.response_code = kClientClosedStatus;
  size_t route = routeIndex(gen, info);
  gen.stats->requestFinished(route);
  gen.stats->recordRequest(route, info.response_code, std::chrono::steady_clock::now() - info.start,
                           downstreamProtocol(info.downstream_http_major));
  gen.stats->addBytes(info.request_body_bytes, info.response_body_bytes);
}

inline void upstreamFirstByte(Generation& gen, const config::RouteConfig& route,
                              std::chrono::steady_clock::duration since_request_start) {
  gen.stats->recordFirstByte(route.index, since_request_start);
}

inline void upstreamRequestDone(Generation& gen, size_t cluster,
                                std::chrono::steady_clock::duration d) {
  gen.stats->recordUpstream(cluster, d);
}

inline void upstreamConnectFailure(Generation& gen, size_t cluster) {
  gen.stats->recordConnectFailure(cluster);
}

inline void localReply(Generation& gen, std::string_view error) {
  for (size_t i = 0; i < kLocalReplyCount; ++i) {
    if (kLocalReplyNames[i] == error) {
      gen.stats->recordLocalReply(static_cast<LocalReply>(i));
      return;
    }
  }
  gen.stats->recordLocalReply(LocalReply::Internal);
}

}  // namespace courier::stats
