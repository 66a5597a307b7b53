// Cache keys: every component that selects a response changes the key, and
// nothing else does.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <string>
#include <utility>
#include <vector>

#include "filters/cache/key.h"

namespace courier::filters::cache {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// A request to key, with its own header map and key header list.
struct Request {
  std::string method = "GET";
  std::string authority = "api.example.com";
  std::string path = "/v1/items?page=2";
  Fields fields;
  std::vector<std::string> key_headers;
  const CacheKey* body_hash = nullptr;

  CacheKey key() const {
    http::HeaderMap headers;
    for (const auto& [n, v] : fields) headers.add(n, v);
    KeyInput in;
    in.method = method;
    in.authority = authority;
    in.path = path;
    in.headers = &headers;
    in.key_headers = key_headers;
    in.body_hash = body_hash;
    return primaryKey(in);
  }
};

CacheKey variant(const CacheKey& primary, const std::vector<std::string>& names,
                 const Fields& fields) {
  http::HeaderMap headers;
  for (const auto& [n, v] : fields) headers.add(n, v);
  return variantKey(primary, names, headers);
}

CacheKey hashBody(std::string_view body, BodyKeyMode mode) {
  Buffer b;
  b.add(body);
  return bodyHash(b, mode);
}

// The key layout is a contract with entries already in Redis (key.cc
// versions it): XXH3-128 of the domain and each component, length-prefixed
// (8 bytes, little endian). Short keys are hashed in one call, long ones
// (past the hasher's 512-byte buffer) in XXH3's streaming state; both must
// give this layout's hash.
std::string lengthPrefixed(std::string_view s) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((s.size() >> (8 * i)) & 0xff);
  return out + std::string(s);
}
std::string le64(uint64_t v) {
  std::string out;
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
  return out;
}

TEST(CacheKey, LayoutIsLengthPrefixedComponentsUnderXxh3) {
  for (size_t path_bytes : {16, 400, 511, 512, 600, 5000}) {
    Request r;
    r.method = "HEAD";  // keyed as GET
    r.authority = "API.Example.com";
    r.path = "/" + std::string(path_bytes - 1, 'p');
    r.fields = {{"authorization", " Bearer a "}, {"authorization", "b"}};
    r.key_headers = {"authorization", "x-tenant"};
    std::string bytes = lengthPrefixed("courier.cache.key.v1") + lengthPrefixed("GET") +
                        lengthPrefixed("api.example.com") + lengthPrefixed(r.path) + le64(2) +
                        lengthPrefixed("authorization") + le64(1) + lengthPrefixed("Bearer a, b") +
                        lengthPrefixed("x-tenant") + le64(0) + le64(0);
    XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
    EXPECT_EQ(r.key(), (CacheKey{h.high64, h.low64})) << path_bytes;
  }
}

