#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "filters/cache/memory_store.h"

namespace courier::filters::cache {
namespace {

using EntryPtr = MemoryStore::EntryPtr;
constexpr int64_t kNow = 1'700'000'000'000;
constexpr int64_t kForever = INT64_MAX;

// Keys as XXH3 would spread them (splitmix64 of a counter).
uint64_t mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
CacheKey key(uint64_t i) {
  return CacheKey{mix(i * 2 + 1), mix(i * 2)};
}

std::shared_ptr<CachedEntry> makeEntry(std::string path, size_t body_bytes,
                                       std::vector<std::string> tags = {}) {
  auto e = std::make_shared<CachedEntry>();
  e->path = std::move(path);
  e->body = std::string(body_bytes, 'x');
  e->headers = {{"content-type", "text/plain"}};
  e->tags = std::move(tags);
  return e;
}

size_t chargeOf(const EntryPtr& e) {
  return MemoryStore::chargeOf(*e);
}

// A one-shard store holding `n` entries of `body` bytes exactly.
// (Paths of that test must be two characters long, as "/x" here.)
MemoryStore oneShardFor(size_t n, size_t body) {
  size_t charge = chargeOf(makeEntry("/x", body));
  return MemoryStore(n * charge, n * charge);  // max object = capacity: one shard
}

TEST(MemoryStore, ShardCountHoldsFourMaxObjectsPerShard) {
  constexpr size_t MiB = 1 << 20;
  EXPECT_EQ(MemoryStore::shardCountFor(256 * MiB, 8 * MiB), 8u);  // the defaults
  EXPECT_EQ(MemoryStore::shardCountFor(255 * MiB, 8 * MiB), 4u);  // powers of two
  EXPECT_EQ(MemoryStore::shardCountFor(512 * MiB, 8 * MiB), 16u);
  EXPECT_EQ(MemoryStore::shardCountFor(1024 * MiB, 1 * MiB), 16u);
  EXPECT_EQ(MemoryStore::shardCountFor(64 << 10, 64 << 10), 1u);
  EXPECT_EQ(MemoryStore::shardCountFor(64 << 10, SIZE_MAX), 1u);
  EXPECT_EQ(MemoryStore::shardCountFor(SIZE_MAX, 1), 16u);
  EXPECT_EQ(MemoryStore::shardCountFor(0, 0), 1u);
  MemoryStore store(100 * MiB, MiB);
  EXPECT_EQ(store.shardCount(), 16u);
  EXPECT_EQ(store.capacity(), 100 * MiB);
}

TEST(MemoryStore, HitAndMiss) {
  MemoryStore store(1 << 20, 1 << 16);
  EntryPtr e = makeEntry("/a", 100);
  EXPECT_EQ(store.find(key(1), kNow), nullptr);
  EXPECT_TRUE(store.insert(key(1), e, kForever));
  EXPECT_EQ(store.find(key(1), kNow), e);
  EXPECT_EQ(store.find(key(2), kNow), nullptr);
  EXPECT_EQ(store.find(CacheKey{key(1).high, key(2).low}, kNow), nullptr);
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.bytes(), e->byteSize() + MemoryStore::kEntryOverhead);
  EXPECT_TRUE(store.erase(key(1)));
  EXPECT_FALSE(store.erase(key(1)));
  EXPECT_EQ(store.find(key(1), kNow), nullptr);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.entries(), 0u);
}

TEST(MemoryStore, InsertReplaces) {
  MemoryStore store(1 << 20, 1 << 16);
  EntryPtr a = makeEntry("/a", 100), b = makeEntry("/a", 3000);
  ASSERT_TRUE(store.insert(key(1), a, kForever));
  ASSERT_TRUE(store.insert(key(1), b, kForever));
  EXPECT_EQ(store.find(key(1), kNow), b);
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.bytes(), chargeOf(b));
  EXPECT_EQ(store.evictions(), 0u);
  EXPECT_EQ(a.use_count(), 1);  // the store let go of the old one
}

