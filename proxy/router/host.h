// Host helpers for route matching. Pure functions on string_views; nothing
// allocates.
#pragma once

#include <string_view>

namespace courier::router {

// The host part of an authority: "Example.com:8080" -> "Example.com",
// "[::1]:80" -> "[::1]", "example.com." -> "example.com" (one trailing dot,
// the DNS root, is dropped: it names the same host). Case is kept; compare
// with hostEquals().
std::string_view hostWithoutPort(std::string_view authority);

// ASCII case-insensitive compare of a request host against a lower-case
// configured host.
bool hostEquals(std::string_view lower_pattern, std::string_view host);

// Does `host` match `lower_pattern`? A pattern "*.example.com" matches any
// subdomain at any depth ("a.example.com", "a.b.example.com") but not
// "example.com" itself, as in TLS certificates and Envoy; list both to
// accept both. "*" matches every host. Anything else is an exact match.
bool hostMatches(std::string_view lower_pattern, std::string_view host);

}  // namespace courier::router
