// Counter and Gauge: one writer thread, any number of reader threads.
//
// The writer (the worker that owns the shard) does a relaxed load and a
// relaxed store, never a read-modify-write: with a single writer no update
// can be lost, and a plain `mov` costs nothing next to a `lock xadd`.
// Readers (the admin thread, at scrape) use relaxed loads; a scrape is a
// snapshot of counters that may each be a few events apart, which is all
// Prometheus assumes.
//
// The value is a plain integer reached through std::atomic_ref rather than a
// std::atomic member. That keeps both types trivial, so a shard's route
// blocks can come from calloc: pages of routes that never see traffic stay
// untouched zero pages and cost no RSS (the spec's idle RSS budget).
// Value-initialise a Counter or Gauge that does not live in calloc'd memory
// (`Counter c{};`).
#pragma once

#include <atomic>
#include <cstdint>
#include <type_traits>

namespace courier::stats {

class Counter {
 public:
  // Writer thread only.
  void add(uint64_t n = 1) {
    std::atomic_ref<uint64_t> v(v_);
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Any thread.
  uint64_t load() const { return std::atomic_ref<uint64_t>(v_).load(std::memory_order_relaxed); }

 private:
  // No initialiser: a default member initialiser would make the type
  // non-trivial (see the file comment). `mutable` because atomic_ref<const T>
  // only arrives in C++26.
  alignas(std::atomic_ref<uint64_t>::required_alignment) mutable uint64_t v_;
};

// A signed level (active connections, active requests). Increments and
// decrements of one quantity come from the same writer thread; the merged
// sum over all shards is the true level.
class Gauge {
 public:
  void add(int64_t n) {
    std::atomic_ref<int64_t> v(v_);
    v.store(v.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void inc() { add(1); }
  void dec() { add(-1); }
  int64_t load() const { return std::atomic_ref<int64_t>(v_).load(std::memory_order_relaxed); }

 private:
  alignas(std::atomic_ref<int64_t>::required_alignment) mutable int64_t v_;
};

static_assert(std::is_trivial_v<Counter> && std::is_trivial_v<Gauge>,
              "shards are calloc'd; see the file comment");

}  // namespace courier::stats
