// Who the client is, for rate-limit keys: the TCP peer, unless the peer is
// a trusted proxy ([server] trusted_proxies), in which case it is the
// right-most x-forwarded-for hop that is not itself trusted. Hops to the
// left of that one were written by the client and prove nothing.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/http/header_map.h"

namespace courier::http {

// `peer` is the peer's address as text ("10.0.0.5", "::1"). Hops are taken
// from every x-forwarded-for field in order; a hop may carry a port
// ("1.2.3.4:5678", "[::1]:80"), which is dropped. A hop that is not an
// address is returned as written (trimmed): it is still the right-most
// untrusted hop. If every hop is trusted, the left-most one is the client.
std::string effectiveClientAddress(std::string_view peer, const HeaderMap& headers,
                                   std::span<const config::Cidr> trusted);

// Whether `address` (an IP literal) is inside one of `ranges`.
bool inRanges(std::string_view address, std::span<const config::Cidr> ranges);

}  // namespace courier::http
