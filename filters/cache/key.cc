// Cache keys (see key.h) and CacheKey::hex().
#include "filters/cache/key.h"

#define XXH_STATIC_LINKING_ONLY  // for XXH3_state_t on the stack
#include <xxhash.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "filters/cache/canonical_json.h"

namespace courier::filters::cache {
namespace {

// Domain tags; the version changes when the key layout does, so old Redis
// entries are simply never found again.
constexpr std::string_view kPrimaryDomain = "courier.cache.key.v1";
constexpr std::string_view kVariantDomain = "courier.cache.variant.v1";
constexpr std::string_view kJsonBodyDomain = "courier.cache.body.json.v1";
constexpr std::string_view kRawBodyDomain = "courier.cache.body.raw.v1";

std::string_view trimOws(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// XXH3-128 over length-prefixed components. A key's components (method,
// host, path, a few fields) usually fit in a small buffer, hashed in one
// call at the end; only longer input goes through XXH3's streaming state,
// which gives the same hash for the same bytes.
class KeyHasher {
 public:
  explicit KeyHasher(std::string_view domain) { addString(domain); }
  void addU64(uint64_t v) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * i));
    update(std::string_view(reinterpret_cast<const char*>(bytes), sizeof(bytes)));
  }
  void addString(std::string_view s) {
    addU64(s.size());
    update(s);
  }
  void addKey(const CacheKey& k) {
    addU64(k.high);
    addU64(k.low);
  }
  // Raw bytes; the caller has already added their total length.
  void update(std::string_view s) {
    if (s.size() <= sizeof(pending_) - pending_size_) {
      std::memcpy(pending_ + pending_size_, s.data(), s.size());
      pending_size_ += s.size();
      return;
    }
    if (!streaming_) {
      XXH3_128bits_reset(&state_);
      streaming_ = true;
    }
    XXH3_128bits_update(&state_, pending_, pending_size_);
    pending_size_ = 0;
    if (s.size() >= sizeof(pending_)) {
      XXH3_128bits_update(&state_, s.data(), s.size());
    } else {
      std::memcpy(pending_, s.data(), s.size());
      pending_size_ = s.size();
    }
  }
  // The host, ASCII-lower-cased through a small buffer, length-prefixed.
  void addLower(std::string_view s) {
    addU64(s.size());
    char chunk[128];
    while (!s.empty()) {
      size_t n = std::min(s.size(), sizeof(chunk));
      for (size_t i = 0; i < n; ++i) {
        char c = s[i];
        chunk[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
      }
      update(std::string_view(chunk, n));
      s.remove_prefix(n);
    }
  }
  // A request field: 0 if absent, else 1 and its trimmed values joined with
  // ", ", hashed piecewise so no joined copy is made.
  void addField(const http::HeaderMap* headers, std::string_view name) {
    size_t count = 0;
    size_t length = 0;
    if (headers) {
      for (const auto& f : headers->fields()) {
        if (f.name != name) continue;
        length += trimOws(f.value).size() + (count ? 2 : 0);
        ++count;
      }
    }
    addU64(count ? 1 : 0);
    if (!count) return;
    addU64(length);
    bool first = true;
    for (const auto& f : headers->fields()) {
      if (f.name != name) continue;
      if (!first) update(", ");
      first = false;
      update(trimOws(f.value));
    }
  }
  CacheKey finish() {
    XXH128_hash_t h;
    if (streaming_) {
      XXH3_128bits_update(&state_, pending_, pending_size_);
      h = XXH3_128bits_digest(&state_);
    } else {
      h = XXH3_128bits(pending_, pending_size_);
    }
    return CacheKey{h.high64, h.low64};
  }

 private:
  char pending_[512];
  size_t pending_size_ = 0;
  bool streaming_ = false;
  XXH3_state_t state_;  // set up only once the input outgrows pending_
};

// The body as one view: the first chain when it holds everything (the
// usual case), else a copy into `flat`.
std::string_view contiguous(Buffer& body, std::string& flat) {
  size_t n = body.length();
  if (n == 0) return {};
  evbuffer_iovec first;
  if (evbuffer_peek(body.raw(), -1, nullptr, &first, 1) == 1 && first.iov_len == n)
    return std::string_view(static_cast<const char*>(first.iov_base), n);
  flat = body.toString();
  return flat;
}

}  // namespace

std::string CacheKey::hex() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    out[15 - i] = kHex[(high >> (4 * i)) & 0xf];
    out[31 - i] = kHex[(low >> (4 * i)) & 0xf];
  }
  return out;
}

std::optional<CacheKey> parseCacheKeyHex(std::string_view hex) {
  if (hex.size() != 32) return std::nullopt;
  CacheKey k;
  for (uint64_t* half : {&k.high, &k.low}) {
    auto [ptr, ec] = std::from_chars(hex.data(), hex.data() + 16, *half, 16);
    if (ec != std::errc() || ptr != hex.data() + 16) return std::nullopt;
    hex.remove_prefix(16);
  }
  return k;
}

CacheKey primaryKey(const KeyInput& in) {
  KeyHasher h(kPrimaryDomain);
  h.addString(in.method == "HEAD" ? std::string_view("GET") : in.method);
  h.addLower(in.authority);
  h.addString(in.path);
  h.addU64(in.key_headers.size());
  for (const auto& name : in.key_headers) {
    h.addString(name);
    h.addField(in.headers, name);
  }
  h.addU64(in.body_hash ? 1 : 0);
  if (in.body_hash) h.addKey(*in.body_hash);
  return h.finish();
}

CacheKey variantKey(const CacheKey& primary, std::span<const std::string> vary_names,
                    const http::HeaderMap& request_headers) {
  KeyHasher h(kVariantDomain);
  h.addKey(primary);
  h.addU64(vary_names.size());
  for (const auto& name : vary_names) {
    h.addString(name);
    h.addField(&request_headers, name);
  }
  return h.finish();
}

CacheKey bodyHash(Buffer& body, BodyKeyMode mode) {
  if (mode == BodyKeyMode::CanonicalJson) {
    std::string flat;
    std::string canonical;
    if (canonicalizeJson(contiguous(body, flat), canonical)) {
      KeyHasher h(kJsonBodyDomain);
      h.addString(canonical);
      return h.finish();
    }
  }
  KeyHasher h(kRawBodyDomain);
  h.addU64(body.length());
  if (!body.empty()) {
    int chains = evbuffer_peek(body.raw(), -1, nullptr, nullptr, 0);
    std::vector<evbuffer_iovec> vec(chains > 0 ? static_cast<size_t>(chains) : 0);
    int got = evbuffer_peek(body.raw(), -1, nullptr, vec.data(), chains);
    for (int i = 0; i < got && i < chains; ++i)
      h.update(std::string_view(static_cast<const char*>(vec[i].iov_base), vec[i].iov_len));
  }
  return h.finish();
}

}  // namespace courier::filters::cache
