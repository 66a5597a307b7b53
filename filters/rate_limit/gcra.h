// Token-bucket arithmetic in its GCRA form (the "generic cell rate
// algorithm" of ATM networks, as redis-cell and Stripe's limiter use it).
//
// A bucket of `burst` tokens refilling at one token per `interval` is the
// same thing as one number: the theoretical arrival time (TAT), the moment
// the bucket would be full again. A request at `now` conforms if
//   max(TAT, now) + interval - now <= burst * interval
// and then moves TAT to max(TAT, now) + interval. So a bucket is a single
// 64-bit value, updated with one compare-and-swap (local scope) or one GET
// and SET (the Redis script), and a bucket whose TAT is in the past is
// exactly a full bucket: forgetting it loses nothing. That is what lets idle
// buckets be evicted without changing any decision.
//
// Times are nanoseconds on a monotonic clock. A clock that goes backwards
// (now < last now) never mints tokens: max(TAT, now) keeps the later TAT.
#pragma once

#include <algorithm>
#include <cstdint>

namespace courier::filters::rate_limit {

struct BucketShape {
  int64_t interval_ns = 1;  // time to earn one token: per / rate (>= 1)
  int64_t capacity_ns = 1;  // burst * interval_ns: how far TAT may run ahead of now
  uint32_t burst = 1;
};

struct Decision {
  bool allowed = false;
  uint32_t remaining = 0;      // whole tokens left after this request
  int64_t retry_after_ns = 0;  // limited: wait this long for a token; allowed: 0
  int64_t reset_ns = 0;        // until the bucket is full again
  int64_t new_tat = 0;         // allowed: the TAT to store
};

inline Decision decide(int64_t tat, int64_t now, const BucketShape& shape) {
  Decision d;
  int64_t base = std::max(tat, now);
  int64_t next = base + shape.interval_ns;
  int64_t ahead = next - now;  // how far the bucket would be from full
  if (ahead > shape.capacity_ns) {
    d.retry_after_ns = ahead - shape.capacity_ns;
    d.reset_ns = base - now;
    return d;
  }
  d.allowed = true;
  d.new_tat = next;
  d.reset_ns = ahead;
  d.remaining = static_cast<uint32_t>((shape.capacity_ns - ahead) / shape.interval_ns);
  return d;
}

// Gives back the token an allowed request took (another limit of the same
// request said no). Never moves TAT before `now`: the refund cannot make a
// bucket fuller than full.
inline int64_t refund(int64_t tat, int64_t now, const BucketShape& shape) {
  return std::max(tat - shape.interval_ns, now);
}

}  // namespace courier::filters::rate_limit