TEST(MemoryStore, ExpiresAtKeepUntil) {
  MemoryStore store(1 << 20, 1 << 16);
  ASSERT_TRUE(store.insert(key(1), makeEntry("/a", 10), kNow + 1000));
  EXPECT_NE(store.find(key(1), kNow + 999), nullptr);
  EXPECT_EQ(store.find(key(1), kNow + 1000), nullptr);
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.expirations(), 1u);
  EXPECT_EQ(store.evictions(), 0u);
  // A later find of the same key is a plain miss.
  EXPECT_EQ(store.find(key(1), kNow + 1000), nullptr);
  EXPECT_EQ(store.expirations(), 1u);
}

TEST(MemoryStore, EvictsLeastRecentlyUsedAndAHitProtects) {
  MemoryStore store = oneShardFor(3, 500);
  for (uint64_t i = 1; i <= 3; ++i)
    ASSERT_TRUE(store.insert(key(i), makeEntry("/" + std::to_string(i), 500), kForever));
  ASSERT_NE(store.find(key(1), kNow), nullptr);  // 1 is now the most recent
  ASSERT_TRUE(store.insert(key(4), makeEntry("/4", 500), kForever));
  EXPECT_EQ(store.evictions(), 1u);
  EXPECT_EQ(store.find(key(2), kNow), nullptr);  // the oldest untouched one went
  EXPECT_NE(store.find(key(1), kNow), nullptr);
  EXPECT_NE(store.find(key(3), kNow), nullptr);
  EXPECT_NE(store.find(key(4), kNow), nullptr);
  // Replacing refreshes too: 1 is the oldest now, then re-stored.
  ASSERT_TRUE(store.insert(key(1), makeEntry("/1", 500), kForever));
  ASSERT_TRUE(store.insert(key(5), makeEntry("/5", 500), kForever));
  EXPECT_EQ(store.find(key(3), kNow), nullptr);
  EXPECT_NE(store.find(key(1), kNow), nullptr);
  EXPECT_EQ(store.evictions(), 2u);
}

TEST(MemoryStore, ALargeInsertEvictsSeveral) {
  MemoryStore store = oneShardFor(4, 500);
  ASSERT_EQ(store.shardCount(), 1u);
  for (uint64_t i = 1; i <= 4; ++i)
    ASSERT_TRUE(store.insert(key(i), makeEntry("/x", 500), kForever));
  // Charged between one and two small ones: two must go.
  ASSERT_TRUE(store.insert(key(9), makeEntry("/x", 1000 + MemoryStore::kEntryOverhead), kForever));
  EXPECT_EQ(store.evictions(), 2u);
  EXPECT_EQ(store.find(key(1), kNow), nullptr);
  EXPECT_EQ(store.find(key(2), kNow), nullptr);
  EXPECT_LE(store.bytes(), store.capacity());
}

TEST(MemoryStore, BytesStayWithinCapacity) {
  const size_t capacity = 1 << 20;
  MemoryStore store(capacity, 64 << 10);
  std::mt19937_64 rng(7);
  size_t inserted_bytes = 0;
  uint64_t inserts = 0;
  for (uint64_t i = 0; inserted_bytes < 10 * capacity; ++i) {
    auto e = makeEntry("/k", rng() % (16 << 10));
    inserted_bytes += chargeOf(e);
    ASSERT_TRUE(store.insert(key(i), e, kForever));
    ++inserts;
    ASSERT_LE(store.bytes(), capacity);
    if (i % 7 == 0) store.find(key(rng() % (i + 1)), kNow);
    if (i % 11 == 0) store.erase(key(rng() % (i + 1)));
  }
  EXPECT_GT(store.evictions(), 0u);
  EXPECT_GT(store.bytes(), capacity / 2);  // evictions free only what is needed
  // Every insert is either still there, evicted or erased.
  EXPECT_LE(store.entries() + store.evictions(), inserts);
  EXPECT_GE(store.entries() + store.evictions(), inserts - inserts / 11 - 1);
}

