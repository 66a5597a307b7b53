// Cache keys: the XXH3-128 hash of what selects a stored response (SPEC §4
// "Cache"): the method class, host, path and query, the route's key_headers,
// for POST a hash of the body, and (for a response with Vary) the request
// fields it varies on.
//
// Every component is fed to the hash length-prefixed (8 bytes, little
// endian) after a versioned domain tag, so no two different inputs can give
// the same byte stream by shifting bytes between components, and primary,
// variant and body hashes can never be confused with one another.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "filters/cache/entry.h"
#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"

namespace courier::filters::cache {

// How a POST body enters the key (the route's body_key).
enum class BodyKeyMode { CanonicalJson, Raw };

struct KeyInput {
  std::string_view method;                   // HEAD keys as GET (the "method class")
  std::string_view authority;                // host[:port]; lower-cased for the key
  std::string_view path;                     // path and query, as sent
  const http::HeaderMap* headers = nullptr;  // request fields (nullptr: none)
  std::span<const std::string> key_headers;  // lower-case names from the route
  const CacheKey* body_hash = nullptr;       // POST: bodyHash(); nullptr otherwise
};

// The key a request looks up first. For each key header, its fields'
// OWS-trimmed values joined with ", " (in request order); a header that is
// absent keys differently from one that is present but empty.
CacheKey primaryKey(const KeyInput& in);

// The key a response with Vary is stored under: the primary key plus each
// named request field's value (OWS-trimmed, several fields joined with ", ";
// absent distinct from empty), in the order of `vary_names`: callers use the
// vary marker's list for both storing and looking up, so the order agrees.
// Vary: * is not cacheable and never reaches here.
CacheKey variantKey(const CacheKey& primary, std::span<const std::string> vary_names,
                    const http::HeaderMap& request_headers);

// Hash of a request body, read without draining it. CanonicalJson: over
// canonicalizeJson(body) when the body is valid JSON, else (and in Raw mode)
// over the raw bytes; the two are domain-separated, so a raw body never
// hashes like a canonical one.
CacheKey bodyHash(Buffer& body, BodyKeyMode mode);

// The key CacheKey::hex() printed, or nullopt if `hex` is not 32 hex digits.
std::optional<CacheKey> parseCacheKeyHex(std::string_view hex);

}  // namespace courier::filters::cache
