// MemoryStore: the L1 cache layer, one per process, shared by every worker
// thread and the admin thread.
//
// Entries are spread over N shards by `key.low`; each shard has its own
// mutex, a chained hash index from key to node and an intrusive LRU list,
// and evicts within itself. Workers only meet when two requests hash to the
// same shard at the same moment, and the critical sections are a hash lookup
// and a few pointer moves: nodes are allocated before the lock and freed,
// with the entries they release (which may be megabytes), after it.
//
// Shard count: as many as make each shard hold at least kMinObjectsPerShard
// max-size objects (a shard that holds only one or two would be flushed by
// every large insert and stop being an LRU), at most kMaxShards (enough that
// a few workers rarely collide), rounded down to a power of two. It is fixed
// at construction: setCapacity() only changes the byte bounds.
//
// What capacity counts per entry: CachedEntry::byteSize() + kEntryOverhead.
// Eviction is plain LRU (no admission policy).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "filters/cache/entry.h"

namespace courier::filters::cache {

class MemoryStore {
 public:
  using EntryPtr = std::shared_ptr<const CachedEntry>;

  // The store's own heap per entry: one node holding the key, the LRU and
  // hash-chain links, the shared_ptr, the keep-until time and the charge (72
  // bytes, an 80-byte glibc chunk) plus one to two bucket pointers (load
  // factor <= 1, doubling): at most 96. Measured with glibc: 88-94 from 10k
  // to 2M entries (the BytesPerEntry test checks 1M).
  static constexpr size_t kEntryOverhead = 96;
  static constexpr size_t kMaxShards = 16;
  static constexpr size_t kMinObjectsPerShard = 4;

  // capacity_bytes: [cache] memory_bytes. max_object_bytes: the largest
  // byteSize() accepted.
  MemoryStore(size_t capacity_bytes, size_t max_object_bytes);
  ~MemoryStore();
  MemoryStore(const MemoryStore&) = delete;
  MemoryStore& operator=(const MemoryStore&) = delete;

  // The entry under `key`, or nullptr. An entry whose keep-until time has
  // come (now_ms >= keep_until_ms) is removed here and counted as expired.
  // A hit marks the entry most recently used.
  EntryPtr find(const CacheKey& key, int64_t now_ms);
  // Stores `entry` under `key`, replacing any entry there, and evicts the
  // shard's least recently used entries to make room. Returns false and
  // stores nothing when the entry is larger than max_object_bytes or than a
  // shard holds; the entry previously under `key` is then dropped too, since
  // the caller meant to replace it.
  bool insert(const CacheKey& key, EntryPtr entry, int64_t keep_until_ms);
  bool erase(const CacheKey& key);

  // POST /cache/purge. Each returns how many entries went. Vary markers
  // carry their primary's path, so path and prefix purges take them too;
  // they carry no tags, and a marker left without variants costs one miss.
  size_t purgePath(std::string_view path);
  size_t purgePrefix(std::string_view prefix);
  size_t purgeTag(std::string_view tag);
  size_t clear();

  // A reload changed [cache]: evicts down to the new capacity now.
  void setCapacity(size_t capacity_bytes, size_t max_object_bytes);

  // Lock-free sums of per-shard counters.
  size_t bytes() const;
  size_t entries() const;
  uint64_t evictions() const;    // removed to make room
  uint64_t expirations() const;  // removed by find() at keep-until
  size_t capacity() const { return capacity_.load(std::memory_order_relaxed); }
  size_t shardCount() const { return shard_count_; }

  // What capacity counts for `entry`.
  static size_t chargeOf(const CachedEntry& entry) { return entry.byteSize() + kEntryOverhead; }
  static size_t shardCountFor(size_t capacity_bytes, size_t max_object_bytes);

 private:
  struct Shard;

  Shard& shardFor(const CacheKey& key);
  // Removes the entries `pred` selects from every shard, one lock at a time.
  template <class Pred>
  size_t purgeIf(Pred pred);

  const size_t shard_count_;
  std::atomic<size_t> capacity_;
  std::atomic<size_t> max_object_;
  std::atomic<size_t> shard_capacity_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace courier::filters::cache