TEST(MemoryStore, RejectsObjectsTooBig) {
  const size_t max_object = 10'000;
  MemoryStore store(1 << 20, max_object);
  auto fits = makeEntry("/a", 100);
  fits->body = std::string(max_object - fits->byteSize() + 100, 'x');
  ASSERT_EQ(fits->byteSize(), max_object);
  EXPECT_TRUE(store.insert(key(1), fits, kForever));
  auto big = makeEntry("/a", max_object);
  EXPECT_FALSE(store.insert(key(2), big, kForever));
  EXPECT_EQ(store.find(key(2), kNow), nullptr);
  // A rejected replacement drops the old entry: it was meant to be replaced.
  EXPECT_FALSE(store.insert(key(1), big, kForever));
  EXPECT_EQ(store.find(key(1), kNow), nullptr);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.evictions(), 0u);
  EXPECT_FALSE(store.insert(key(3), nullptr, kForever));
}

TEST(MemoryStore, RejectsObjectsLargerThanAShard) {
  // max_object allows it, but the single shard is smaller once the overhead
  // is added.
  auto e = makeEntry("/a", 1000);
  MemoryStore store(e->byteSize() + MemoryStore::kEntryOverhead - 1, 1 << 20);
  EXPECT_FALSE(store.insert(key(1), e, kForever));
  EXPECT_EQ(store.bytes(), 0u);
}

TEST(MemoryStore, PurgesByPathPrefixAndTag) {
  MemoryStore store(1 << 20, 1 << 16);
  auto marker = makeEntry("/v1/models?x=1", 0);
  marker->vary_marker = true;
  marker->vary = {"accept-language"};
  ASSERT_TRUE(store.insert(key(1), marker, kForever));
  ASSERT_TRUE(store.insert(key(2), makeEntry("/v1/models?x=1", 10), kForever));  // variant
  ASSERT_TRUE(store.insert(key(3), makeEntry("/v1/models?x=1", 10), kForever));  // variant
  ASSERT_TRUE(store.insert(key(4), makeEntry("/v1/models", 10, {"models"}), kForever));
  ASSERT_TRUE(store.insert(key(5), makeEntry("/v1/chat", 10, {"chat", "models"}), kForever));
  ASSERT_TRUE(store.insert(key(6), makeEntry("/v2/chat", 10, {"chat"}), kForever));
  ASSERT_TRUE(store.insert(key(7), makeEntry("/other", 10, {"modelsx"}), kForever));

  EXPECT_EQ(store.purgePath("/v1/models?x=1"), 3u);  // marker and both variants
  EXPECT_EQ(store.find(key(1), kNow), nullptr);
  EXPECT_NE(store.find(key(4), kNow), nullptr);
  EXPECT_EQ(store.purgePath("/v1/models?x="), 0u);

  EXPECT_EQ(store.purgeTag("models"), 2u);  // whole values only
  EXPECT_EQ(store.find(key(4), kNow), nullptr);
  EXPECT_EQ(store.find(key(5), kNow), nullptr);
  EXPECT_NE(store.find(key(7), kNow), nullptr);

  EXPECT_EQ(store.purgePrefix("/v2/"), 1u);
  EXPECT_EQ(store.purgePrefix("/nothing"), 0u);
  EXPECT_EQ(store.entries(), 1u);
  EXPECT_EQ(store.bytes(), chargeOf(store.find(key(7), kNow)));
  EXPECT_EQ(store.purgePrefix(""), 1u);  // everything
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.evictions(), 0u);
}

TEST(MemoryStore, Clear) {
  MemoryStore store(1 << 20, 1 << 12);
  for (uint64_t i = 0; i < 100; ++i)
    ASSERT_TRUE(store.insert(key(i), makeEntry("/", 10), kForever));
  EXPECT_EQ(store.clear(), 100u);
  EXPECT_EQ(store.entries(), 0u);
  EXPECT_EQ(store.bytes(), 0u);
  EXPECT_EQ(store.find(key(5), kNow), nullptr);
  EXPECT_EQ(store.clear(), 0u);
  EXPECT_TRUE(store.insert(key(5), makeEntry("/", 10), kForever));  // still usable
  EXPECT_NE(store.find(key(5), kNow), nullptr);
}

