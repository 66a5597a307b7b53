#include "proxy/stats/stats_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>

#include "proxy/stats/prometheus.h"

namespace courier::stats {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

TEST(StatsStore, NamesAndNoRoute) {
  StatsStore store({"a", "b"}, {"c"}, 3);
  EXPECT_EQ(store.workers(), 3u);
  EXPECT_EQ(store.noRouteIndex(), 2u);
  ASSERT_EQ(store.routeNames().size(), 3u);
  EXPECT_EQ(store.routeNames()[2], StatsStore::kNoRouteName);
  EXPECT_EQ(store.clusterNames(), std::vector<std::string>{"c"});
  EXPECT_EQ(StatsStore({}, {}, 0).workers(), 1u);
}

TEST(StatsStore, ShardsMerge) {
  StatsStore store({"a", "b"}, {"c"}, 3);
  store.shard(0).recordRequest(0, 200, milliseconds(1));
  store.shard(1).recordRequest(0, 200, milliseconds(2));
  store.shard(2).recordRequest(0, 404, milliseconds(3));
  store.shard(2).recordRequest(1, 503, microseconds(10));
  store.shard(1).recordRequest(store.noRouteIndex(), 404, microseconds(5));
  store.shard(0).recordFirstByte(0, microseconds(700));
  store.shard(0).requestStarted(1);
  store.shard(1).requestStarted(1);
  store.shard(1).requestFinished(1);
  store.shard(0).recordUpstream(0, milliseconds(4));
  store.shard(1).recordUpstream(0, milliseconds(4));
  store.shard(2).recordConnectFailure(0);
  store.shard(0).connectionOpened();
  store.shard(1).connectionOpened();
  store.shard(1).connectionClosed();
  store.shard(2).addBytes(100, 2000);
  store.shard(2).recordLocalReply(LocalReply::NoRoute);
  store.recordConfigReload(false);

  StatsSnapshot s = store.snapshot();
  ASSERT_EQ(s.routes.size(), 3u);
  EXPECT_EQ(s.routes[0].by_status[0][statusSlot(200)], 2u);
  EXPECT_EQ(s.routes[0].by_status[0][statusSlot(404)], 1u);
  EXPECT_EQ(s.routes[0].requests(), 3u);
  EXPECT_EQ(s.routes[0].duration.sum_us, 6'000u);
  EXPECT_EQ(s.routes[0].first_byte.count(), 1u);
  EXPECT_EQ(s.routes[1].by_status[0][statusSlot(503)], 1u);
  EXPECT_EQ(s.routes[1].active, 1);
  EXPECT_EQ(s.routes[2].name, "_no_route_");
  EXPECT_EQ(s.routes[2].requests(), 1u);
  ASSERT_EQ(s.clusters.size(), 1u);
  EXPECT_EQ(s.clusters[0].requests, 3u);
  EXPECT_EQ(s.clusters[0].connect_failures, 1u);
  EXPECT_EQ(s.clusters[0].duration.count(), 2u);
  EXPECT_EQ(s.active_connections, 1);
  EXPECT_EQ(s.connections_total, 2u);
  EXPECT_EQ(s.rx_bytes, 100u);
  EXPECT_EQ(s.tx_bytes, 2000u);
  EXPECT_EQ(s.local_replies[0], 1u);
  EXPECT_EQ(s.reloads_failed, 1u);
  EXPECT_EQ(s.reloads_ok, 0u);
}

// Each worker counts the protocol its client spoke; the snapshot sums the
// workers per protocol and per code, and the two views agree.
TEST(StatsStore, ShardsMergePerProtocol) {
  StatsStore store({"a"}, {}, 3);
  store.shard(0).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http1);
  store.shard(1).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http1);
  store.shard(2).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http2);
  store.shard(0).recordRequest(0, 200, microseconds(1), DownstreamProtocol::Http2);
  store.shard(1).recordRequest(0, 503, microseconds(1), DownstreamProtocol::Http2);
  store.shard(2).recordRequest(0, 404, microseconds(1));  // the default: HTTP/1
  store.shard(2).recordRequest(store.noRouteIndex(), 404, microseconds(1),
                               DownstreamProtocol::Http2);

  StatsSnapshot s = store.snapshot();
  constexpr size_t h1 = static_cast<size_t>(DownstreamProtocol::Http1);
  constexpr size_t h2 = static_cast<size_t>(DownstreamProtocol::Http2);
  const RouteTotals& a = s.routes[0];
  EXPECT_EQ(a.by_status[h1][statusSlot(200)], 2u);
  EXPECT_EQ(a.by_status[h2][statusSlot(200)], 2u);
  EXPECT_EQ(a.by_status[h1][statusSlot(503)], 0u);
  EXPECT_EQ(a.by_status[h2][statusSlot(503)], 1u);
  EXPECT_EQ(a.by_status[h1][statusSlot(404)], 1u);
  EXPECT_EQ(a.statusCount(statusSlot(200)), 4u);
  EXPECT_EQ(a.statusCount(statusSlot(503)), 1u);
  EXPECT_EQ(a.protocolCount(DownstreamProtocol::Http1), 3u);
  EXPECT_EQ(a.protocolCount(DownstreamProtocol::Http2), 3u);
  EXPECT_EQ(a.protocolCount(DownstreamProtocol::Http1) + a.protocolCount(DownstreamProtocol::Http2),
            a.requests());
  const RouteTotals& none = s.routes[1];
  EXPECT_EQ(none.by_status[h2][statusSlot(404)], 1u);
  EXPECT_EQ(none.protocolCount(DownstreamProtocol::Http1), 0u);
}

