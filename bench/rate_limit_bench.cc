// Cost of one local rate-limit decision (take a token or refuse), as
// workers make it: with 1 and 2 threads deciding at once.
//
// BM_RouteBucket: key = "route", every request on the same lock-free bucket
// (the worst case for contention). BM_KeyedBucket: key = client_ip over
// 10,000 clients in the 64-shard table, every thread deciding for every
// client (the worst case for cache traffic); BM_KeyedBucketOwnClients: each
// thread its own clients, as with clients on their own connections.
// BM_KeyedNewKeys: every request a new key (insert plus idle sweep).
// BM_HashKey: the XXH3 of a key value.
#include <benchmark/benchmark.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "filters/rate_limit/local_buckets.h"

namespace {

using courier::filters::rate_limit::BucketShape;
using courier::filters::rate_limit::LocalBuckets;

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A budget large enough that most decisions allow (the common case); the
// refused path is cheaper (nothing is written).
BucketShape generousShape() {
  return BucketShape{1'000, 1'000ll * 1'000'000, 1'000'000};  // 1M/s, burst 1M
}

LocalBuckets& routeBuckets() {
  static LocalBuckets buckets(generousShape(), false, 0);
  return buckets;
}

LocalBuckets& keyedBuckets() {
  static LocalBuckets buckets(generousShape(), true, 1'000'000);
  return buckets;
}

const std::vector<uint64_t>& clientHashes() {
  static const std::vector<uint64_t> hashes = [] {
    std::vector<uint64_t> v;
    for (int i = 0; i < 10'000; ++i)
      v.push_back(LocalBuckets::hashKey("10." + std::to_string(i / 256) + "." +
                                        std::to_string(i % 256) + ".7"));
    return v;
  }();
  return hashes;
}

void BM_RouteBucket(benchmark::State& state) {
  LocalBuckets& buckets = routeBuckets();
  int64_t allowed = 0;
  for (auto _ : state) allowed += buckets.take(0, nowNs()).allowed;
  benchmark::DoNotOptimize(allowed);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RouteBucket)->Threads(1)->Threads(2)->UseRealTime();

void BM_KeyedBucket(benchmark::State& state) {
  LocalBuckets& buckets = keyedBuckets();
  const auto& hashes = clientHashes();
  size_t i = static_cast<size_t>(state.thread_index()) * 5003;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += buckets.take(hashes[i % hashes.size()], nowNs()).allowed;
    i += 7;
  }
  benchmark::DoNotOptimize(allowed);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyedBucket)->Threads(1)->Threads(2)->UseRealTime();

// As traffic usually is: each client's requests arrive on one worker (its
// connection's), so the threads use disjoint halves of the clients.
void BM_KeyedBucketOwnClients(benchmark::State& state) {
  LocalBuckets& buckets = keyedBuckets();
  const auto& hashes = clientHashes();
  size_t half = hashes.size() / 2, base = static_cast<size_t>(state.thread_index()) * half;
  size_t i = 0;
  int64_t allowed = 0;
  for (auto _ : state) {
    allowed += buckets.take(hashes[base + i % half], nowNs()).allowed;
    i += 7;
  }
  benchmark::DoNotOptimize(allowed);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyedBucketOwnClients)->Threads(1)->Threads(2)->UseRealTime();

void BM_KeyedNewKeys(benchmark::State& state) {
  // 1 ms per token, burst 1: a bucket is idle 1 ms after its request, so
  // the sweep keeps the table small while keys keep coming.
  static LocalBuckets buckets(BucketShape{1'000'000, 1'000'000, 1}, true, 1'000'000);
  uint64_t key = static_cast<uint64_t>(state.thread_index() + 1) << 56;
  for (auto _ : state) {
    benchmark::DoNotOptimize(buckets.take(++key * 0x9E3779B97F4A7C15ull, nowNs()));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KeyedNewKeys)->Threads(1)->Threads(2)->UseRealTime();

void BM_HashKey(benchmark::State& state) {
  const std::string key = "sk-live-4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c";
  for (auto _ : state) benchmark::DoNotOptimize(LocalBuckets::hashKey(key));
}
BENCHMARK(BM_HashKey);

}  // namespace
