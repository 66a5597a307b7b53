#include "proxy/stats/histogram.h"

#include <gtest/gtest.h>

namespace courier::stats {
namespace {

TEST(Histogram, BoundIsInclusive) {
  EXPECT_EQ(bucketIndex(0), 0u);
  EXPECT_EQ(bucketIndex(500), 0u);  // exactly 0.0005 s: le="0.0005"
  EXPECT_EQ(bucketIndex(501), 1u);
  EXPECT_EQ(bucketIndex(1'000), 1u);
  EXPECT_EQ(bucketIndex(1'001), 2u);
  EXPECT_EQ(bucketIndex(1'000'000), 10u);  // le="1"
  EXPECT_EQ(bucketIndex(300'000'000), 17u);
  EXPECT_EQ(bucketIndex(300'000'001), 18u);  // +Inf
  EXPECT_EQ(bucketIndex(UINT64_MAX), kBucketCount - 1);
  for (size_t i = 0; i < kBucketBoundsUs.size(); ++i) {
    EXPECT_EQ(bucketIndex(kBucketBoundsUs[i]), i) << kBucketBoundsUs[i];
    EXPECT_EQ(bucketIndex(kBucketBoundsUs[i] + 1), i + 1) << kBucketBoundsUs[i];
  }
}

TEST(Histogram, ToMicrosTruncatesAndClampsNegative) {
  EXPECT_EQ(toMicros(std::chrono::nanoseconds(1'999)), 1u);
  EXPECT_EQ(toMicros(std::chrono::milliseconds(3)), 3'000u);
  EXPECT_EQ(toMicros(std::chrono::nanoseconds(-5)), 0u);
}

TEST(Histogram, ShardRecordsBucketAndSum) {
  HistogramShard shard{};
  shard.record(500);
  shard.record(501);
  shard.record(400'000'000);
  HistogramData h;
  h.add(shard);
  EXPECT_EQ(h.buckets[0], 1u);
  EXPECT_EQ(h.buckets[1], 1u);
  EXPECT_EQ(h.buckets[kBucketCount - 1], 1u);
  EXPECT_EQ(h.count(), 3u);
  EXPECT_EQ(h.sum_us, 400'001'001u);
}

TEST(Histogram, AppendSeconds) {
  auto fmt = [](uint64_t us) {
    std::string s;
    appendSeconds(s, us);
    return s;
  };
  EXPECT_EQ(fmt(0), "0");
  EXPECT_EQ(fmt(500), "0.0005");
  EXPECT_EQ(fmt(2'500), "0.0025");
  EXPECT_EQ(fmt(1'000'000), "1");
  EXPECT_EQ(fmt(1'500'000), "1.5");
  EXPECT_EQ(fmt(300'000'000), "300");
  EXPECT_EQ(fmt(12'000'001), "12.000001");
}

TEST(Histogram, QuantileInterpolatesInsideBucket) {
  HistogramData h;
  EXPECT_LT(estimateQuantile(h, 0.5), 0);  // no samples
  // 100 samples in (0.01, 0.025]: the median sits halfway through the bucket.
  h.buckets[bucketIndex(20'000)] = 100;
  EXPECT_DOUBLE_EQ(estimateQuantile(h, 0.5), 0.0175);
  EXPECT_DOUBLE_EQ(estimateQuantile(h, 1.0), 0.025);
  EXPECT_NEAR(estimateQuantile(h, 0.99), 0.01 + 0.015 * 0.99, 1e-12);
}

TEST(Histogram, QuantileAcrossBuckets) {
  HistogramData h;
  h.buckets[0] = 50;                 // (0, 0.0005]
  h.buckets[bucketIndex(800)] = 50;  // (0.0005, 0.001]
  EXPECT_DOUBLE_EQ(estimateQuantile(h, 0.5), 0.0005);
  EXPECT_DOUBLE_EQ(estimateQuantile(h, 0.25), 0.00025);
  EXPECT_DOUBLE_EQ(estimateQuantile(h, 0.75), 0.00075);
}

TEST(Histogram, QuantileInInfBucketReportsLastBound) {
  HistogramData h;
  h.buckets[kBucketCount - 1] = 10;
  EXPECT_DOUBLE_EQ(estimateQuantile(h, 0.5), 300.0);
}

TEST(Histogram, MinusSaturates) {
  HistogramData a, b;
  a.buckets[0] = 5;
  a.sum_us = 10;
  b.buckets[0] = 2;
  b.buckets[1] = 1;
  b.sum_us = 20;
  HistogramData d = a.minus(b);
  EXPECT_EQ(d.buckets[0], 3u);
  EXPECT_EQ(d.buckets[1], 0u);
  EXPECT_EQ(d.sum_us, 0u);
}

}  // namespace
}  // namespace courier::stats
