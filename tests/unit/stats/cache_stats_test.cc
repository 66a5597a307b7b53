#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "proxy/stats/prometheus.h"
#include "proxy/stats/stats_json.h"
#include "proxy/stats/stats_store.h"
#include "tests/unit/stats/scoped_gauge_source.h"

namespace courier::stats {
namespace {

using std::chrono::seconds;
using L = CacheLayer;
using R = CacheResult;

std::string prom(const StatsStore& store) {
  std::string out;
  renderPrometheus(store, BuildInfo{"t", "", ""}, out);
  return out;
}

bool has(const std::string& text, const std::string& line) {
  return text.find(line) != std::string::npos;
}

TEST(CacheStats, OnlyMeaningfulPairsExist) {
  int pairs = 0;
  for (size_t l = 0; l < kCacheLayerCount; ++l)
    for (size_t r = 0; r < kCacheResultCount; ++r)
      pairs += isCacheSeries(static_cast<L>(l), static_cast<R>(r));
  EXPECT_EQ(pairs, 7);
  EXPECT_TRUE(isCacheSeries(L::Memory, R::Stale));
  EXPECT_FALSE(isCacheSeries(L::Memory, R::Error));
  EXPECT_FALSE(isCacheSeries(L::Redis, R::Stale));
  EXPECT_FALSE(isCacheSeries(L::None, R::Hit));
}

// Two workers record on route "api"; route "plain" has no cache. The
// exposition and /stats show the sums, and only for "api".
TEST(CacheStats, ShardsMergeIntoPrometheusAndJson) {
  StatsStore store({"api", "plain"}, {}, 2);
  WorkerStats& w0 = store.shard(0);
  WorkerStats& w1 = store.shard(1);
  for (int i = 0; i < 3; ++i) w0.recordCache(0, L::Memory, R::Hit);
  w1.recordCache(0, L::Memory, R::Hit);
  w0.recordCache(0, L::Memory, R::Stale);
  w1.recordCache(0, L::Memory, R::Miss);
  w1.recordCache(0, L::Memory, R::Miss);
  w1.recordCache(0, L::Redis, R::Hit);
  w0.recordCache(0, L::Redis, R::Error);
  w0.recordCache(0, L::None, R::Bypass);
  w1.recordRequest(1, 200, seconds(0));

  std::string text = prom(store);
  const std::string p = "courier_cache_requests_total{route=\"api\",";
  EXPECT_TRUE(has(text, p + "layer=\"memory\",result=\"hit\"} 4\n")) << text;
  EXPECT_TRUE(has(text, p + "layer=\"memory\",result=\"miss\"} 2\n"));
  EXPECT_TRUE(has(text, p + "layer=\"memory\",result=\"stale\"} 1\n"));
  EXPECT_TRUE(has(text, p + "layer=\"redis\",result=\"hit\"} 1\n"));
  EXPECT_TRUE(has(text, p + "layer=\"redis\",result=\"miss\"} 0\n"));
  EXPECT_TRUE(has(text, p + "layer=\"redis\",result=\"error\"} 1\n"));
  EXPECT_TRUE(has(text, p + "layer=\"none\",result=\"bypass\"} 1\n"));
  EXPECT_FALSE(has(text, "courier_cache_requests_total{route=\"plain\""));
  EXPECT_FALSE(has(text, "courier_cache_requests_total{route=\"_no_route_\""));
  EXPECT_FALSE(has(text, "layer=\"redis\",result=\"stale\""));
  EXPECT_FALSE(has(text, "courier_cache_bytes"));  // no gauge source set

  std::string json = renderStatsJson(store.snapshot(), nullptr, 10, 10);
  EXPECT_TRUE(has(json,
                  "\"cache\":{\"memory\":{\"hit\":4,\"miss\":2,\"stale\":1,\"hit_ratio\":0.571429},"
                  "\"redis\":{\"hit\":1,\"miss\":0,\"error\":1,\"hit_ratio\":0.5},"
                  "\"none\":{\"bypass\":1}}}"))
      << json;
  EXPECT_EQ(json.find("\"cache\""), json.rfind("\"cache\""));  // "plain" has none, no gauges
}

TEST(CacheStats, HitRatioIsOverTheWindow) {
  StatsStore store({"api"}, {}, 1);
  StatsJsonRenderer renderer;
  auto t0 = store.startTime();
  store.shard(0).recordCache(0, L::Memory, R::Miss);
  std::string first = renderer.render(store, t0 + seconds(10));
  EXPECT_TRUE(has(first, "\"memory\":{\"hit\":0,\"miss\":1,\"stale\":0,\"hit_ratio\":0}")) << first;
  EXPECT_TRUE(has(first, "\"redis\":{\"hit\":0,\"miss\":0,\"error\":0,\"hit_ratio\":null}"));

  for (int i = 0; i < 3; ++i) store.shard(0).recordCache(0, L::Memory, R::Hit);
  std::string second = renderer.render(store, t0 + seconds(20));
  EXPECT_TRUE(has(second, "\"memory\":{\"hit\":3,\"miss\":1,\"stale\":0,\"hit_ratio\":1}"))
      << second;

  std::string idle = renderer.render(store, t0 + seconds(30));
  EXPECT_TRUE(has(idle, "\"memory\":{\"hit\":3,\"miss\":1,\"stale\":0,\"hit_ratio\":null}"))
      << idle;
}

TEST(CacheStats, GaugeSourceSetAndUnset) {
  StatsStore store({"api"}, {}, 1);
  {
    ScopedGaugeSource gauges({.memory_bytes = 5000,
                              .memory_entries = 4,
                              .memory_capacity = 65536,
                              .evictions = 9,
                              .expirations = 1});
    StatsSnapshot s = store.snapshot();
    ASSERT_TRUE(s.cache_gauges.has_value());
    EXPECT_EQ(s.cache_gauges->memory_bytes, 5000u);

    std::string text = prom(store);
    EXPECT_TRUE(has(text,
                    "# TYPE courier_cache_bytes gauge\n"
                    "courier_cache_bytes{layer=\"memory\"} 5000\n"));
    EXPECT_TRUE(has(text, "courier_cache_entries{layer=\"memory\"} 4\n"));
    EXPECT_TRUE(has(text, "courier_cache_capacity_bytes{layer=\"memory\"} 65536\n"));
    EXPECT_TRUE(has(text,
                    "# TYPE courier_cache_evictions_total counter\n"
                    "courier_cache_evictions_total 9\n"));
    EXPECT_TRUE(has(text, "courier_cache_expirations_total 1\n"));

    std::string json = renderStatsJson(store);
    EXPECT_TRUE(has(json,
                    ",\"cache\":{\"memory\":{\"bytes\":5000,\"entries\":4,"
                    "\"capacity_bytes\":65536},\"evictions\":9,\"expirations\":1}}"))
        << json;
  }
  EXPECT_FALSE(store.snapshot().cache_gauges.has_value());
  EXPECT_FALSE(has(prom(store), "courier_cache_bytes"));
  EXPECT_FALSE(has(renderStatsJson(store), "\"cache\""));
}

// The source is read at each snapshot, so the gauges follow the store.
TEST(CacheStats, GaugeSourceIsReadPerSnapshot) {
  StatsStore store({}, {}, 1);
  uint64_t bytes = 1;
  {
    ScopedGaugeSource source([&bytes] { return CacheGauges{.memory_bytes = bytes}; });
    EXPECT_EQ(store.snapshot().cache_gauges->memory_bytes, 1u);
    bytes = 2;
    EXPECT_EQ(store.snapshot().cache_gauges->memory_bytes, 2u);
  }
  EXPECT_EQ(readCacheGauges(), std::nullopt);
}

// Main sets the source while the admin thread may be scraping.
TEST(CacheStats, GaugeSourceSwapsWhileRead) {
  std::atomic<bool> stop{false};
  std::thread setter([&] {
    for (uint64_t i = 0; !stop.load(); ++i)
      setCacheGaugeSource(i % 2 ? std::function<CacheGauges()>{}
                                : [i] { return CacheGauges{.evictions = i}; });
  });
  StatsStore store({"api"}, {}, 1);
  for (int i = 0; i < 2000; ++i) {
    std::string text = prom(store);
    ASSERT_TRUE(has(text, "courier_build_info"));
  }
  stop.store(true);
  setter.join();
  setCacheGaugeSource({});
}

TEST(CacheStats, ReloadCarriesCacheCountersByName) {
  auto old_store = std::make_shared<StatsStore>(std::vector<std::string>{"gone", "api"},
                                                std::vector<std::string>{}, 1);
  old_store->shard(0).recordCache(1, L::Memory, R::Hit);
  old_store->shard(0).recordCache(0, L::None, R::Bypass);
  auto next =
      std::make_shared<StatsStore>(std::vector<std::string>{"api"}, std::vector<std::string>{}, 1);
  next->inheritFrom(old_store);
  old_store.reset();
  next->shard(0).recordCache(0, L::Memory, R::Hit);
  std::string text = prom(*next);
  EXPECT_TRUE(has(text, "{route=\"api\",layer=\"memory\",result=\"hit\"} 2\n")) << text;
  EXPECT_FALSE(has(text, "route=\"gone\""));
}

}  // namespace
}  // namespace courier::stats