TEST(CacheKey, HexIsHighThenLowInLowerCase) {
  CacheKey k{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(k.hex(), "0123456789abcdeffedcba9876543210");
  EXPECT_EQ(CacheKey{}.hex(), std::string(32, '0'));
  EXPECT_EQ((CacheKey{0, 1}).hex(), std::string(31, '0') + "1");
}

TEST(CacheKey, HexParsesBack) {
  CacheKey k{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(parseCacheKeyHex(k.hex()), k);
  EXPECT_EQ(parseCacheKeyHex(CacheKey{}.hex()), CacheKey{});
  EXPECT_EQ(parseCacheKeyHex(""), std::nullopt);
  EXPECT_EQ(parseCacheKeyHex(k.hex().substr(1)), std::nullopt);
  EXPECT_EQ(parseCacheKeyHex(k.hex() + "0"), std::nullopt);
  EXPECT_EQ(parseCacheKeyHex(std::string(31, '0') + "g"), std::nullopt);
  EXPECT_EQ(parseCacheKeyHex("-" + std::string(31, '0')), std::nullopt);
}

TEST(CacheKey, IsDeterministic) {
  Request r;
  r.fields = {{"x-tenant", "a"}};
  r.key_headers = {"x-tenant"};
  EXPECT_EQ(r.key(), r.key());
  EXPECT_NE(r.key(), CacheKey{});
}

TEST(CacheKey, MethodClass) {
  Request get, head, post;
  head.method = "HEAD";
  post.method = "POST";
  EXPECT_EQ(get.key(), head.key());
  EXPECT_NE(get.key(), post.key());
  Request lower;
  lower.method = "get";  // methods are case-sensitive tokens
  EXPECT_NE(get.key(), lower.key());
}

TEST(CacheKey, HostIsCaseInsensitive) {
  Request a, b, c, d;
  b.authority = "API.Example.COM";
  c.authority = "api.example.org";
  d.authority = "api.example.com:8080";
  EXPECT_EQ(a.key(), b.key());
  EXPECT_NE(a.key(), c.key());
  EXPECT_NE(a.key(), d.key());
  Request long_host, long_upper;  // longer than the lower-casing chunk
  long_host.authority = std::string(300, 'h') + ".example.com";
  long_upper.authority = std::string(300, 'H') + ".EXAMPLE.com";
  EXPECT_EQ(long_host.key(), long_upper.key());
}

TEST(CacheKey, PathAndQueryAsSent) {
  Request a, b, c, d, e;
  b.path = "/v1/items?page=3";
  c.path = "/v1/items";
  d.path = "/v1/Items?page=2";
  e.path = "/v1/items?page=2&";
  for (const Request* other : {&b, &c, &d, &e}) EXPECT_NE(a.key(), other->key());
  Request x, y;
  x.path = "/q?a=1&b=2";
  y.path = "/q?b=2&a=1";
  EXPECT_NE(x.key(), y.key());
}

TEST(CacheKey, EachKeyHeaderChangesKey) {
  Request base;
  base.key_headers = {"x-tenant", "accept-language"};
  base.fields = {{"x-tenant", "acme"}, {"accept-language", "en"}, {"user-agent", "curl"}};
  Request tenant = base, language = base, agent = base;
  tenant.fields[0].second = "other";
  language.fields[1].second = "de";
  agent.fields[2].second = "wget";  // not a key header
  EXPECT_NE(base.key(), tenant.key());
  EXPECT_NE(base.key(), language.key());
  EXPECT_EQ(base.key(), agent.key());
  Request unkeyed = base;  // the same request on a route without key_headers
  unkeyed.key_headers.clear();
  EXPECT_NE(base.key(), unkeyed.key());
}

TEST(CacheKey, AbsentDiffersFromEmpty) {
  Request absent, empty, blank;
  absent.key_headers = empty.key_headers = blank.key_headers = {"x-tenant"};
  empty.fields = {{"x-tenant", ""}};
  blank.fields = {{"x-tenant", "  "}};  // only OWS: present and empty
  EXPECT_NE(absent.key(), empty.key());
  EXPECT_EQ(empty.key(), blank.key());
}

TEST(CacheKey, NoHeaderMapMeansAllAbsent) {
  Request r;
  r.key_headers = {"x-tenant"};
  std::vector<std::string> names = {"x-tenant"};
  KeyInput in;
  in.method = r.method;
  in.authority = r.authority;
  in.path = r.path;
  in.key_headers = names;
  EXPECT_EQ(primaryKey(in), r.key());
}

TEST(CacheKey, SeveralFieldsJoinWithComma) {
  Request two, one, trimmed, reversed;
  two.key_headers = one.key_headers = trimmed.key_headers = reversed.key_headers = {"x-a"};
  two.fields = {{"x-a", "1"}, {"x-other", "z"}, {"x-a", "2"}};
  one.fields = {{"x-a", "1, 2"}};
  trimmed.fields = {{"x-a", " 1\t"}, {"x-a", "2 "}};
  reversed.fields = {{"x-a", "2"}, {"x-a", "1"}};
  EXPECT_EQ(two.key(), one.key());
  EXPECT_EQ(two.key(), trimmed.key());
  EXPECT_NE(two.key(), reversed.key());
}

TEST(CacheKey, BodyHashChangesKey) {
  CacheKey h1 = hashBody(R"({"q":1})", BodyKeyMode::CanonicalJson);
  CacheKey h2 = hashBody(R"({"q":2})", BodyKeyMode::CanonicalJson);
  Request none, a, b, a2;
  none.method = a.method = b.method = a2.method = "POST";
  a.body_hash = &h1;
  b.body_hash = &h2;
  a2.body_hash = &h1;
  EXPECT_NE(none.key(), a.key());
  EXPECT_NE(a.key(), b.key());
  EXPECT_EQ(a.key(), a2.key());
  CacheKey zero{};
  Request z;
  z.method = "POST";
  z.body_hash = &zero;  // even an all-zero hash is not "no body hash"
  EXPECT_NE(none.key(), z.key());
}

TEST(CacheKey, ConcatenationCannotCollide) {
  // Bytes moved from one component to the next must change the key.
  Request a, b;
  a.authority = "example.com";
  a.path = "/x";
  b.authority = "example.com/";
  b.path = "x";
  EXPECT_NE(a.key(), b.key());
  Request m1, m2;
  m1.method = "GET";
  m1.authority = "host";
  m2.method = "GETh";
  m2.authority = "ost";
  EXPECT_NE(m1.key(), m2.key());

  Request v1, v2;  // a value moved between two key headers
  v1.key_headers = v2.key_headers = {"x-a", "x-b"};
  v1.fields = {{"x-a", "1"}, {"x-b", ""}};
  v2.fields = {{"x-a", ""}, {"x-b", "1"}};
  EXPECT_NE(v1.key(), v2.key());

  Request n1, n2;  // key header names split differently
  n1.key_headers = {"x-ab"};
  n2.key_headers = {"x-a", "b"};
  EXPECT_NE(n1.key(), n2.key());

  Request p1, p2;  // a path ending like a header value
  p1.path = "/x";
  p1.key_headers = {"x-a"};
  p1.fields = {{"x-a", "yz"}};
  p2.path = "/xy";
  p2.key_headers = {"x-a"};
  p2.fields = {{"x-a", "z"}};
  EXPECT_NE(p1.key(), p2.key());
}

TEST(CacheKey, VariantKeys) {
  Request r;
  CacheKey primary = r.key();
  std::vector<std::string> vary = {"accept-encoding"};
  CacheKey gzip = variant(primary, vary, {{"accept-encoding", "gzip"}});
  EXPECT_NE(gzip, primary);
  EXPECT_EQ(gzip, variant(primary, vary, {{"accept-encoding", " gzip "}, {"x-other", "1"}}));
  EXPECT_NE(gzip, variant(primary, vary, {{"accept-encoding", "br"}}));
  EXPECT_NE(variant(primary, vary, {}), variant(primary, vary, {{"accept-encoding", ""}}));
  EXPECT_EQ(variant(primary, vary, {{"accept-encoding", "gzip"}, {"accept-encoding", "br"}}),
            variant(primary, vary, {{"accept-encoding", "gzip, br"}}));

  Request other;
  other.path = "/elsewhere";
  EXPECT_NE(gzip, variant(other.key(), vary, {{"accept-encoding", "gzip"}}));

  // Two vary names: each value counts, and a value cannot move between them.
  std::vector<std::string> two = {"accept-encoding", "accept-language"};
  Fields both = {{"accept-encoding", "gzip"}, {"accept-language", "en"}};
  EXPECT_NE(variant(primary, two, both),
            variant(primary, two, {{"accept-encoding", "gzip"}, {"accept-language", "de"}}));
  EXPECT_NE(variant(primary, two, {{"accept-encoding", "x"}, {"accept-language", ""}}),
            variant(primary, two, {{"accept-encoding", ""}, {"accept-language", "x"}}));
  EXPECT_NE(variant(primary, two, both), variant(primary, vary, both));
  // No vary names still differs from the primary key (a different domain).
  EXPECT_NE(variant(primary, {}, {}), primary);
}

TEST(CacheKey, JsonBodyIgnoresWhitespaceAndKeyOrder) {
  auto mode = BodyKeyMode::CanonicalJson;
  CacheKey a = hashBody(R"({"model":"m","input":[1,2],"opts":{"t":0.5,"k":1}})", mode);
  CacheKey b = hashBody(
      "{ \"opts\": {\"k\": 1.0, \"t\": 0.5},\n \"input\": [1, 2], \"model\": \"m\" }", mode);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, hashBody(R"({"model":"m","input":[2,1],"opts":{"t":0.5,"k":1}})", mode));
  EXPECT_NE(a, hashBody(R"({"model":"n","input":[1,2],"opts":{"t":0.5,"k":1}})", mode));
}

TEST(CacheKey, RawBodyKeepsBytes) {
  auto mode = BodyKeyMode::Raw;
  EXPECT_NE(hashBody(R"({"a":1,"b":2})", mode), hashBody(R"({"b":2,"a":1})", mode));
  EXPECT_NE(hashBody(R"({"a":1})", mode), hashBody(R"({ "a":1})", mode));
  EXPECT_EQ(hashBody(R"({"a":1})", mode), hashBody(R"({"a":1})", mode));
}

TEST(CacheKey, JsonAndRawHashesAreSeparate) {
  // The canonical form hashed as JSON never equals the same bytes hashed raw.
  std::string canonical = R"({"a":1})";
  EXPECT_NE(hashBody(canonical, BodyKeyMode::CanonicalJson), hashBody(canonical, BodyKeyMode::Raw));
  // A body that is not JSON falls back to its raw bytes, whatever the mode.
  EXPECT_EQ(hashBody("a=1&b=2", BodyKeyMode::CanonicalJson), hashBody("a=1&b=2", BodyKeyMode::Raw));
  EXPECT_EQ(hashBody("", BodyKeyMode::CanonicalJson), hashBody("", BodyKeyMode::Raw));
  EXPECT_NE(hashBody("{", BodyKeyMode::Raw), hashBody("{ ", BodyKeyMode::Raw));
}

TEST(CacheKey, BodyHashReadsChainsWithoutDraining) {
  std::string json = R"({"b":[1,2,3],"a":"x"})";
  for (auto mode : {BodyKeyMode::CanonicalJson, BodyKeyMode::Raw}) {
    // Buffers moved onto another keep their own chains: a body in pieces.
    Buffer body;
    for (size_t i = 0; i < json.size(); i += 5) {
      Buffer piece;
      piece.add(std::string_view(json).substr(i, 5));
      body.move(piece);
    }
    ASSERT_GT(evbuffer_peek(body.raw(), -1, nullptr, nullptr, 0), 1);
    EXPECT_EQ(bodyHash(body, mode), hashBody(json, mode));
    EXPECT_EQ(body.toString(), json);
  }
  Buffer empty;
  EXPECT_EQ(bodyHash(empty, BodyKeyMode::Raw), hashBody("", BodyKeyMode::Raw));
}

}  // namespace
}  // namespace courier::filters::cache
