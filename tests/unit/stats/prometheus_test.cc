#include "proxy/stats/prometheus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/unit/stats/scoped_gauge_source.h"

namespace courier::stats {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string render(const StatsStore& store, BuildInfo build = {"0.1.0", "abc123", "gcc"}) {
  std::string out;
  renderPrometheus(store, build, out);
  return out;
}

// One route, one cluster, one worker: the whole exposition, byte for byte.
TEST(Prometheus, GoldenTinyStore) {
  StatsStore store({"chat"}, {"agent"}, 1);
  WorkerStats& w = store.shard(0);
  w.recordRequest(0, 200, microseconds(500));          // on the 0.0005 bound
  w.recordRequest(0, 200, milliseconds(30));           // (0.025, 0.05]
  w.recordRequest(0, 503, std::chrono::seconds(400));  // +Inf
  w.recordFirstByte(0, microseconds(1'200));
  w.requestStarted(0);
  w.recordRequest(store.noRouteIndex(), 404, microseconds(20));
  w.recordUpstream(0, milliseconds(2));
  w.recordConnectFailure(0);
  w.connectionOpened();
  w.connectionOpened();
  w.connectionClosed();
  w.addBytes(10, 20);
  w.recordLocalReply(LocalReply::NoRoute);
  w.recordLocalReply(LocalReply::UpstreamUnavailable);
  w.recordRateLimit(0, RateLimitDecision::Allowed);
  w.recordRateLimit(0, RateLimitDecision::Allowed);
  w.recordRateLimit(0, RateLimitDecision::Limited);
  w.recordRateLimitFallback(0, RateLimitFallback::Timeout);
  w.recordRedisError(RedisOp::RateLimit);
  w.recordCache(0, CacheLayer::Memory, CacheResult::Hit);
  w.recordCache(0, CacheLayer::Memory, CacheResult::Hit);
  w.recordCache(0, CacheLayer::Memory, CacheResult::Miss);
  w.recordCache(0, CacheLayer::Redis, CacheResult::Error);
  w.recordCache(0, CacheLayer::None, CacheResult::Bypass);
  w.recordRedisError(RedisOp::CacheGet);
  ScopedGaugeSource gauges({.memory_bytes = 4096,
                            .memory_entries = 3,
                            .memory_capacity = 1 << 20,
                            .evictions = 7,
                            .expirations = 2});
  store.recordConfigReload(true);
  store.recordConfigReload(false);
  store.recordConfigReload(false);

  std::string golden = readFile(COURIER_SOURCE_DIR "/tests/unit/stats/testdata/tiny.prom");
  ASSERT_FALSE(golden.empty());
  EXPECT_EQ(render(store), golden);
}

TEST(Prometheus, OnlySeenCodesAndOtherSlot) {
  StatsStore store({"r"}, {}, 2);
  store.shard(0).recordRequest(0, 204, microseconds(1));
  store.shard(1).recordRequest(0, 204, microseconds(1));
  store.shard(1).recordRequest(0, 999, microseconds(1));
  std::string text = render(store);
  EXPECT_NE(text.find("courier_requests_total{route=\"r\",code=\"204\",protocol=\"http1\"} 2\n"),
            std::string::npos);
  EXPECT_NE(text.find("courier_requests_total{route=\"r\",code=\"other\",protocol=\"http1\"} 1\n"),
            std::string::npos);
  EXPECT_EQ(text.find("code=\"200\""), std::string::npos);
  EXPECT_EQ(text.find("route=\"_no_route_\",code="), std::string::npos);
  EXPECT_EQ(text.find("protocol=\"http2\""), std::string::npos) << "no HTTP/2 request, no series";
}

// Each (code, protocol) pair a route saw is its own series, ordered by
// code then protocol; pairs never seen are not listed.
TEST(Prometheus, RequestsTotalCarriesDownstreamProtocol) {
  StatsStore store({"chat"}, {}, 2);
  store.shard(0).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http1);
  store.shard(1).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http1);
  store.shard(0).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http2);
  store.shard(1).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http2);
  store.shard(1).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http2);
  store.shard(0).recordRequest(0, 503, microseconds(1), DownstreamProtocol::Http1);
  store.shard(1).recordRequest(0, 429, microseconds(1), DownstreamProtocol::Http2);
  store.shard(0).recordRequest(0, 999, microseconds(1), DownstreamProtocol::Http2);
  std::string text = render(store);
  const std::string family =
      "# HELP courier_requests_total Requests answered, by route, status code and downstream "
      "protocol.\n"
      "# TYPE courier_requests_total counter\n"
      "courier_requests_total{route=\"chat\",code=\"200\",protocol=\"http1\"} 2\n"
      "courier_requests_total{route=\"chat\",code=\"200\",protocol=\"http2\"} 3\n"
      "courier_requests_total{route=\"chat\",code=\"429\",protocol=\"http2\"} 1\n"
      "courier_requests_total{route=\"chat\",code=\"503\",protocol=\"http1\"} 1\n"
      "courier_requests_total{route=\"chat\",code=\"other\",protocol=\"http2\"} 1\n"
      "# HELP courier_request_duration_seconds ";
  EXPECT_EQ(text.rfind(family, 0), 0u) << text.substr(0, 800);
  // The histogram is per route only: both protocols in one series.
  EXPECT_NE(text.find("courier_request_duration_seconds_count{route=\"chat\"} 8\n"),
            std::string::npos);
}