// A reload carries the per-protocol counts of a route by name.
TEST(StatsStore, ReloadCarriesProtocolCounts) {
  auto v1 =
      std::make_shared<StatsStore>(std::vector<std::string>{"a"}, std::vector<std::string>{}, 2);
  v1->shard(0).recordRequest(0, 200, milliseconds(1), DownstreamProtocol::Http2);
  v1->shard(1).recordRequest(0, 200, milliseconds(1), DownstreamProtocol::Http1);
  auto v2 = std::make_shared<StatsStore>(std::vector<std::string>{"new", "a"},
                                         std::vector<std::string>{}, 2);
  v2->inheritFrom(v1);
  v2->shard(0).recordRequest(1, 200, milliseconds(1), DownstreamProtocol::Http2);
  StatsSnapshot s = v2->snapshot();  // v1 still held: merged live
  EXPECT_EQ(s.routes[1].protocolCount(DownstreamProtocol::Http2), 2u);
  EXPECT_EQ(s.routes[1].protocolCount(DownstreamProtocol::Http1), 1u);
  v1.reset();
  v2->snapshot();  // folds v1 into the carried totals
  s = v2->snapshot();
  EXPECT_EQ(s.routes[1].protocolCount(DownstreamProtocol::Http2), 2u);
  EXPECT_EQ(s.routes[1].protocolCount(DownstreamProtocol::Http1), 1u);
  EXPECT_EQ(s.routes[0].protocolCount(DownstreamProtocol::Http2), 0u);
}

TEST(StatsStore, DownstreamProtocolFromHttpMajor) {
  EXPECT_EQ(downstreamProtocol(1), DownstreamProtocol::Http1);
  EXPECT_EQ(downstreamProtocol(2), DownstreamProtocol::Http2);
  EXPECT_EQ(downstreamProtocol(0), DownstreamProtocol::Http1);  // HTTP/1.0 reports major 1 too
  EXPECT_EQ(kDownstreamProtocolNames[static_cast<size_t>(DownstreamProtocol::Http1)], "http1");
  EXPECT_EQ(kDownstreamProtocolNames[static_cast<size_t>(DownstreamProtocol::Http2)], "http2");
}

TEST(StatsStore, OddStatusCodesShareOneSlot) {
  EXPECT_EQ(statusSlot(100), 0u);
  EXPECT_EQ(statusSlot(599), 499u);
  EXPECT_EQ(statusSlot(99), 500u);
  EXPECT_EQ(statusSlot(600), 500u);
  EXPECT_EQ(statusSlot(-1), 500u);
  EXPECT_EQ(statusSlot(0), 500u);
}

TEST(StatsStore, GaugeCanGoNegativePerShard) {
  // A connection opened under one store and closed under its successor:
  // the sum stays right even though one shard reads -1.
  StatsStore store({}, {}, 2);
  store.shard(0).connectionOpened();
  store.shard(1).connectionClosed();
  EXPECT_EQ(store.snapshot().active_connections, 0);
}

