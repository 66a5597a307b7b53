#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "filters/cache/cache_control.h"

namespace courier::filters::cache {
namespace {

CacheControl parse(std::initializer_list<std::string_view> values, bool request) {
  http::HeaderMap headers;
  for (std::string_view v : values) headers.add("cache-control", v);
  return parseCacheControl(headers, request);
}
CacheControl response(std::string_view value) {
  return parse({value}, false);
}
CacheControl request(std::string_view value) {
  return parse({value}, true);
}

TEST(CacheControlParse, EmptyMeansNothing) {
  http::HeaderMap none;
  CacheControl cc = parseCacheControl(none, false);
  EXPECT_FALSE(cc.no_store || cc.no_cache || cc.private_ || cc.public_ || cc.must_revalidate ||
               cc.proxy_revalidate || cc.no_transform || cc.only_if_cached || cc.immutable ||
               cc.max_stale);
  EXPECT_FALSE(cc.max_age_s || cc.s_maxage_s || cc.min_fresh_s || cc.stale_while_revalidate_s ||
               cc.stale_if_error_s || cc.max_stale_s);
}

// Response directives (RFC 9111 §5.2.2, RFC 5861).
TEST(CacheControlResponse, MaxAge) {
  EXPECT_EQ(response("max-age=60").max_age_s, 60);
}
TEST(CacheControlResponse, SMaxage) {
  EXPECT_EQ(response("s-maxage=30").s_maxage_s, 30);
}
TEST(CacheControlResponse, NoStore) {
  EXPECT_TRUE(response("no-store").no_store);
}
TEST(CacheControlResponse, NoCache) {
  EXPECT_TRUE(response("no-cache").no_cache);
}
TEST(CacheControlResponse, QualifiedNoCacheCountsAsNoCache) {
  EXPECT_TRUE(response("no-cache=\"set-cookie, x-foo\", max-age=5").no_cache);
  EXPECT_EQ(response("no-cache=\"set-cookie, x-foo\", max-age=5").max_age_s, 5);
}
TEST(CacheControlResponse, Private) {
  EXPECT_TRUE(response("private").private_);
}
TEST(CacheControlResponse, QualifiedPrivateCountsAsPrivate) {
  EXPECT_TRUE(response("private=\"x-user\"").private_);
}
TEST(CacheControlResponse, Public) {
  EXPECT_TRUE(response("public").public_);
}
TEST(CacheControlResponse, MustRevalidate) {
  EXPECT_TRUE(response("must-revalidate").must_revalidate);
}
TEST(CacheControlResponse, ProxyRevalidate) {
  EXPECT_TRUE(response("proxy-revalidate").proxy_revalidate);
}
TEST(CacheControlResponse, NoTransform) {
  EXPECT_TRUE(response("no-transform").no_transform);
}
TEST(CacheControlResponse, Immutable) {
  EXPECT_TRUE(response("immutable").immutable);
}
TEST(CacheControlResponse, StaleWhileRevalidate) {
  EXPECT_EQ(response("max-age=1, stale-while-revalidate=59").stale_while_revalidate_s, 59);
}
TEST(CacheControlResponse, StaleIfError) {
  EXPECT_EQ(response("max-age=1, stale-if-error=600").stale_if_error_s, 600);
}
TEST(CacheControlResponse, InvalidDeltaSecondsMeansZero) {
  EXPECT_EQ(response("max-age=abc").max_age_s, 0);
  EXPECT_EQ(response("max-age=-1").max_age_s, 0);
  EXPECT_EQ(response("max-age=1.5").max_age_s, 0);
  EXPECT_EQ(response("max-age=").max_age_s, 0);
  EXPECT_EQ(response("max-age").max_age_s, 0);
  EXPECT_EQ(response("s-maxage=x").s_maxage_s, 0);
  EXPECT_EQ(response("stale-while-revalidate=x").stale_while_revalidate_s, 0);
}
TEST(CacheControlResponse, OverflowSaturatesAtTwoToThe31) {
  EXPECT_EQ(response("max-age=99999999999999999999999999").max_age_s, kMaxDeltaSeconds);
  EXPECT_EQ(response("max-age=2147483648").max_age_s, kMaxDeltaSeconds);
  EXPECT_EQ(response("max-age=2147483647").max_age_s, 2147483647);
}
TEST(CacheControlResponse, PragmaIsIgnoredOnResponses) {
  http::HeaderMap headers;
  headers.add("pragma", "no-cache");
  EXPECT_FALSE(parseCacheControl(headers, false).no_cache);
}

// Request directives (RFC 9111 §5.2.1).
TEST(CacheControlRequest, MaxAge) {
  EXPECT_EQ(request("max-age=0").max_age_s, 0);
}
TEST(CacheControlRequest, MaxStaleWithoutValueMeansAny) {
  CacheControl cc = request("max-stale");
  EXPECT_TRUE(cc.max_stale);
  EXPECT_FALSE(cc.max_stale_s);
}
TEST(CacheControlRequest, MaxStaleWithValue) {
  CacheControl cc = request("max-stale=30");
  EXPECT_TRUE(cc.max_stale);
  EXPECT_EQ(cc.max_stale_s, 30);
}
TEST(CacheControlRequest, MinFresh) {
  EXPECT_EQ(request("min-fresh=10").min_fresh_s, 10);
}
TEST(CacheControlRequest, NoCache) {
  EXPECT_TRUE(request("no-cache").no_cache);
}
TEST(CacheControlRequest, NoStore) {
  EXPECT_TRUE(request("no-store").no_store);
}
TEST(CacheControlRequest, NoTransform) {
  EXPECT_TRUE(request("no-transform").no_transform);
}
TEST(CacheControlRequest, OnlyIfCached) {
  EXPECT_TRUE(request("only-if-cached").only_if_cached);
}
TEST(CacheControlRequest, StaleIfError) {
  EXPECT_EQ(request("stale-if-error=120").stale_if_error_s, 120);
}
TEST(CacheControlRequest, InvalidDeltaSecondsIsIgnored) {
  EXPECT_FALSE(request("max-age=abc").max_age_s);
  EXPECT_FALSE(request("min-fresh=-3").min_fresh_s);
  CacheControl cc = request("max-stale=soon");
  EXPECT_FALSE(cc.max_stale);
  EXPECT_FALSE(cc.max_stale_s);
}
TEST(CacheControlRequest, PragmaNoCacheWithoutCacheControl) {
  http::HeaderMap headers;
  headers.add("Pragma", "No-Cache");
  EXPECT_TRUE(parseCacheControl(headers, true).no_cache);
}
TEST(CacheControlRequest, CacheControlOverridesPragma) {
  http::HeaderMap headers;
  headers.add("pragma", "no-cache");
  headers.add("cache-control", "max-age=10");
  CacheControl cc = parseCacheControl(headers, true);
  EXPECT_FALSE(cc.no_cache);
  EXPECT_EQ(cc.max_age_s, 10);
}

// Syntax.
TEST(CacheControlSyntax, NamesAreCaseInsensitive) {
  CacheControl cc = response("No-Store, MAX-AGE=7, S-MaxAge=3");
  EXPECT_TRUE(cc.no_store);
  EXPECT_EQ(cc.max_age_s, 7);
  EXPECT_EQ(cc.s_maxage_s, 3);
}
TEST(CacheControlSyntax, QuotedValues) {
  EXPECT_EQ(response("max-age=\"60\"").max_age_s, 60);
  EXPECT_EQ(response("max-age=\"\\6\\0\"").max_age_s, 60);
  EXPECT_EQ(response("max-age=\"6 0\"").max_age_s, 0);
}
TEST(CacheControlSyntax, QuotedCommasDoNotSplitDirectives) {
  CacheControl cc = response("private=\"a, no-store, b\", max-age=9");
  EXPECT_TRUE(cc.private_);
  EXPECT_FALSE(cc.no_store);
  EXPECT_EQ(cc.max_age_s, 9);
}
TEST(CacheControlSyntax, JoinsEveryField) {
  CacheControl cc = parse({"public", "max-age=5", "stale-if-error=7"}, false);
  EXPECT_TRUE(cc.public_);
  EXPECT_EQ(cc.max_age_s, 5);
  EXPECT_EQ(cc.stale_if_error_s, 7);
}
TEST(CacheControlSyntax, UnknownDirectivesAreIgnored) {
  CacheControl cc = response("community=\"UCI\", x-foo, max-age=4, bar=baz");
  EXPECT_EQ(cc.max_age_s, 4);
  EXPECT_FALSE(cc.no_store);
}
TEST(CacheControlSyntax, WhitespaceAndEmptyItems) {
  CacheControl cc = response(" ,, max-age = 12 ,\tno-cache ,");
  EXPECT_EQ(cc.max_age_s, 12);
  EXPECT_TRUE(cc.no_cache);
}
TEST(CacheControlSyntax, JunkDoesNotHideLaterDirectives) {
  CacheControl cc = response("@@@, max-age=3 trailing, no-store");
  EXPECT_EQ(cc.max_age_s, 3);
  EXPECT_TRUE(cc.no_store);
}
TEST(CacheControlSyntax, UnterminatedQuoteEndsTheField) {
  CacheControl cc = parse({"private=\"abc, no-store", "max-age=2"}, false);
  EXPECT_TRUE(cc.private_);
  EXPECT_FALSE(cc.no_store);
  EXPECT_EQ(cc.max_age_s, 2);
}
TEST(CacheControlSyntax, DuplicatesKeepTheStricterValue) {
  EXPECT_EQ(response("max-age=60, max-age=10").max_age_s, 10);
  EXPECT_EQ(parse({"max-age=10", "max-age=60"}, false).max_age_s, 10);
  EXPECT_EQ(request("min-fresh=5, min-fresh=20").min_fresh_s, 20);
  EXPECT_EQ(request("max-stale, max-stale=5").max_stale_s, 5);
}

TEST(CacheControlDeltaSeconds, Parses) {
  EXPECT_EQ(parseDeltaSeconds("0"), 0);
  EXPECT_EQ(parseDeltaSeconds("0042"), 42);
  EXPECT_FALSE(parseDeltaSeconds(""));
  EXPECT_FALSE(parseDeltaSeconds(" 1"));
  EXPECT_FALSE(parseDeltaSeconds("+1"));
  EXPECT_EQ(parseDeltaSeconds("18446744073709551616"), kMaxDeltaSeconds);
}

}  // namespace
}  // namespace courier::filters::cache