TEST(MemoryStore, SetCapacityShrinksNow) {
  MemoryStore store(1 << 20, 1 << 14);
  for (uint64_t i = 0; i < 400; ++i)
    ASSERT_TRUE(store.insert(key(i), makeEntry("/", 1000), kForever));
  ASSERT_EQ(store.evictions(), 0u);
  size_t before = store.entries();
  store.setCapacity(100 << 10, 1 << 10);
  EXPECT_EQ(store.capacity(), 100u << 10);
  EXPECT_LE(store.bytes(), 100u << 10);
  EXPECT_EQ(store.entries() + store.evictions(), before);
  EXPECT_LT(store.entries(), 100u);
  // The new object bound applies to later inserts.
  EXPECT_FALSE(store.insert(key(1000), makeEntry("/", 2000), kForever));
  // Growing again lets more in.
  store.setCapacity(1 << 20, 1 << 14);
  for (uint64_t i = 0; i < 400; ++i) store.insert(key(i), makeEntry("/", 1000), kForever);
  EXPECT_GT(store.entries(), 300u);
}

TEST(MemoryStore, ReaderKeepsAnEvictedEntry) {
  MemoryStore store = oneShardFor(2, 2000);
  ASSERT_TRUE(store.insert(key(1), makeEntry("/h", 2000), kForever));
  EntryPtr held = store.find(key(1), kNow);
  ASSERT_NE(held, nullptr);
  std::weak_ptr<const CachedEntry> watch = held;
  ASSERT_TRUE(store.insert(key(2), makeEntry("/y", 2000), kForever));
  ASSERT_TRUE(store.insert(key(3), makeEntry("/y", 2000), kForever));
  EXPECT_EQ(store.find(key(1), kNow), nullptr);  // evicted from the store...
  EXPECT_EQ(store.evictions(), 1u);
  EXPECT_EQ(held->path, "/h");  // ...but intact for the reader
  EXPECT_EQ(held->body.size(), 2000u);
  held.reset();
  EXPECT_TRUE(watch.expired());
}

