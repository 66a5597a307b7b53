// Stats hot path and scrape cost.
//
// BM_RecordRequest/threads:2 runs each thread on its own shard, as workers
// do; BM_SharedAtomicCounter/threads:2 is what a shared counter with
// fetch_add would cost instead (the design the shards avoid).
#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "proxy/stats/prometheus.h"
#include "proxy/stats/stats_json.h"
#include "proxy/stats/stats_store.h"

namespace {

using courier::stats::StatsStore;

std::vector<std::string> names(const char* prefix, int n) {
  std::vector<std::string> v;
  for (int i = 0; i < n; ++i) v.push_back(prefix + std::to_string(i));
  return v;
}

StatsStore& sharedStore() {
  static StatsStore store(names("route_", 50), names("cluster_", 8), 2);
  return store;
}

void BM_RecordRequest(benchmark::State& state) {
  auto& shard = sharedStore().shard(static_cast<unsigned>(state.thread_index()));
  size_t i = 0;
  for (auto _ : state) {
    shard.recordRequest(i % 50, (i & 15) ? 200 : 503, std::chrono::microseconds(i & 0xffff));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordRequest)->Threads(1)->Threads(2);

// Everything one proxied request records.
void BM_RecordFullStream(benchmark::State& state) {
  auto& shard = sharedStore().shard(static_cast<unsigned>(state.thread_index()));
  size_t i = 0;
  for (auto _ : state) {
    size_t route = i % 50;
    shard.requestStarted(route);
    shard.recordFirstByte(route, std::chrono::microseconds(i & 0xfff));
    shard.recordUpstream(i % 8, std::chrono::microseconds(i & 0xfff));
    shard.requestFinished(route);
    shard.recordRequest(route, 200, std::chrono::microseconds(i & 0xffff));
    shard.addBytes(300, 1200);
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecordFullStream)->Threads(1)->Threads(2);

std::atomic<uint64_t> g_shared_counter{0};
void BM_SharedAtomicCounter(benchmark::State& state) {
  for (auto _ : state) g_shared_counter.fetch_add(1, std::memory_order_relaxed);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SharedAtomicCounter)->Threads(1)->Threads(2);

StatsStore& populatedStore() {
  static StatsStore* store = [] {
    auto* s = new StatsStore(names("route_", 50), names("cluster_", 8), 4);
    for (unsigned w = 0; w < 4; ++w)
      for (size_t i = 0; i < 20'000; ++i)
        s->shard(w).recordRequest(i % 50, i % 13 ? 200 : 404,
                                  std::chrono::microseconds(i * 37 % 2'000'000));
    return s;
  }();
  return *store;
}

void BM_RenderPrometheus50Routes(benchmark::State& state) {
  StatsStore& store = populatedStore();
  courier::stats::BuildInfo build{"0.1.0", "bench", "gcc"};
  std::string out;
  for (auto _ : state) {
    out.clear();
    courier::stats::renderPrometheus(store, build, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(BM_RenderPrometheus50Routes)->Unit(benchmark::kMicrosecond);

void BM_Snapshot50Routes(benchmark::State& state) {
  StatsStore& store = populatedStore();
  for (auto _ : state) benchmark::DoNotOptimize(store.snapshot());
}
BENCHMARK(BM_Snapshot50Routes)->Unit(benchmark::kMicrosecond);

void BM_RenderStatsJson50Routes(benchmark::State& state) {
  StatsStore& store = populatedStore();
  for (auto _ : state) benchmark::DoNotOptimize(courier::stats::renderStatsJson(store));
}
BENCHMARK(BM_RenderStatsJson50Routes)->Unit(benchmark::kMicrosecond);

}  // namespace
