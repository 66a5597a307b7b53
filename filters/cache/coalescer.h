// Coalescing: concurrent misses for one key send one upstream request.
//
// The first miss leads: it goes upstream and publishes the response into a
// Fill as it arrives. Later misses for the key (on any worker) wait on the
// Fill and stream its body to their own clients, each at its own pace,
// from the chunks the Fill keeps (they are kept anyway: the complete body
// becomes the cache entry, bounded by max_object_bytes).
//
// If the response turns out not storable before any byte of it was shared
// (no-store, too large by Content-Length, an error status), the Fill is
// abandoned and each waiter goes upstream on its own. If it fails later
// (the origin reset it, or it grew past max_object_bytes), waiters that
// already started answering are reset; the others go upstream.
//
// Threading: a Fill is shared by the leader's worker and the waiters'
// workers; its state is behind one mutex. Waiters are woken by a closure
// posted to their own worker's Dispatcher, never called across threads.
#pragma once

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "filters/cache/entry.h"

namespace courier::event {
class Dispatcher;
}

namespace courier::filters::cache {

class Fill {
 public:
  enum class State { Pending, Streaming, Complete, Abandoned, Failed };
  using Chunk = std::shared_ptr<const std::string>;

  // A waiting stream. `wake` runs on `dispatcher`'s thread after the Fill
  // changes; the waiter clears `alive` (on its thread) when it goes.
  struct Waiter {
    event::Dispatcher* dispatcher = nullptr;
    std::function<void()> wake;
    bool alive = true;                     // waiter's thread only
    std::atomic<bool> wake_posted{false};  // one wake in flight at a time
  };

  // ---- Waiters (any thread) -------------------------------------------------
  void addWaiter(std::shared_ptr<Waiter> waiter);
  void removeWaiter(const Waiter* waiter);

  // What a waiter reads: the state, the response head (status and fields,
  // no body) once known, and chunks from index `from` on (appended to `out`).
  struct Snapshot {
    State state = State::Pending;
    std::shared_ptr<const CachedEntry> head;
    CacheKey stored_key;  // the variant the response is stored under (Vary)
    size_t chunk_count = 0;
  };
  Snapshot snapshot(size_t from, std::vector<Chunk>& out) const;

  // ---- The leader (its worker) ----------------------------------------------
  void setHead(std::shared_ptr<const CachedEntry> head, const CacheKey& stored_key);
  void append(Chunk chunk);
  void complete();
  void abandon();
  void fail();
  size_t waiterCount() const;

 private:
  void setState(State s);
  void wakeAllLocked();

  mutable std::mutex mutex_;
  State state_ = State::Pending;
  std::shared_ptr<const CachedEntry> head_;
  CacheKey stored_key_;
  std::vector<Chunk> chunks_;
  std::vector<std::shared_ptr<Waiter>> waiters_;
};

struct CacheKeyHash {
  size_t operator()(const CacheKey& k) const { return k.low; }
};

// Keys whose background refresh (stale-while-revalidate) is under way, so
// a stale entry is refreshed once however many requests see it stale.
// A refresh that never reports back (its request never reached the cache
// filter) expires, so the key is not blocked for good. Refreshes are rare
// (one per stale entry), so one lock is enough.
class RefreshSet {
 public:
  static constexpr int64_t kExpireMs = 60'000;
  // True if the caller should start the refresh (none is running).
  bool tryBegin(const CacheKey& key, int64_t now_ms);
  void end(const CacheKey& key);

 private:
  std::mutex mutex_;
  std::unordered_map<CacheKey, int64_t, CacheKeyHash> started_;  // key -> start time
};

// Fills in flight, by key; sharded so workers missing on different keys do
// not contend. Thread-safe.
class CoalesceTable {
 public:
  // The Fill for `key`: a new one (and *leader = true) if none is in
  // flight, else the existing one (*leader = false).
  std::shared_ptr<Fill> join(const CacheKey& key, bool* leader);
  // The leader is done with `fill` (complete, abandoned or failed): new
  // misses for `key` no longer join it.
  void remove(const CacheKey& key, const Fill* fill);
  size_t size() const;

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<CacheKey, std::shared_ptr<Fill>, CacheKeyHash> fills;
  };
  static constexpr size_t kShards = 16;
  Shard& shardFor(const CacheKey& key) { return shards_[key.high % kShards]; }
  std::array<Shard, kShards> shards_;
};

}  // namespace courier::filters::cache