// The last reference to a removed entry is dropped after the shard lock is
// released: the deleter checks that another thread can take that lock.
TEST(MemoryStore, EntriesAreFreedOutsideTheLock) {
  MemoryStore store = oneShardFor(2, 100);
  ASSERT_EQ(store.shardCount(), 1u);
  int freed = 0, freed_locked = 0;
  std::vector<std::thread> probes;  // joined at the end: a stuck one must not hang the test
  auto tracked = [&] {
    return EntryPtr(new CachedEntry(*makeEntry("/t", 100)), [&](const CachedEntry* e) {
      auto done = std::make_shared<std::atomic<bool>>(false);
      probes.emplace_back([&store, done] {
        store.find(key(99), kNow);
        *done = true;
      });
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
      while (!*done && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
      if (!*done) ++freed_locked;
      ++freed;
      delete e;
    });
  };
  store.insert(key(1), tracked(), kForever);
  store.insert(key(1), tracked(), kForever);  // replaced
  store.insert(key(2), tracked(), kForever);
  store.insert(key(3), tracked(), kForever);  // evicts key 1
  store.erase(key(2));
  store.insert(key(4), tracked(), kNow + 1);
  store.find(key(4), kNow + 1);  // expired
  store.purgePath("/t");         // key 3
  store.insert(key(5), tracked(), kForever);
  store.clear();
  store.insert(key(6), tracked(), kForever);
  store.setCapacity(10, 10);  // evicts key 6
  for (auto& t : probes) t.join();
  EXPECT_EQ(freed, 7);
  EXPECT_EQ(freed_locked, 0);
}

// Four threads mixing every operation; afterwards the counters agree with
// what is actually stored. Run under ASan too.
TEST(MemoryStore, ConcurrentMixedOperations) {
  const size_t capacity = 256 << 10;
  MemoryStore store(capacity, 16 << 10);
  constexpr uint64_t kKeys = 512;
  std::atomic<bool> stop{false};
  std::atomic<bool> over_capacity{false}, wrong_entry{false};
  std::atomic<uint64_t> ops{0};
  auto work = [&](int t) {
    std::mt19937_64 rng(t);
    uint64_t n = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      uint64_t k = rng() % kKeys, r = rng() % 1000;
      int64_t now = kNow + static_cast<int64_t>(rng() % 1000);
      if (r < 600) {
        if (EntryPtr e = store.find(key(k), now); e && e->path != "/p/" + std::to_string(k % 8))
          wrong_entry = true;
      } else if (r < 900) {
        auto e = makeEntry("/p/" + std::to_string(k % 8), rng() % (12 << 10),
                           {"t" + std::to_string(k % 3)});
        store.insert(key(k), std::move(e), kNow + static_cast<int64_t>(rng() % 2000));
      } else if (r < 990) {
        store.erase(key(k));
      } else if (r < 994) {
        store.purgePath("/p/" + std::to_string(k % 8));
      } else if (r < 997) {
        store.purgePrefix("/p/1");
      } else if (r < 999) {
        store.purgeTag("t" + std::to_string(k % 3));
      } else if (uint64_t x = rng() % 20; x == 0) {
        store.clear();
      } else if (x == 1) {  // a reload; never above `capacity`
        store.setCapacity(rng() % 2 ? capacity : capacity / 2, 16 << 10);
      }
      if (store.bytes() > capacity) over_capacity = true;
      ++n;
    }
    ops += n;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(work, t);
  std::this_thread::sleep_for(std::chrono::seconds(1));
  stop = true;
  for (auto& th : threads) th.join();

  EXPECT_FALSE(over_capacity.load());
  EXPECT_FALSE(wrong_entry.load());
  size_t sum = 0, count = 0;
  for (uint64_t k = 0; k < kKeys; ++k) {
    if (EntryPtr e = store.find(key(k), 0)) {
      sum += chargeOf(e);
      ++count;
    }
  }
  EXPECT_EQ(store.bytes(), sum);
  EXPECT_EQ(store.entries(), count);
  EXPECT_LE(store.bytes(), store.capacity());
  EXPECT_GT(ops.load(), 10'000u);
  std::printf("4 threads: %llu operations in 1 s, %llu evictions, %llu expirations\n",
              static_cast<unsigned long long>(ops.load()),
              static_cast<unsigned long long>(store.evictions()),
              static_cast<unsigned long long>(store.expirations()));
}

#if !defined(__SANITIZE_ADDRESS__)
size_t heapInUse() {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;  // large bucket arrays are mmapped
}

// Measures the store's own heap per entry (glibc's counters), which
// kEntryOverhead must cover: one entry stored under many keys, so only the
// store's nodes and buckets grow. Skipped under ASan, whose allocator pads.
TEST(MemoryStore, BytesPerEntry) {
  const size_t keys = 1'000'000;
  EntryPtr e = makeEntry("/", 0);
  size_t before = heapInUse();
  {
    MemoryStore store(2 * keys * chargeOf(e), 1 << 20);  // room for shards' unevenness
    for (size_t i = 0; i < keys; ++i) ASSERT_TRUE(store.insert(key(i), e, kForever));
    ASSERT_EQ(store.entries(), keys);
    double per_entry = static_cast<double>(heapInUse() - before) / keys;
    std::printf("memory store: %.1f heap bytes per entry (1M entries, %zu shards)\n", per_entry,
                store.shardCount());
    EXPECT_LE(per_entry, static_cast<double>(MemoryStore::kEntryOverhead));
  }
  EXPECT_LT(heapInUse(), before + (1u << 20));
}
#endif

}  // namespace
}  // namespace courier::filters::cache
