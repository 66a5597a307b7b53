// The explicit list of every HTTP filter courier knows (ARCHITECTURE habit
// 2: no static-initialiser self-registration, which silently drops
// factories from static links).
//
// Adding a filter: give it a folder under filters/, a parse function with
// the FilterFactory signature, a chain order below, and one line in
// registry.cc.
#pragma once

#include <span>

namespace courier::config {
struct FilterFactory;  // config/filter_factory.h
}

namespace courier::filters {

// Chain order (lower runs first on the request path, last on the response
// path). Gaps leave room; values match ARCHITECTURE's chain:
// rate_limit -> cache -> compression -> batch -> ... -> headers -> router.
inline constexpr int kRateLimitOrder = 100;
inline constexpr int kCacheOrder = 200;
inline constexpr int kCompressionOrder = 300;
inline constexpr int kBatchOrder = 400;
// Last before the router: request edits reach the origin but do not change
// rate-limit or cache keys; response edits are seen (and stored) by every
// filter above it.
inline constexpr int kHeadersOrder = 900;

// Every filter factory, for config::loadConfigFile/loadConfigString. The
// span refers to static storage: valid for the life of the process.
std::span<const config::FilterFactory> registry();

}  // namespace courier::filters
