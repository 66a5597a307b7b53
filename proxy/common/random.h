// FastRandom: SplitMix64, a small, fast, well-distributed generator for
// values that must be unique and unguessable by accident, not by an
// attacker (request ids). Seeded from the OS. Not thread-safe: one per worker.
#pragma once

#include <cstdint>
#include <random>

namespace courier {

class FastRandom {
 public:
  FastRandom() : state_((uint64_t{std::random_device{}()} << 32) ^ std::random_device{}()) {}
  explicit FastRandom(uint64_t seed) : state_(seed) {}

  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

}  // namespace courier
