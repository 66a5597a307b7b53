// Process-wide gauges of the memory cache layer (courier_cache_bytes,
// _entries, _capacity_bytes, courier_cache_evictions_total and
// _expirations_total). The layer is one store shared by every worker and
// lives in filters/, which stats must not depend on, so main registers a
// callback that reads it; StatsStore::snapshot() calls it at each scrape.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

namespace courier::stats {

struct CacheGauges {
  uint64_t memory_bytes = 0;     // bytes the stored entries take
  uint64_t memory_entries = 0;   // entries stored
  uint64_t memory_capacity = 0;  // the configured byte budget
  uint64_t evictions = 0;        // total: entries dropped to make room
  uint64_t expirations = 0;      // total: entries dropped because they expired
};

// Set once by main at startup; an empty function unsets. The source runs on
// whichever thread takes a snapshot (the admin thread), while workers run,
// so it must read its store thread-safely; it must not call back into this
// file. Once setCacheGaugeSource() returns, the previous source is never
// called again, so unset it before what it captures goes away.
void setCacheGaugeSource(std::function<CacheGauges()> source);

// The source's reading, or nothing when no source is set.
std::optional<CacheGauges> readCacheGauges();

}  // namespace courier::stats
