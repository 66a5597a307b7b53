// Fixed-bucket latency histograms (seconds in the exposition, integer
// microseconds inside).
//
// One bucket layout for every latency metric, from 0.5 ms to 300 s as the
// spec asks; `le` is inclusive, as in Prometheus: a value exactly on a bound
// counts in that bound's bucket. Integer microseconds keep the sum exact and
// the hot path free of floating point.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "proxy/stats/counter.h"

namespace courier::stats {

inline constexpr std::array<uint64_t, 18> kBucketBoundsUs = {
    500,       1'000,      2'500,      5'000,      10'000,      25'000,
    50'000,    100'000,    250'000,    500'000,    1'000'000,   2'500'000,
    5'000'000, 10'000'000, 30'000'000, 60'000'000, 120'000'000, 300'000'000};
// Finite buckets plus +Inf.
inline constexpr size_t kBucketCount = kBucketBoundsUs.size() + 1;

// Index of the bucket that holds `us`: the number of bounds strictly below
// it. A fixed-length compare-and-add loop, which compilers unroll or
// vectorise; no data-dependent branches.
inline size_t bucketIndex(uint64_t us) {
  size_t index = 0;
  for (uint64_t bound : kBucketBoundsUs) index += us > bound ? 1 : 0;
  return index;
}

// Steady-clock durations (nanoseconds) to whole microseconds, truncating;
// negative durations (a clock misuse) count as zero rather than as 584942 years.
inline uint64_t toMicros(std::chrono::nanoseconds d) {
  int64_t ns = d.count();
  return ns > 0 ? static_cast<uint64_t>(ns) / 1000 : 0;
}

// One worker's view of one histogram. Per-bucket (not cumulative) counts;
// the count is their sum, so there is no separate total to keep in step.
struct HistogramShard {
  std::array<Counter, kBucketCount> buckets;
  Counter sum_us;

  void record(uint64_t us) {
    buckets[bucketIndex(us)].add();
    sum_us.add(us);
  }
};

// A merged histogram (plain integers, owned by the reading thread).
struct HistogramData {
  std::array<uint64_t, kBucketCount> buckets{};  // per bucket, not cumulative
  uint64_t sum_us = 0;

  uint64_t count() const;
  void add(const HistogramShard& shard);
  void add(const HistogramData& other);
  // this - other, bucket by bucket (other must be an earlier reading).
  HistogramData minus(const HistogramData& other) const;
};

// Estimates the q-quantile (0 < q <= 1) in seconds by linear interpolation
// inside the bucket that holds the rank, as Prometheus' histogram_quantile()
// does: the first bucket starts at 0, and a rank in the +Inf bucket reports
// the highest finite bound. Returns a negative value when there are no samples.
double estimateQuantile(const HistogramData& h, double q);

// Microseconds as decimal seconds, exact and without trailing zeros:
// 500 -> "0.0005", 1'500'000 -> "1.5", 0 -> "0".
void appendSeconds(std::string& out, uint64_t us);

}  // namespace courier::stats