TEST(StatsStore, ReloadCarriesTotalsByName) {
  auto v1 = std::make_shared<StatsStore>(std::vector<std::string>{"a", "gone"},
                                         std::vector<std::string>{"c"}, 2);
  v1->shard(0).recordRequest(0, 200, milliseconds(1));
  v1->shard(1).recordRequest(1, 200, milliseconds(1));
  v1->shard(0).requestStarted(0);  // in flight across the reload
  v1->shard(0).recordUpstream(0, milliseconds(1));
  v1->shard(0).connectionOpened();

  // Route order changes and "gone" disappears in v2.
  auto v2 = std::make_shared<StatsStore>(std::vector<std::string>{"new", "a"},
                                         std::vector<std::string>{"c"}, 2);
  v2->inheritFrom(v1);
  v2->recordConfigReload(true);
  EXPECT_EQ(v2->startTime(), v1->startTime());

  StatsSnapshot s = v2->snapshot();
  EXPECT_EQ(s.routes[0].requests(), 0u);
  EXPECT_EQ(s.routes[1].name, "a");
  EXPECT_EQ(s.routes[1].requests(), 1u);
  EXPECT_EQ(s.routes[1].active, 1);
  EXPECT_EQ(s.clusters[0].requests, 1u);
  EXPECT_EQ(s.active_connections, 1);
  EXPECT_EQ(s.reloads_ok, 1u);

  // The in-flight request ends on the old store, which is still live.
  v1->shard(0).recordRequest(0, 200, milliseconds(1));
  v1->shard(0).requestFinished(0);
  v2->shard(1).recordRequest(1, 201, milliseconds(1));
  s = v2->snapshot();
  EXPECT_EQ(s.routes[1].requests(), 3u);
  EXPECT_EQ(s.routes[1].active, 0);

  // Last outside owner lets go: the old store is folded, totals unchanged.
  std::weak_ptr<StatsStore> weak = v1;
  v1.reset();
  EXPECT_FALSE(weak.expired());  // still retired inside v2
  s = v2->snapshot();
  EXPECT_TRUE(weak.expired());  // folded and released
  EXPECT_EQ(s.routes[1].requests(), 3u);
  EXPECT_EQ(s.routes[1].by_status[0][statusSlot(201)], 1u);
  EXPECT_EQ(s.active_connections, 1);
  EXPECT_EQ(v2->snapshot().routes[1].requests(), 3u);

  // A third generation inherits the folded totals too.
  auto v3 =
      std::make_shared<StatsStore>(std::vector<std::string>{"a"}, std::vector<std::string>{}, 2);
  v3->inheritFrom(v2);
  v3->recordConfigReload(true);
  v2.reset();
  s = v3->snapshot();
  EXPECT_EQ(s.routes[0].requests(), 3u);
  EXPECT_EQ(s.reloads_ok, 2u);
  EXPECT_EQ(s.active_connections, 1);
}

// Two workers write their own shards while the main thread renders; the
// final totals are exact and every reading is monotonic.
TEST(StatsStore, ConcurrentWritersAndReader) {
  constexpr int kPerThread = 200'000;
  StatsStore store({"a", "b"}, {"c"}, 2);
  std::atomic<int> done{0};
  auto writer = [&](unsigned w) {
    WorkerStats& shard = store.shard(w);
    for (int i = 0; i < kPerThread; ++i) {
      shard.connectionOpened();
      shard.requestStarted(i & 1);
      shard.recordRequest(i & 1, i % 7 == 0 ? 503 : 200, microseconds(i % 5000),
                          i % 3 == 0 ? DownstreamProtocol::Http2 : DownstreamProtocol::Http1);
      shard.recordUpstream(0, microseconds(100));
      shard.recordCache(i & 1, CacheLayer::Memory, CacheResult::Hit);
      shard.requestFinished(i & 1);
      shard.connectionClosed();
    }
    done.fetch_add(1);
  };
  std::thread t0(writer, 0), t1(writer, 1);
  uint64_t last = 0;
  int renders = 0;
  std::string text;
  while (done.load() < 2 || renders == 0) {
    StatsSnapshot s = store.snapshot();
    uint64_t total = s.routes[0].requests() + s.routes[1].requests();
    EXPECT_GE(total, last);
    last = total;
    text.clear();
    renderPrometheus(s, BuildInfo{"t", "", ""}, text);
    ++renders;
  }
  t0.join();
  t1.join();
  StatsSnapshot s = store.snapshot();
  EXPECT_EQ(s.routes[0].requests() + s.routes[1].requests(), 2u * kPerThread);
  EXPECT_EQ(s.routes[0].requests(), uint64_t{kPerThread});
  uint64_t errors =
      s.routes[0].statusCount(statusSlot(503)) + s.routes[1].statusCount(statusSlot(503));
  EXPECT_EQ(errors, 2u * ((kPerThread + 6) / 7));
  uint64_t h2 = s.routes[0].protocolCount(DownstreamProtocol::Http2) +
                s.routes[1].protocolCount(DownstreamProtocol::Http2);
  EXPECT_EQ(h2, 2u * ((kPerThread + 2) / 3));
  EXPECT_EQ(s.clusters[0].requests, 2u * kPerThread);
  EXPECT_EQ(s.routes[0].cacheCount(CacheLayer::Memory, CacheResult::Hit) +
                s.routes[1].cacheCount(CacheLayer::Memory, CacheResult::Hit),
            2u * kPerThread);
  EXPECT_EQ(s.connections_total, 2u * kPerThread);
  EXPECT_EQ(s.active_connections, 0);
  EXPECT_EQ(s.routes[0].active + s.routes[1].active, 0);
  EXPECT_GT(renders, 0);
}

}  // namespace
}  // namespace courier::stats
