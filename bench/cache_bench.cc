// Cost of the L1 memory cache as workers use it, with 1 and 2 threads at
// once, for entries with 1 KiB and 64 KiB bodies (the argument).
//
// The store is 64 MiB with 1 MiB max objects (16 shards), filled to 3/4:
// about 32,500 keys of 1 KiB entries, 760 of 64 KiB ones, so the 1 KiB runs
// also pay for cache misses in a larger index. Entries come from a pool of
// at most 1,024 built before timing and shared by the keys (nothing is built
// or freed in the loop; inserts reuse them): what is measured is the store
// (hash lookup, LRU move, shared_ptr copy, eviction), not building or
// reading a response.
//
// BM_L1Lookup: hits over a resident key set, both threads on all keys.
// BM_L1Miss: lookups of absent keys in a full store.
// BM_L1Insert/<body>/0: replaces resident keys; /1: new keys every time, so
// each insert also evicts.
// BM_L1Mixed: 95% lookups, 5% inserts over a key set a quarter larger than
// what fits, so some lookups miss and inserts evict.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "filters/cache/memory_store.h"

namespace {

using courier::filters::cache::CachedEntry;
using courier::filters::cache::CacheKey;
using courier::filters::cache::MemoryStore;

constexpr size_t kCapacity = 64 << 20;
constexpr size_t kMaxObject = 1 << 20;
constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kForever = INT64_MAX;

uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
CacheKey key(uint64_t i) {
  return CacheKey{mix(i * 2 + 1), mix(i * 2)};
}

MemoryStore::EntryPtr makeEntry(size_t body_bytes) {
  auto e = std::make_shared<CachedEntry>();
  e->path = "/v1/models/gpt?page=2";
  e->headers = {{"content-type", "application/json"}, {"etag", "\"abc123\""}};
  e->body = std::string(body_bytes, 'x');
  e->tags = {"models"};
  e->freshness_lifetime_ms = 60'000;
  return e;
}

// Entries that fit, with a margin for uneven shards.
uint64_t residentKeys(const MemoryStore::EntryPtr& e) {
  return kCapacity / MemoryStore::chargeOf(*e) * 3 / 4;
}

// A store filled with `residentKeys` keys, shared by the threads of a run.
struct Fixture {
  explicit Fixture(size_t body) {
    keys = residentKeys(makeEntry(body));
    // Several entries, or every thread would bump one reference count.
    for (uint64_t i = 0; i < std::min<uint64_t>(keys, 1024); ++i)
      entries.push_back(makeEntry(body));
    for (uint64_t i = 0; i < keys; ++i) store.insert(key(i), entry(i), kForever);
  }
  const MemoryStore::EntryPtr& entry(uint64_t i) const { return entries[i % entries.size()]; }
  MemoryStore store{kCapacity, kMaxObject};
  std::vector<MemoryStore::EntryPtr> entries;
  uint64_t keys;
};

// One store per use and body size, so that inserts do not evict the keys
// the lookups expect.
enum Use { kRead, kWrite, kMixed };
Fixture& fixture(Use use, size_t body) {
  static Fixture* stores[3][2] = {};
  static std::mutex mu;
  std::lock_guard lock(mu);
  Fixture*& f = stores[use][body == (1 << 10) ? 0 : 1];
  if (!f) f = new Fixture(body);  // lives to the end of the process
  return *f;
}

// A stride coprime with any key count walks keys in a scattered order.
constexpr uint64_t kStride = 7919;

void BM_L1Lookup(benchmark::State& state) {
  Fixture& f = fixture(kRead, static_cast<size_t>(state.range(0)));
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 104729;
  int64_t hits = 0;
  for (auto _ : state) {
    hits += f.store.find(key(i % f.keys), kNow) != nullptr;
    i += kStride;
  }
  if (hits != static_cast<int64_t>(state.iterations())) state.SkipWithError("lookup missed");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Lookup)->Arg(1 << 10)->Arg(64 << 10)->Threads(1)->Threads(2)->UseRealTime();

void BM_L1Miss(benchmark::State& state) {
  Fixture& f = fixture(kRead, static_cast<size_t>(state.range(0)));
  uint64_t i = (uint64_t{1} << 40) + static_cast<uint64_t>(state.thread_index()) * 104729;
  int64_t hits = 0;
  for (auto _ : state) {
    hits += f.store.find(key(i), kNow) != nullptr;
    i += kStride;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Miss)->Arg(1 << 10)->Arg(64 << 10)->Threads(1)->Threads(2)->UseRealTime();

void BM_L1Insert(benchmark::State& state) {
  Fixture& f = fixture(kWrite, static_cast<size_t>(state.range(0)));
  const bool fresh_keys = state.range(1) != 0;
  // New keys: each thread its own range, far above the resident ones.
  static std::atomic<uint64_t> next_base{uint64_t{1} << 32};
  uint64_t base = fresh_keys ? next_base.fetch_add(uint64_t{1} << 28) : 0;
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 104729;
  bool ok = true;
  for (auto _ : state) {
    i += kStride;  // entries in a scattered order in both modes
    ok &= f.store.insert(key(fresh_keys ? base++ : i % f.keys), f.entry(i), kForever);
  }
  if (!ok) state.SkipWithError("insert refused");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Insert)
    ->ArgsProduct({{1 << 10, 64 << 10}, {0, 1}})
    ->Threads(1)
    ->Threads(2)
    ->UseRealTime();

void BM_L1Mixed(benchmark::State& state) {
  Fixture& f = fixture(kMixed, static_cast<size_t>(state.range(0)));
  const uint64_t keys = f.keys * 5 / 3;  // 5/4 of what fits
  uint64_t i = static_cast<uint64_t>(state.thread_index()) * 104729;
  uint64_t n = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    CacheKey k = key(i % keys);
    if (++n % 20 == 0)
      f.store.insert(k, f.entry(i % keys), kForever);
    else
      hits += f.store.find(k, kNow) != nullptr;
    i += kStride;
  }
  state.counters["hit_ratio"] = benchmark::Counter(
      static_cast<double>(hits) / static_cast<double>(state.iterations() - state.iterations() / 20),
      benchmark::Counter::kAvgThreads);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_L1Mixed)->Arg(1 << 10)->Arg(64 << 10)->Threads(2)->UseRealTime();

}  // namespace
