#include "filters/rate_limit/local_buckets.h"

#include <xxhash.h>

#include <algorithm>

namespace courier::filters::rate_limit {
namespace {

// Hash-map buckets each insert sweeps: more than one, so the sweep outruns
// growth, and few, so an insert stays cheap.
constexpr size_t kSweepPerInsert = 2;
// How far a full shard looks for idle buckets, then for a victim.
constexpr size_t kSweepWhenFull = 16;
constexpr size_t kVictimCandidates = 8;

}  // namespace

LocalBuckets::LocalBuckets(BucketShape shape, bool keyed, size_t max_keys)
    : shape_(shape),
      keyed_(keyed),
      max_per_shard_(std::max<size_t>(1, (max_keys + kShards - 1) / kShards)),
      shards_(keyed ? std::make_unique<Shard[]>(kShards) : nullptr) {}

uint64_t LocalBuckets::hashKey(std::string_view key) {
  return XXH3_64bits(key.data(), key.size());
}

Decision LocalBuckets::take(uint64_t key_hash, int64_t now_ns) {
  if (!keyed_) {
    int64_t tat = single_tat_.load(std::memory_order_relaxed);
    while (true) {
      Decision d = decide(tat, now_ns, shape_);
      if (!d.allowed) return d;
      // On failure `tat` is reloaded and the decision is made again.
      if (single_tat_.compare_exchange_weak(tat, d.new_tat, std::memory_order_relaxed)) return d;
    }
  }
  Shard& shard = shardFor(key_hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.tats.find(key_hash);
  Decision d = decide(it == shard.tats.end() ? 0 : it->second, now_ns, shape_);
  if (!d.allowed) return d;  // a limited request changes nothing
  if (it != shard.tats.end()) {
    it->second = d.new_tat;
    return d;
  }
  sweep(shard, now_ns, kSweepPerInsert);
  if (shard.tats.size() >= max_per_shard_) evictForRoom(shard, now_ns);
  shard.tats.emplace(key_hash, d.new_tat);
  return d;
}

void LocalBuckets::refund(uint64_t key_hash, int64_t now_ns) {
  if (!keyed_) {
    int64_t tat = single_tat_.load(std::memory_order_relaxed);
    while (!single_tat_.compare_exchange_weak(tat, rate_limit::refund(tat, now_ns, shape_),
                                              std::memory_order_relaxed)) {
    }
    return;
  }
  Shard& shard = shardFor(key_hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.tats.find(key_hash);
  if (it != shard.tats.end()) it->second = rate_limit::refund(it->second, now_ns, shape_);
}

void LocalBuckets::sweep(Shard& shard, int64_t now_ns, size_t slots) {
  auto& map = shard.tats;
  size_t count = map.bucket_count();
  for (size_t i = 0; i < slots && !map.empty(); ++i) {
    size_t b = shard.sweep_cursor++ % count;
    for (auto it = map.begin(b); it != map.end(b);) {
      uint64_t key = it->first;
      int64_t tat = it->second;
      ++it;  // erase() below invalidates only the erased element
      if (tat <= now_ns) map.erase(key);
    }
  }
}

void LocalBuckets::evictForRoom(Shard& shard, int64_t now_ns) {
  sweep(shard, now_ns, kSweepWhenFull);
  auto& map = shard.tats;
  if (map.size() < max_per_shard_) return;
  // Still full of active buckets: drop the one nearest to full.
  size_t count = map.bucket_count();
  uint64_t victim = 0;
  int64_t victim_tat = INT64_MAX;
  size_t seen = 0;
  for (size_t i = 0; i < count && seen < kVictimCandidates; ++i) {
    size_t b = (shard.sweep_cursor + i) % count;
    for (auto it = map.begin(b); it != map.end(b) && seen < kVictimCandidates; ++it, ++seen) {
      if (it->second < victim_tat) {
        victim_tat = it->second;
        victim = it->first;
      }
    }
  }
  if (victim_tat != INT64_MAX) {
    map.erase(victim);
    cap_evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

size_t LocalBuckets::size() const {
  if (!keyed_) return 1;
  size_t n = 0;
  for (size_t i = 0; i < kShards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].tats.size();
  }
  return n;
}

}  // namespace courier::filters::rate_limit
