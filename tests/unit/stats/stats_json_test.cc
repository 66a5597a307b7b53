#include "proxy/stats/stats_json.h"

#include <gtest/gtest.h>

#include "proxy/stats/json_number.h"

namespace courier::stats {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(Json, Numbers) {
  std::string s;
  appendJsonNumber(s, 0.0175);
  s += ' ';
  appendJsonNumber(s, -1, true);
  s += ' ';
  appendJsonNumber(s, 1.0 / 0.0);
  EXPECT_EQ(s, "0.0175 null null");
}

TEST(StatsJson, ExactBodyForSnapshot) {
  StatsStore store({"chat"}, {"agent"}, 1);
  for (int i = 0; i < 100; ++i) store.shard(0).recordRequest(0, 200, milliseconds(20));
  store.shard(0).recordRequest(0, 503, milliseconds(20));
  store.shard(0).recordUpstream(0, milliseconds(1));
  store.shard(0).recordConnectFailure(0);
  store.shard(0).connectionOpened();
  store.shard(0).recordLocalReply(LocalReply::RateLimited);
  StatsSnapshot s = store.snapshot();
  std::string json = renderStatsJson(s, nullptr, 10.0, 10.0);
  EXPECT_EQ(json,
            "{\"uptime_seconds\":10,\"window_seconds\":10,\"active_connections\":1,"
            "\"connections_total\":1,\"routes\":["
            "{\"name\":\"chat\",\"requests_total\":101,\"active_requests\":0,\"rate\":10.1,"
            "\"codes\":{\"200\":100,\"503\":1},\"protocols\":{\"http1\":101,\"http2\":0},"
            "\"latency_seconds\":{\"p50\":0.0175,\"p95\":0.02425,\"p99\":0.02485},"
            "\"first_byte_seconds\":{\"p50\":null,\"p95\":null,\"p99\":null}},"
            "{\"name\":\"_no_route_\",\"requests_total\":0,\"active_requests\":0,\"rate\":0,"
            "\"codes\":{},\"protocols\":{\"http1\":0,\"http2\":0},"
            "\"latency_seconds\":{\"p50\":null,\"p95\":null,\"p99\":null},"
            "\"first_byte_seconds\":{\"p50\":null,\"p95\":null,\"p99\":null}}],"
            "\"clusters\":[{\"name\":\"agent\",\"requests_total\":2,\"connect_failures\":1,"
            "\"rate\":0.2,\"latency_seconds\":{\"p50\":0.00075,\"p95\":0.000975,\"p99\":0.000995}}"
            "],\"local_replies\":{\"no_route\":0,\"rate_limited\":1,\"circuit_open\":0,"
            "\"upstream_timeout\":0,\"upstream_unavailable\":0,\"bad_gateway\":0,"
            "\"bad_request\":0,\"payload_too_large\":0,\"headers_too_large\":0,"
            "\"request_timeout\":0,\"not_implemented\":0,\"internal\":0},"
            "\"config_reloads\":{\"success\":0,\"failure\":0}}");
}

// "codes" stays the sum over protocols (as before protocols were counted);
// "protocols" splits the same requests by what the client spoke.
TEST(StatsJson, CodesSumProtocolsAndProtocolsSplitThem) {
  StatsStore store({"chat"}, {}, 2);
  store.shard(0).recordRequest(0, 200, milliseconds(1), DownstreamProtocol::Http1);
  store.shard(1).recordRequest(0, 200, milliseconds(1), DownstreamProtocol::Http2);
  store.shard(1).recordRequest(0, 200, milliseconds(1), DownstreamProtocol::Http2);
  store.shard(0).recordRequest(0, 503, milliseconds(1), DownstreamProtocol::Http2);
  std::string json = renderStatsJson(store.snapshot(), nullptr, 1.0, 1.0);
  EXPECT_NE(json.find("{\"name\":\"chat\",\"requests_total\":4,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"codes\":{\"200\":3,\"503\":1},\"protocols\":{\"http1\":1,\"http2\":3},"
                      "\"latency_seconds\":"),
            std::string::npos)
      << json;
}

TEST(StatsJson, WindowUsesDeltaSincePreviousCall) {
  StatsStore store({"r"}, {}, 1);
  StatsJsonRenderer renderer;
  auto t0 = store.startTime();
  for (int i = 0; i < 10; ++i) store.shard(0).recordRequest(0, 200, microseconds(100));
  std::string first = renderer.render(store, t0 + seconds(10));
  EXPECT_NE(first.find("\"window_seconds\":10,"), std::string::npos) << first;
  EXPECT_NE(first.find("\"rate\":1,"), std::string::npos) << first;

  // 5 more requests, all slow: the window sees only them.
  for (int i = 0; i < 5; ++i) store.shard(0).recordRequest(0, 200, seconds(2));
  std::string second = renderer.render(store, t0 + seconds(15));
  EXPECT_NE(second.find("\"window_seconds\":5,"), std::string::npos) << second;
  EXPECT_NE(second.find("\"requests_total\":15"), std::string::npos) << second;
  EXPECT_NE(second.find("\"rate\":1,"), std::string::npos) << second;
  EXPECT_NE(second.find("\"p50\":1.75,"), std::string::npos) << second;  // (1, 2.5] interpolated

  // A call within kMinWindow of the last sample still measures from the one before.
  std::string third = renderer.render(store, t0 + seconds(15) + milliseconds(100));
  EXPECT_NE(third.find("\"window_seconds\":5.1,"), std::string::npos) << third;

  // Nothing new in the next window: rate 0, percentiles null.
  std::string fourth = renderer.render(store, t0 + seconds(25));
  EXPECT_NE(fourth.find("\"window_seconds\":10,"), std::string::npos) << fourth;
  EXPECT_NE(fourth.find("\"rate\":0,"), std::string::npos) << fourth;
  EXPECT_NE(fourth.find("\"latency_seconds\":{\"p50\":null"), std::string::npos) << fourth;
}

TEST(StatsJson, StoreOverloadRendersLifetime) {
  StatsStore store({"r"}, {}, 1);
  store.shard(0).recordRequest(0, 200, microseconds(100));
  std::string json = renderStatsJson(store);
  EXPECT_NE(json.find("\"requests_total\":1"), std::string::npos);
}

}  // namespace
}  // namespace courier::stats
