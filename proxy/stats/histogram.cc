#include "proxy/stats/histogram.h"

#include <algorithm>

namespace courier::stats {

uint64_t HistogramData::count() const {
  uint64_t n = 0;
  for (uint64_t b : buckets) n += b;
  return n;
}

void HistogramData::add(const HistogramShard& shard) {
  for (size_t i = 0; i < kBucketCount; ++i) buckets[i] += shard.buckets[i].load();
  sum_us += shard.sum_us.load();
}

void HistogramData::add(const HistogramData& other) {
  for (size_t i = 0; i < kBucketCount; ++i) buckets[i] += other.buckets[i];
  sum_us += other.sum_us;
}

HistogramData HistogramData::minus(const HistogramData& other) const {
  // Saturating: a later reading of the same name is never lower, unless a
  // reload dropped and re-added the route; report zero then, not 2^64.
  HistogramData d;
  for (size_t i = 0; i < kBucketCount; ++i)
    d.buckets[i] = buckets[i] > other.buckets[i] ? buckets[i] - other.buckets[i] : 0;
  d.sum_us = sum_us > other.sum_us ? sum_us - other.sum_us : 0;
  return d;
}

double estimateQuantile(const HistogramData& h, double q) {
  uint64_t total = h.count();
  if (total == 0) return -1;
  q = std::clamp(q, 0.0, 1.0);
  double rank = q * static_cast<double>(total);
  uint64_t below = 0;  // samples in the buckets before i
  for (size_t i = 0; i < kBucketCount; ++i) {
    uint64_t in = h.buckets[i];
    if (in == 0 || static_cast<double>(below + in) < rank) {
      below += in;
      continue;
    }
    if (i == kBucketBoundsUs.size()) return static_cast<double>(kBucketBoundsUs.back()) / 1e6;
    double lower = i == 0 ? 0.0 : static_cast<double>(kBucketBoundsUs[i - 1]);
    double upper = static_cast<double>(kBucketBoundsUs[i]);
    double fraction = (rank - static_cast<double>(below)) / static_cast<double>(in);
    return (lower + (upper - lower) * fraction) / 1e6;
  }
  return static_cast<double>(kBucketBoundsUs.back()) / 1e6;  // not reached
}

void appendSeconds(std::string& out, uint64_t us) {
  out += std::to_string(us / 1'000'000);
  uint64_t frac = us % 1'000'000;
  if (frac == 0) return;
  char digits[7] = {};
  for (int i = 5; i >= 0; --i, frac /= 10) digits[i] = static_cast<char>('0' + frac % 10);
  int len = 6;
  while (digits[len - 1] == '0') --len;
  out += '.';
  out.append(digits, static_cast<size_t>(len));
}

}  // namespace courier::stats