TEST(Prometheus, LabelValuesAreEscaped) {
  std::string s;
  appendLabelValue(s, "a\\b\"c\nd");
  EXPECT_EQ(s, "a\\\\b\\\"c\\nd");

  StatsStore store({"we\"ird\\route\n"}, {"c\"1"}, 1);
  store.shard(0).recordRequest(0, 200, microseconds(1));
  std::string text = render(store, {"1\"x", "", ""});
  EXPECT_NE(text.find("courier_requests_total{route=\"we\\\"ird\\\\route\\n\",code=\"200\","
                      "protocol=\"http1\"} 1\n"),
            std::string::npos);
  EXPECT_NE(text.find("cluster=\"c\\\"1\""), std::string::npos);
  EXPECT_NE(text.find("courier_build_info{version=\"1\\\"x\",revision=\"\",compiler=\"\"} 1\n"),
            std::string::npos);
}

TEST(Prometheus, HistogramIsCumulative) {
  StatsStore store({"r"}, {}, 1);
  store.shard(0).recordRequest(0, 200, microseconds(400));
  store.shard(0).recordRequest(0, 200, microseconds(900));
  store.shard(0).recordRequest(0, 200, microseconds(900));
  std::string text = render(store);
  const std::string p = "courier_request_duration_seconds_bucket{route=\"r\",le=";
  EXPECT_NE(text.find(p + "\"0.0005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find(p + "\"0.001\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find(p + "\"300\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find(p + "\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("courier_request_duration_seconds_sum{route=\"r\"} 0.0022\n"),
            std::string::npos);
  EXPECT_NE(text.find("courier_request_duration_seconds_count{route=\"r\"} 3\n"),
            std::string::npos);
}

// Debian's promtool (package `prometheus`) lints the exposition of a
// populated store: it must parse and raise no complaint.
TEST(Prometheus, PromtoolAcceptsExposition) {
  const char* promtool = "/usr/bin/promtool";
  if (access(promtool, X_OK) != 0) GTEST_SKIP() << "promtool not installed";

  StatsStore store({"completions", "embed\"dings", "default"}, {"agent", "other"}, 2);
  for (unsigned w = 0; w < 2; ++w) {
    for (int i = 0; i < 100; ++i) {
      size_t route = static_cast<size_t>(i) % 3;
      store.shard(w).recordRequest(
          route, i % 10 ? 200 : 502, microseconds(i * 997),
          (i / 3) % 2 ? DownstreamProtocol::Http2 : DownstreamProtocol::Http1);
      store.shard(w).recordFirstByte(route, microseconds(i * 301));
      store.shard(w).recordUpstream(i & 1, microseconds(i * 503));
    }
    store.shard(w).recordRequest(store.noRouteIndex(), 404, microseconds(3));
    store.shard(w).recordConnectFailure(1);
    store.shard(w).connectionOpened();
    store.shard(w).recordLocalReply(LocalReply::BadGateway);
    store.shard(w).recordCache(0, CacheLayer::Memory, CacheResult::Miss);
    store.shard(w).recordCache(0, CacheLayer::Redis, CacheResult::Hit);
    store.shard(w).recordCache(1, CacheLayer::None, CacheResult::Bypass);
  }
  store.recordConfigReload(true);
  ScopedGaugeSource gauges({.memory_bytes = 10, .memory_entries = 1, .memory_capacity = 100});

  char path[] = "/tmp/courier_promtool_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = render(store);
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);

  std::string cmd = std::string(promtool) + " check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof(buf), p)) output.append(buf, n);
  int status = pclose(p);
  unlink(path);
  EXPECT_EQ(status, 0) << output;
  EXPECT_EQ(output, "");
}

}  // namespace
}  // namespace courier::stats
