// LocalBuckets: one limit's token buckets for the whole process, shared by
// every worker, so the budget is exact however requests spread over
// workers (no per-worker split).
//
// - A limit keyed by "route" has one bucket: a single atomic TAT updated
//   with compare-and-swap, lock-free.
// - Keyed limits (client_ip, header:<name>) hash the key with XXH3 into one
//   of 64 shards, each a small hash map under its own mutex: workers only
//   meet when two requests hash to the same shard at the same moment, and
//   the critical section is a lookup and a few arithmetic operations. Keys
//   are stored as their 64-bit hash, never as text (header keys are often
//   API keys: secrets do not sit in memory longer than the request).
// - Idle buckets go: a bucket whose TAT has passed is full, and a missing
//   bucket behaves exactly like a full one (see gcra.h), so every insert
//   also sweeps a couple of hash slots and drops such buckets. A hard cap
//   (`max_keys`) bounds memory when more keys are active at once than that;
//   then the bucket closest to full among a few candidates is dropped,
//   which at worst gives that key a fresh bucket.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include "filters/rate_limit/gcra.h"

namespace courier::filters::rate_limit {

class LocalBuckets {
 public:
  static constexpr size_t kShards = 64;

  // keyed = false: one bucket for the limit (key = "route").
  LocalBuckets(BucketShape shape, bool keyed, size_t max_keys);
  LocalBuckets(const LocalBuckets&) = delete;
  LocalBuckets& operator=(const LocalBuckets&) = delete;

  // Decides for the key's bucket and takes a token if allowed. `key_hash` is
  // ignored when the limit is not keyed. Any thread.
  Decision take(uint64_t key_hash, int64_t now_ns);
  // Returns a token taken by take() (see gcra.h refund()).
  void refund(uint64_t key_hash, int64_t now_ns);

  const BucketShape& shape() const { return shape_; }
  bool keyed() const { return keyed_; }
  // Buckets held now (keyed limits); locks each shard in turn: tests and
  // diagnostics only.
  size_t size() const;
  // Buckets dropped by the hard cap (not idle ones) so far.
  uint64_t capEvictions() const { return cap_evictions_.load(std::memory_order_relaxed); }

  static uint64_t hashKey(std::string_view key);

 private:
  struct alignas(64) Shard {
    mutable std::mutex mu;
    std::unordered_map<uint64_t, int64_t> tats;  // key hash -> TAT
    size_t sweep_cursor = 0;                     // next hash-map bucket to sweep
  };

  Shard& shardFor(uint64_t key_hash) { return shards_[key_hash % kShards]; }
  // Drops full buckets from up to `slots` hash-map buckets after the cursor.
  static void sweep(Shard& shard, int64_t now_ns, size_t slots);
  void evictForRoom(Shard& shard, int64_t now_ns);

  const BucketShape shape_;
  const bool keyed_;
  const size_t max_per_shard_;
  alignas(64) std::atomic<int64_t> single_tat_{0};
  alignas(64) std::atomic<uint64_t> cap_evictions_{0};
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace courier::filters::rate_limit
