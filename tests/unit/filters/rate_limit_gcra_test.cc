#include <gtest/gtest.h>

#include "filters/rate_limit/gcra.h"

namespace courier::filters::rate_limit {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

BucketShape shape(double rate, int64_t per_ns, uint32_t burst) {
  BucketShape s;
  s.interval_ns = static_cast<int64_t>(static_cast<double>(per_ns) / rate);
  s.burst = burst;
  s.capacity_ns = s.interval_ns * burst;
  return s;
}

// Runs `n` requests at `now` against `tat`; returns how many were allowed.
int takeMany(int64_t& tat, int64_t now, const BucketShape& s, int n) {
  int allowed = 0;
  for (int i = 0; i < n; ++i) {
    Decision d = decide(tat, now, s);
    if (d.allowed) {
      tat = d.new_tat;
      ++allowed;
    }
  }
  return allowed;
}

TEST(Gcra, FullBucketAllowsExactlyBurstAtOnce) {
  BucketShape s = shape(10, kSecond, 20);
  int64_t tat = 0;
  const int64_t now = 1000 * kSecond;
  EXPECT_EQ(takeMany(tat, now, s, 100), 20);
}

TEST(Gcra, RemainingCountsDownAndRetryAfterIsOneInterval) {
  BucketShape s = shape(10, kSecond, 3);
  int64_t tat = 0, now = 50 * kSecond;
  for (uint32_t expected : {2u, 1u, 0u}) {
    Decision d = decide(tat, now, s);
    ASSERT_TRUE(d.allowed);
    EXPECT_EQ(d.remaining, expected);
    tat = d.new_tat;
  }
  Decision refused = decide(tat, now, s);
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.remaining, 0u);
  EXPECT_EQ(refused.retry_after_ns, kSecond / 10);
  EXPECT_EQ(refused.reset_ns, 3 * kSecond / 10);  // three tokens to earn back
}

TEST(Gcra, RefillsOneTokenPerInterval) {
  BucketShape s = shape(10, kSecond, 5);
  int64_t tat = 0, now = 7 * kSecond;
  ASSERT_EQ(takeMany(tat, now, s, 5), 5);
  EXPECT_EQ(takeMany(tat, now + kSecond / 10 - 1, s, 5), 0);  // not quite one interval
  EXPECT_EQ(takeMany(tat, now + kSecond / 10, s, 5), 1);
  // After a long idle time the bucket is full, never fuller.
  EXPECT_EQ(takeMany(tat, now + 3600 * kSecond, s, 100), 5);
}

TEST(Gcra, FractionalRateHundredPerMinute) {
  BucketShape s = shape(100, 60 * kSecond, 1);
  EXPECT_EQ(s.interval_ns, 600'000'000);  // 0.6 s per token
  int64_t tat = 0, start = 100 * kSecond;
  // A steady client polling every 10 ms for one minute gets 1 + 100 tokens.
  int allowed = 0;
  for (int64_t t = start; t <= start + 60 * kSecond; t += kSecond / 100)
    allowed += takeMany(tat, t, s, 1);
  EXPECT_EQ(allowed, 101);
}

TEST(Gcra, SustainedRateOverTimeIsBurstPlusRateTimesElapsed) {
  BucketShape s = shape(50, kSecond, 50);
  int64_t tat = 0, start = 10 * kSecond;
  int allowed = 0;
  for (int64_t t = start; t <= start + 2 * kSecond; t += kSecond / 1000)
    allowed += takeMany(tat, t, s, 4);
  EXPECT_EQ(allowed, 50 + 100);
}

TEST(Gcra, ClockGoingBackwardsNeverMintsTokens) {
  BucketShape s = shape(1, kSecond, 2);
  int64_t tat = 0, now = 100 * kSecond;
  ASSERT_EQ(takeMany(tat, now, s, 2), 2);
  // The clock jumps back an hour: the bucket stays empty until TAT.
  EXPECT_EQ(takeMany(tat, now - 3600 * kSecond, s, 10), 0);
  EXPECT_EQ(takeMany(tat, now, s, 10), 0);
  EXPECT_EQ(takeMany(tat, now + kSecond, s, 10), 1);
}

TEST(Gcra, RefundReturnsOneTokenButNeverOverfills) {
  BucketShape s = shape(1, kSecond, 2);
  int64_t now = 100 * kSecond;
  int64_t tat = 0;
  ASSERT_EQ(takeMany(tat, now, s, 2), 2);
  tat = refund(tat, now, s);
  EXPECT_EQ(takeMany(tat, now, s, 10), 1);
  // Refunding a full bucket leaves it full (TAT not before now).
  int64_t full = now;
  EXPECT_EQ(refund(full, now, s), now);
  EXPECT_EQ(refund(0, now, s), now);
}

}  // namespace
}  // namespace courier::filters::rate_limit
