// The error codes of courier's own replies (SPEC §4 "Errors"), counted as
// courier_local_replies_total{error}. The names are the JSON `error` values.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace courier::stats {

enum class LocalReply : uint8_t {
  NoRoute,
  RateLimited,
  CircuitOpen,
  UpstreamTimeout,
  UpstreamUnavailable,
  BadGateway,
  BadRequest,
  PayloadTooLarge,
  HeadersTooLarge,
  RequestTimeout,  // 408: the request head did not arrive in time
  NotImplemented,  // 501: e.g. an unknown transfer-coding
  Internal,        // a bug or resource exhaustion in courier itself
};

inline constexpr std::array<std::string_view, 12> kLocalReplyNames = {
    "no_route",         "rate_limited",         "circuit_open",
    "upstream_timeout", "upstream_unavailable", "bad_gateway",
    "bad_request",      "payload_too_large",    "headers_too_large",
    "request_timeout",  "not_implemented",      "internal"};
inline constexpr size_t kLocalReplyCount = kLocalReplyNames.size();
static_assert(static_cast<size_t>(LocalReply::Internal) + 1 == kLocalReplyCount);

inline std::string_view localReplyName(LocalReply r) {
  return kLocalReplyNames[static_cast<size_t>(r)];
}

}  // namespace courier::stats
