#include <gtest/gtest.h>
#include <malloc.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "filters/rate_limit/local_buckets.h"

namespace courier::filters::rate_limit {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

BucketShape shape(int64_t interval_ns, uint32_t burst) {
  return BucketShape{interval_ns, interval_ns * burst, burst};
}

// Several threads racing on one bucket at one instant get exactly `burst`.
void expectExactUnderThreads(LocalBuckets& buckets, uint64_t key, int threads, int per_thread,
                             uint32_t burst) {
  std::atomic<int> allowed{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  const int64_t now = 42 * kSecond;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      while (!go.load()) {
      }
      for (int i = 0; i < per_thread; ++i)
        if (buckets.take(key, now).allowed) allowed.fetch_add(1);
    });
  }
  go = true;
  for (auto& th : pool) th.join();
  EXPECT_EQ(allowed.load(), static_cast<int>(burst));
}

TEST(LocalBuckets, RouteBucketIsExactAcrossThreads) {
  LocalBuckets buckets(shape(kSecond, 1000), /*keyed=*/false, 0);
  expectExactUnderThreads(buckets, 0, 4, 5000, 1000);
}

TEST(LocalBuckets, KeyedBucketIsExactAcrossThreads) {
  LocalBuckets buckets(shape(kSecond, 1000), /*keyed=*/true, 1000);
  expectExactUnderThreads(buckets, LocalBuckets::hashKey("10.0.0.1"), 4, 5000, 1000);
}

TEST(LocalBuckets, KeysHaveSeparateBudgets) {
  LocalBuckets buckets(shape(kSecond, 2), true, 1000);
  const int64_t now = 5 * kSecond;
  uint64_t a = LocalBuckets::hashKey("a"), b = LocalBuckets::hashKey("b");
  EXPECT_TRUE(buckets.take(a, now).allowed);
  EXPECT_TRUE(buckets.take(a, now).allowed);
  EXPECT_FALSE(buckets.take(a, now).allowed);
  EXPECT_TRUE(buckets.take(b, now).allowed);
  EXPECT_EQ(buckets.size(), 2u);
}

TEST(LocalBuckets, RefundGivesTheTokenBack) {
  LocalBuckets buckets(shape(kSecond, 1), true, 1000);
  const int64_t now = 5 * kSecond;
  uint64_t k = LocalBuckets::hashKey("k");
  ASSERT_TRUE(buckets.take(k, now).allowed);
  ASSERT_FALSE(buckets.take(k, now).allowed);
  buckets.refund(k, now);
  EXPECT_TRUE(buckets.take(k, now).allowed);

  LocalBuckets single(shape(kSecond, 1), false, 0);
  ASSERT_TRUE(single.take(0, now).allowed);
  single.refund(0, now);
  EXPECT_TRUE(single.take(0, now).allowed);
}

TEST(LocalBuckets, IdleBucketsAreSweptWithoutChangingDecisions) {
  // 10 ms per token, burst 1: a bucket is full again 10 ms after its use.
  LocalBuckets buckets(shape(10'000'000, 1), true, 1'000'000);
  int64_t now = 100 * kSecond;
  for (int i = 0; i < 20000; ++i) buckets.take(LocalBuckets::hashKey(std::to_string(i)), now);
  EXPECT_EQ(buckets.size(), 20000u);
  // A second later every one of them is full; new keys sweep them out.
  now += kSecond;
  for (int i = 0; i < 20000; ++i)
    buckets.take(LocalBuckets::hashKey("new" + std::to_string(i)), now);
  EXPECT_LT(buckets.size(), 30000u) << "sweeping did not keep up with inserts";
  // And a swept key behaves like a full bucket.
  EXPECT_TRUE(buckets.take(LocalBuckets::hashKey("0"), now).allowed);
}

TEST(LocalBuckets, MillionDistinctKeysStayUnderTheCap) {
  // Long refill: nothing is idle, so only the cap bounds memory.
  const size_t cap = 100'000;
  LocalBuckets buckets(shape(3600 * kSecond, 1), true, cap);
  const int64_t now = 100 * kSecond;
  for (int i = 0; i < 1'000'000; ++i) buckets.take(LocalBuckets::hashKey(std::to_string(i)), now);
  EXPECT_LE(buckets.size(), cap + LocalBuckets::kShards);
  EXPECT_GE(buckets.size(), cap * 9 / 10);
  EXPECT_GE(buckets.capEvictions(), 1'000'000u - cap - LocalBuckets::kShards);
}

#if !defined(__SANITIZE_ADDRESS__)
// Reports the heap bytes one bucket costs (glibc's counters; the README
// quotes this figure). Skipped under ASan, whose allocator pads.
TEST(LocalBuckets, BytesPerKey) {
  const size_t keys = 1'000'000;
  size_t before = mallinfo2().uordblks;
  {
    LocalBuckets buckets(shape(3600 * kSecond, 1), true, keys);
    for (size_t i = 0; i < keys; ++i) buckets.take(i * 0x9E3779B97F4A7C15ull, 100 * kSecond);
    ASSERT_EQ(buckets.size(), keys);
    double per_key = static_cast<double>(mallinfo2().uordblks - before) / keys;
    std::printf("local bucket memory: %.1f bytes per key (1M keys)\n", per_key);
    EXPECT_LT(per_key, 80.0);
  }
  // Everything goes back when the limit goes.
  EXPECT_LT(mallinfo2().uordblks, before + (1u << 20));
}
#endif

}  // namespace
}  // namespace courier::filters::rate_limit
