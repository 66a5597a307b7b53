#include "filters/cache/memory_store.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

namespace courier::filters::cache {
namespace {

using EntryPtr = MemoryStore::EntryPtr;

// One stored entry. Nodes are allocated before a shard lock is taken and
// deleted after it is released: no malloc or free inside the critical
// sections (glibc's free of another thread's chunk takes that arena's lock).
struct Node {
  CacheKey key;
  EntryPtr entry;
  int64_t keep_until_ms = 0;
  size_t charge = 0;
  Node* prev = nullptr;   // LRU list, towards the most recently used
  Node* next = nullptr;   // LRU list, towards the next victim; the dead list
  Node* chain = nullptr;  // the next node in the same hash bucket
};

// Nodes taken out under a shard lock, linked through `next`. Declare one
// before the lock guard so that it is destroyed after the unlock: the last
// reference to an entry may free megabytes.
class Graveyard {
 public:
  Graveyard() = default;
  Graveyard(const Graveyard&) = delete;
  Graveyard& operator=(const Graveyard&) = delete;
  ~Graveyard() {
    while (head_) delete std::exchange(head_, head_->next);
  }
  void bury(Node* n) { n->next = std::exchange(head_, n); }
  void buryList(Node* list) {  // a whole LRU list, which links through `next` too
    while (list) bury(std::exchange(list, list->next));
  }

 private:
  Node* head_ = nullptr;
};

// A chained hash table of the shard's nodes, keyed by `key.high` (`key.low`
// picked the shard, so the two choices are independent; keys are XXH3-128).
// Only the bucket array is allocated here, when it doubles (under the lock,
// amortised; it shrinks only on clear()); a lookup reads one bucket and the
// nodes chained in it.
class Index {
 public:
  Node* find(const CacheKey& key) const {
    for (Node* n = buckets_[slot(key)]; n; n = n->chain)
      if (n->key == key) return n;
    return nullptr;
  }
  void add(Node* n) {                      // n->key is not in the table
    if (size_ >= buckets_.size()) grow();  // load factor <= 1
    Node*& head = buckets_[slot(n->key)];
    n->chain = std::exchange(head, n);
    ++size_;
  }
  void remove(Node* n) {
    Node** p = &buckets_[slot(n->key)];
    while (*p != n) p = &(*p)->chain;
    *p = n->chain;
    --size_;
  }
  // Empties the table; the old bucket array goes to `old` (to free later).
  void reset(std::vector<Node*>& old) {
    old.swap(buckets_);
    buckets_.assign(kInitialBuckets, nullptr);
    size_ = 0;
  }

 private:
  static constexpr size_t kInitialBuckets = 16;

  size_t slot(const CacheKey& key) const { return key.high & (buckets_.size() - 1); }
  void grow() {
    std::vector<Node*> old(buckets_.size() * 2, nullptr);
    old.swap(buckets_);
    for (Node* n : old) {
      while (n) {
        Node* next = n->chain;
        Node*& head = buckets_[slot(n->key)];
        n->chain = std::exchange(head, n);
        n = next;
      }
    }
  }

