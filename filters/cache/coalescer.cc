#include "filters/cache/coalescer.h"

#include <algorithm>

#include "proxy/event/dispatcher.h"

namespace courier::filters::cache {

void Fill::addWaiter(std::shared_ptr<Waiter> waiter) {
  std::lock_guard lock(mutex_);
  waiters_.push_back(std::move(waiter));
  // Already past Pending: the waiter must look now, nothing else will wake it.
  if (state_ != State::Pending) wakeAllLocked();
}

void Fill::removeWaiter(const Waiter* waiter) {
  std::lock_guard lock(mutex_);
  std::erase_if(waiters_, [&](const auto& w) { return w.get() == waiter; });
}

Fill::Snapshot Fill::snapshot(size_t from, std::vector<Chunk>& out) const {
  std::lock_guard lock(mutex_);
  for (size_t i = from; i < chunks_.size(); ++i) out.push_back(chunks_[i]);
  return Snapshot{state_, head_, stored_key_, chunks_.size()};
}

void Fill::setHead(std::shared_ptr<const CachedEntry> head, const CacheKey& stored_key) {
  std::lock_guard lock(mutex_);
  head_ = std::move(head);
  stored_key_ = stored_key;
  state_ = State::Streaming;
  wakeAllLocked();
}

void Fill::append(Chunk chunk) {
  std::lock_guard lock(mutex_);
  chunks_.push_back(std::move(chunk));
  wakeAllLocked();
}

void Fill::complete() {
  setState(State::Complete);
}
void Fill::abandon() {
  setState(State::Abandoned);
}
void Fill::fail() {
  setState(State::Failed);
}

size_t Fill::waiterCount() const {
  std::lock_guard lock(mutex_);
  return waiters_.size();
}

void Fill::setState(State s) {
  std::lock_guard lock(mutex_);
  if (state_ == State::Complete || state_ == State::Abandoned || state_ == State::Failed) return;
  state_ = s;
  wakeAllLocked();
}

void Fill::wakeAllLocked() {
  for (const auto& w : waiters_) {
    // A waiter with a wake already queued will see this change too.
    if (w->wake_posted.exchange(true, std::memory_order_acq_rel)) continue;
    w->dispatcher->post([w] {
      w->wake_posted.store(false, std::memory_order_release);
      if (w->alive) w->wake();
    });
  }
}

bool RefreshSet::tryBegin(const CacheKey& key, int64_t now_ms) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = started_.try_emplace(key, now_ms);
  if (inserted) return true;
  if (now_ms - it->second < kExpireMs) return false;
  it->second = now_ms;
  return true;
}

void RefreshSet::end(const CacheKey& key) {
  std::lock_guard lock(mutex_);
  started_.erase(key);
}

std::shared_ptr<Fill> CoalesceTable::join(const CacheKey& key, bool* leader) {
  Shard& shard = shardFor(key);
  std::lock_guard lock(shard.mutex);
  auto [it, inserted] = shard.fills.try_emplace(key);
  if (inserted) it->second = std::make_shared<Fill>();
  *leader = inserted;
  return it->second;
}

void CoalesceTable::remove(const CacheKey& key, const Fill* fill) {
  Shard& shard = shardFor(key);
  std::lock_guard lock(shard.mutex);
  auto it = shard.fills.find(key);
  if (it != shard.fills.end() && it->second.get() == fill) shard.fills.erase(it);
}

size_t CoalesceTable::size() const {
  size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.fills.size();
  }
  return n;
}

}  // namespace courier::filters::cache
