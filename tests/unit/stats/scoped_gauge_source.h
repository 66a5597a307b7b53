// Sets the process-wide cache gauge source for one test and unsets it after,
// so no other test in the binary sees it.
#pragma once

#include <functional>
#include <utility>

#include "proxy/stats/cache_gauges.h"

namespace courier::stats {

class ScopedGaugeSource {
 public:
  explicit ScopedGaugeSource(CacheGauges gauges) : ScopedGaugeSource([gauges] { return gauges; }) {}
  explicit ScopedGaugeSource(std::function<CacheGauges()> source) {
    setCacheGaugeSource(std::move(source));
  }
  ~ScopedGaugeSource() { setCacheGaugeSource({}); }
  ScopedGaugeSource(const ScopedGaugeSource&) = delete;
  ScopedGaugeSource& operator=(const ScopedGaugeSource&) = delete;
};

}  // namespace courier::stats