  std::vector<Node*> buckets_ = std::vector<Node*>(kInitialBuckets, nullptr);
  size_t size_ = 0;
};

// Counters written only under the shard lock (load + store, no RMW) and
// read lock-free.
void add(std::atomic<size_t>& a, size_t n) {
  a.store(a.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
void sub(std::atomic<size_t>& a, size_t n) {
  a.store(a.load(std::memory_order_relaxed) - n, std::memory_order_relaxed);
}
void bump(std::atomic<uint64_t>& a) {
  a.store(a.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}

bool hasTag(const CachedEntry& entry, std::string_view tag) {
  return std::find(entry.tags.begin(), entry.tags.end(), tag) != entry.tags.end();
}

}  // namespace

struct alignas(64) MemoryStore::Shard {
  std::mutex mu;
  Index index;
  Node* head = nullptr;  // most recently used
  Node* tail = nullptr;  // next to evict
  std::atomic<size_t> bytes{0};
  std::atomic<size_t> entries{0};
  std::atomic<uint64_t> evictions{0};
  std::atomic<uint64_t> expirations{0};

  ~Shard() { Graveyard().buryList(head); }

  void linkFront(Node* n) {
    n->prev = nullptr;
    n->next = std::exchange(head, n);
    (n->next ? n->next->prev : tail) = n;
  }
  void unlink(Node* n) {
    (n->prev ? n->prev->next : head) = n->next;
    (n->next ? n->next->prev : tail) = n->prev;
  }
  void adopt(Node* n) {
    index.add(n);
    linkFront(n);
    add(bytes, n->charge);
    add(entries, 1);
  }
  void remove(Node* n, Graveyard& dead) {
    unlink(n);
    index.remove(n);
    sub(bytes, n->charge);
    sub(entries, 1);
    dead.bury(n);
  }
  void evictTo(size_t limit, Graveyard& dead) {
    while (tail && bytes.load(std::memory_order_relaxed) > limit) {
      remove(tail, dead);
      bump(evictions);
    }
  }
};

size_t MemoryStore::shardCountFor(size_t capacity_bytes, size_t max_object_bytes) {
  // The per-entry overhead is left out: at the sizes where it would matter
  // there is one shard anyway, and 256 MiB / 8 MiB (the defaults) gets 8.
  size_t fit = capacity_bytes / kMinObjectsPerShard / std::max<size_t>(max_object_bytes, 1);
  size_t n = 1;
  while (n * 2 <= std::min(fit, kMaxShards)) n *= 2;
  return n;
}

MemoryStore::MemoryStore(size_t capacity_bytes, size_t max_object_bytes)
    : shard_count_(shardCountFor(capacity_bytes, max_object_bytes)),
      capacity_(capacity_bytes),
      max_object_(max_object_bytes),
      shard_capacity_(capacity_bytes / shard_count_),
      shards_(std::make_unique<Shard[]>(shard_count_)) {}

MemoryStore::~MemoryStore() = default;

MemoryStore::Shard& MemoryStore::shardFor(const CacheKey& key) {
  return shards_[key.low & (shard_count_ - 1)];
}

MemoryStore::EntryPtr MemoryStore::find(const CacheKey& key, int64_t now_ms) {
  Shard& shard = shardFor(key);
  Graveyard dead;
  std::lock_guard lock(shard.mu);
  Node* n = shard.index.find(key);
  if (!n) return nullptr;
  if (now_ms >= n->keep_until_ms) {
    shard.remove(n, dead);
    bump(shard.expirations);
    return nullptr;
  }
  if (shard.head != n) {
    shard.unlink(n);
    shard.linkFront(n);
  }
  return n->entry;
}

bool MemoryStore::insert(const CacheKey& key, EntryPtr entry, int64_t keep_until_ms) {
  if (!entry) return false;
  const size_t size = entry->byteSize();  // walks the fields: outside the lock
  auto node = std::make_unique<Node>();
  node->key = key;
  node->entry = std::move(entry);
  node->keep_until_ms = keep_until_ms;
  node->charge = size + kEntryOverhead;
  Shard& shard = shardFor(key);
  Graveyard dead;  // after `node`: a refused node is freed after the unlock
  std::lock_guard lock(shard.mu);
  const size_t limit = shard_capacity_.load(std::memory_order_relaxed);
  Node* old = shard.index.find(key);
  if (old) shard.remove(old, dead);  // replaced, or dropped if refused below
  if (size > max_object_.load(std::memory_order_relaxed) || node->charge > limit) return false;
  // Room first, then the new charge, so bytes() never reads above capacity.
  shard.evictTo(limit - node->charge, dead);
  shard.adopt(node.release());
  return true;
}

bool MemoryStore::erase(const CacheKey& key) {
  Shard& shard = shardFor(key);
  Graveyard dead;
  std::lock_guard lock(shard.mu);
  Node* n = shard.index.find(key);
  if (!n) return false;
  shard.remove(n, dead);
  return true;
}

template <class Pred>
size_t MemoryStore::purgeIf(Pred pred) {
  size_t removed = 0;
  for (size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    Graveyard dead;
    std::lock_guard lock(shard.mu);
    for (Node* n = shard.head; n;) {
      Node* next = n->next;  // remove() relinks n into `dead`
      if (pred(*n->entry)) {
        shard.remove(n, dead);
        ++removed;
      }
      n = next;
    }
  }
  return removed;
}

size_t MemoryStore::purgePath(std::string_view path) {
  return purgeIf([path](const CachedEntry& e) { return e.path == path; });
}

size_t MemoryStore::purgePrefix(std::string_view prefix) {
  return purgeIf([prefix](const CachedEntry& e) { return e.path.starts_with(prefix); });
}

size_t MemoryStore::purgeTag(std::string_view tag) {
  return purgeIf([tag](const CachedEntry& e) { return hasTag(e, tag); });
}

size_t MemoryStore::clear() {
  size_t removed = 0;
  for (size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    Graveyard dead;
    std::vector<Node*> old_buckets;  // freed after the unlock too
    std::lock_guard lock(shard.mu);
    removed += shard.entries.load(std::memory_order_relaxed);
    dead.buryList(std::exchange(shard.head, nullptr));
    shard.tail = nullptr;
    shard.index.reset(old_buckets);
    shard.bytes.store(0, std::memory_order_relaxed);
    shard.entries.store(0, std::memory_order_relaxed);
  }
  return removed;
}

void MemoryStore::setCapacity(size_t capacity_bytes, size_t max_object_bytes) {
  const size_t limit = capacity_bytes / shard_count_;
  capacity_.store(capacity_bytes, std::memory_order_relaxed);
  max_object_.store(max_object_bytes, std::memory_order_relaxed);
  // An insert that locks a shard after this pass sees the new limit (the
  // mutex orders it); one before it is trimmed by the pass.
  shard_capacity_.store(limit, std::memory_order_relaxed);
  for (size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    Graveyard dead;
    std::lock_guard lock(shard.mu);
    shard.evictTo(limit, dead);
  }
}

size_t MemoryStore::bytes() const {
  size_t n = 0;
  for (size_t i = 0; i < shard_count_; ++i) n += shards_[i].bytes.load(std::memory_order_relaxed);
  return n;
}

size_t MemoryStore::entries() const {
  size_t n = 0;
  for (size_t i = 0; i < shard_count_; ++i) n += shards_[i].entries.load(std::memory_order_relaxed);
  return n;
}

uint64_t MemoryStore::evictions() const {
  uint64_t n = 0;
  for (size_t i = 0; i < shard_count_; ++i)
    n += shards_[i].evictions.load(std::memory_order_relaxed);
  return n;
}

uint64_t MemoryStore::expirations() const {
  uint64_t n = 0;
  for (size_t i = 0; i < shard_count_; ++i)
    n += shards_[i].expirations.load(std::memory_order_relaxed);
  return n;
}

}  // namespace courier::filters::cache
