#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>
#include <utility>

#include "filters/cache/cache_control.h"
#include "filters/cache/http_date.h"
#include "filters/cache/policy.h"

namespace courier::filters::cache {
namespace {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

constexpr int64_t kSecond = 1000;
constexpr int64_t kT0 = 784111777 * kSecond;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kDate0 = "Sun, 06 Nov 1994 08:49:37 GMT";
std::string dateAt(int64_t ms) {
  return formatHttpDate(ms / kSecond);
}

// One request/response exchange and the entry decideStore fills from it.
struct Exchange {
  http::RequestHeaders req;
  http::ResponseHeaders resp;
  RoutePolicy route;
  CachedEntry entry;

  Exchange(Fields response_fields, int status = 200) {
    req.method = "GET";
    req.path = "/a";
    resp.status = status;
    for (const auto& [name, value] : response_fields) resp.headers.add(name, value);
  }
  Exchange& requestField(std::string_view name, std::string_view value) {
    req.headers.add(name, value);
    return *this;
  }
  StoreDecision store(int64_t request_time_ms = kT0, int64_t response_time_ms = kT0) {
    return decideStore(req, parseCacheControl(req.headers, true), resp,
                       parseCacheControl(resp.headers, false), route, request_time_ms,
                       response_time_ms, entry);
  }
};

// A stored entry as of kT0 (age 0 then) with the given freshness and windows.
CachedEntry storedEntry(int64_t freshness_ms, int64_t swr_ms = 0, int64_t sie_ms = 0) {
  CachedEntry e;
  e.request_time_ms = kT0;
  e.response_time_ms = kT0;
  e.freshness_lifetime_ms = freshness_ms;
  e.stale_while_revalidate_ms = swr_ms;
  e.stale_if_error_ms = sie_ms;
  return e;
}

CacheControl requestCc(std::string_view value) {
  http::HeaderMap h;
  h.add("cache-control", value);
  return parseCacheControl(h, true);
}

// ---- storability (RFC 9111 §3) ----

TEST(CachePolicyStore, PlainMaxAgeIsStored) {
  Exchange ex({{"cache-control", "max-age=60"}, {"content-type", "text/plain"}});
  StoreDecision d = ex.store();
  EXPECT_TRUE(d.store);
  EXPECT_EQ(d.reason, "stored");
  EXPECT_EQ(ex.entry.status, 200);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 60 * kSecond);
  ASSERT_NE(ex.entry.header("content-type"), nullptr);
  EXPECT_EQ(*ex.entry.header("content-type"), "text/plain");
}

TEST(CachePolicyStore, ResponseNoStore) {
  Exchange ex({{"cache-control", "no-store, max-age=60"}});
  EXPECT_EQ(ex.store().reason, "no-store");
  EXPECT_FALSE(ex.store().store);
}

TEST(CachePolicyStore, RequestNoStore) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ex.requestField("cache-control", "no-store");
  EXPECT_EQ(ex.store().reason, "no-store");
}

TEST(CachePolicyStore, Private) {
  Exchange ex({{"cache-control", "private, max-age=60"}});
  EXPECT_EQ(ex.store().reason, "private");
}

TEST(CachePolicyStore, QualifiedPrivateIsNotStored) {
  Exchange ex({{"cache-control", "private=\"x-user\", max-age=60"}});
  EXPECT_EQ(ex.store().reason, "private");
}

TEST(CachePolicyStore, InformationalAndPartialAndNotModifiedNever) {
  for (int status : {100, 101, 206, 304}) {
    Exchange ex({{"cache-control", "public, max-age=60"}}, status);
    EXPECT_EQ(ex.store().reason, "status") << status;
  }
}

TEST(CachePolicyStore, ExplicitFreshnessAllowsAnyFinalStatus) {
  for (int status : {201, 302, 307, 400, 500, 503}) {
    Exchange ex({{"cache-control", "max-age=60"}}, status);
    EXPECT_TRUE(ex.store().store) << status;
    EXPECT_EQ(ex.entry.status, status);
  }
}

TEST(CachePolicyStore, ExpiresCountsAsExplicitFreshness) {
  Exchange ex({{"date", kDate0}, {"expires", dateAt(kT0 + 30 * kSecond)}}, 302);
  EXPECT_TRUE(ex.store().store);
}

TEST(CachePolicyStore, PublicCountsAsExplicitFreshnessAndUsesRouteTtl) {
  Exchange ex({{"cache-control", "public"}}, 500);
  ex.route.ttl_ms = 5 * kSecond;
  EXPECT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 5 * kSecond);
}

TEST(CachePolicyStore, RouteTtlForHeuristicallyCacheableStatuses) {
  for (int status : {200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501}) {
    Exchange ex({}, status);
    ex.route.ttl_ms = 10 * kSecond;
    EXPECT_TRUE(ex.store().store) << status;
    EXPECT_EQ(ex.entry.freshness_lifetime_ms, 10 * kSecond) << status;
  }
}

TEST(CachePolicyStore, OtherStatusesWithoutExplicitFreshnessAreNotStored) {
  for (int status : {201, 302, 303, 307, 400, 403, 500, 502, 503}) {
    Exchange ex({}, status);
    ex.route.ttl_ms = 10 * kSecond;
    EXPECT_EQ(ex.store().reason, "status") << status;
  }
}

TEST(CachePolicyStore, VaryStar) {
  Exchange ex({{"cache-control", "max-age=60"}, {"vary", "accept-encoding, *"}});
  EXPECT_EQ(ex.store().reason, "vary-star");
}

TEST(CachePolicyStore, SetCookieRefusedUnlessRouteAllows) {
  Exchange refused({{"cache-control", "max-age=60"}, {"set-cookie", "a=1"}});
  EXPECT_EQ(refused.store().reason, "set-cookie");

  Exchange allowed({{"cache-control", "max-age=60"}, {"set-cookie", "a=1"}});
  allowed.route.allow_set_cookie = true;
  EXPECT_TRUE(allowed.store().store);
  ASSERT_NE(allowed.entry.header("set-cookie"), nullptr);
  EXPECT_EQ(*allowed.entry.header("set-cookie"), "a=1");
}

TEST(CachePolicyStore, AuthorizationRefusedWhenNotInKey) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ex.requestField("authorization", "Bearer t");
  EXPECT_EQ(ex.store().reason, "authorization");
}

TEST(CachePolicyStore, AuthorizationAllowedWhenInKey) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ex.requestField("authorization", "Bearer t");
  ex.route.authorization_in_key = true;
  EXPECT_TRUE(ex.store().store);
}

TEST(CachePolicyStore, AuthorizationAllowedByPublicSMaxageOrMustRevalidate) {
  for (const char* cc : {"public, max-age=60", "s-maxage=60", "must-revalidate, max-age=60"}) {
    Exchange ex({{"cache-control", cc}});
    ex.requestField("authorization", "Bearer t");
    EXPECT_TRUE(ex.store().store) << cc;
  }
}

TEST(CachePolicyStore, NoFreshnessWithoutValidatorsIsNotWorthStoring) {
  Exchange ex({{"cache-control", "max-age=0"}});
  EXPECT_EQ(ex.store().reason, "no-freshness");
}

TEST(CachePolicyStore, NoFreshnessWithValidatorIsStoredForRevalidation) {
  Exchange etag({{"cache-control", "max-age=0"}, {"etag", "\"v1\""}});
  EXPECT_TRUE(etag.store().store);
  Exchange last_modified({{"cache-control", "max-age=0"}, {"last-modified", kDate0}});
  EXPECT_TRUE(last_modified.store().store);
}

TEST(CachePolicyStore, NoFreshnessWithStaleWindowIsStored) {
  Exchange ex({{"cache-control", "max-age=0, stale-if-error=60"}});
  EXPECT_TRUE(ex.store().store);
}

TEST(CachePolicyStore, ArrivingAlreadyStaleWithoutValidatorsIsNotWorthStoring) {
  Exchange ex({{"cache-control", "max-age=60"}, {"age", "100"}});
  EXPECT_EQ(ex.store().reason, "no-freshness");
}

TEST(CachePolicyStore, ResponseNoCacheIsStoredButMarked) {
  Exchange ex({{"cache-control", "no-cache, max-age=60"}, {"etag", "\"v1\""}});
  EXPECT_TRUE(ex.store().store);
  EXPECT_TRUE(ex.entry.no_cache);
  EXPECT_FALSE(ex.entry.isFresh(kT0));
}

TEST(CachePolicyStore, ResponseNoCacheWithoutValidatorIsNotWorthStoring) {
  Exchange ex({{"cache-control", "no-cache, max-age=60"}});
  EXPECT_EQ(ex.store().reason, "no-freshness");
}

TEST(CachePolicyStore, ResponseNoCacheForbidsStaleWindows) {
  Exchange ex({{"cache-control", "no-cache, stale-while-revalidate=9"}, {"etag", "\"v\""}});
  ex.route.stale_if_error_ms = 5 * kSecond;
  EXPECT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.stale_while_revalidate_ms, 0);
  EXPECT_EQ(ex.entry.stale_if_error_ms, 0);
}

TEST(CachePolicyStore, MustRevalidateZeroesStaleWindows) {
  for (const char* cc :
       {"max-age=60, must-revalidate", "max-age=60, proxy-revalidate", "s-maxage=60"}) {
    Exchange ex({{"cache-control", cc}});
    ex.route.stale_while_revalidate_ms = 10 * kSecond;
    ex.route.stale_if_error_ms = 10 * kSecond;
    ASSERT_TRUE(ex.store().store) << cc;
    EXPECT_TRUE(ex.entry.must_revalidate) << cc;
    EXPECT_EQ(ex.entry.stale_while_revalidate_ms, 0) << cc;
    EXPECT_EQ(ex.entry.stale_if_error_ms, 0) << cc;
  }
}

TEST(CachePolicyStore, StaleWindowsComeFromTheRoute) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ex.route.stale_while_revalidate_ms = 7 * kSecond;
  ex.route.stale_if_error_ms = 9 * kSecond;
  ASSERT_TRUE(ex.store().store);
  EXPECT_FALSE(ex.entry.must_revalidate);
  EXPECT_EQ(ex.entry.stale_while_revalidate_ms, 7 * kSecond);
  EXPECT_EQ(ex.entry.stale_if_error_ms, 9 * kSecond);
}

TEST(CachePolicyStore, ResponseStaleDirectivesOverrideTheRoute) {
  Exchange ex({{"cache-control", "max-age=60, stale-while-revalidate=30, stale-if-error=0"}});
  ex.route.stale_while_revalidate_ms = 7 * kSecond;
  ex.route.stale_if_error_ms = 9 * kSecond;
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.stale_while_revalidate_ms, 30 * kSecond);
  EXPECT_EQ(ex.entry.stale_if_error_ms, 0);
}

TEST(CachePolicyStore, TagsAreSplitTrimmedAndDeduplicated) {
  Exchange ex({{"cache-control", "max-age=60"},
               {"cache-tag", " product-1, shelf  product-1 "},
               {"cache-tag", "shelf,,home"}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.tags, (std::vector<std::string>{"product-1", "shelf", "home"}));
}

TEST(CachePolicyStore, VaryNamesAreLowerCasedDeduplicatedAndSorted) {
  Exchange ex({{"cache-control", "max-age=60"},
               {"vary", "Accept-Encoding, X-Tenant"},
               {"vary", " accept-encoding ,Accept-Language,"}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.vary,
            (std::vector<std::string>{"accept-encoding", "accept-language", "x-tenant"}));
}

TEST(CachePolicyStore, LeavesBodyAndPathAlone) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ex.entry.body = "kept";
  ex.entry.path = "/kept";
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.body.view(), "kept");
  EXPECT_EQ(ex.entry.path, "/kept");
}

TEST(CachePolicyStore, AddsDateWhenTheOriginSentNone) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ASSERT_TRUE(ex.store(kT0, kT0 + 1500).store);
  ASSERT_NE(ex.entry.header("date"), nullptr);
  EXPECT_EQ(*ex.entry.header("date"), dateAt(kT0 + 1000));
}

TEST(CachePolicyStore, KeepsTheOriginsDate) {
  Exchange ex({{"cache-control", "max-age=60"}, {"date", kDate0}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.headers.size(), 2u);
  EXPECT_EQ(*ex.entry.header("date"), kDate0);
}

// ---- freshness lifetime (RFC 9111 §4.2.1) ----

TEST(CachePolicyFreshness, SMaxageBeatsMaxAge) {
  Exchange ex({{"cache-control", "max-age=60, s-maxage=30"}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 30 * kSecond);
}

TEST(CachePolicyFreshness, MaxAgeBeatsExpires) {
  Exchange ex({{"cache-control", "max-age=60"},
               {"date", kDate0},
               {"expires", dateAt(kT0 + 3600 * kSecond)}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 60 * kSecond);
}

TEST(CachePolicyFreshness, ExpiresMinusDate) {
  // The origin's clock is 100 s behind ours: Expires - Date ignores the skew.
  Exchange ex({{"date", dateAt(kT0 - 100 * kSecond)}, {"expires", dateAt(kT0 + 200 * kSecond)}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 300 * kSecond);
}

TEST(CachePolicyFreshness, ExpiresWithoutDateUsesTheResponseTime) {
  Exchange ex({{"expires", dateAt(kT0 + 90 * kSecond)}});
  ASSERT_TRUE(ex.store(kT0, kT0).store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 90 * kSecond);
}

TEST(CachePolicyFreshness, ExpiresInThePastMeansStale) {
  Exchange ex({{"date", kDate0}, {"expires", dateAt(kT0 - 10 * kSecond)}, {"etag", "\"e\""}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 0);
}

TEST(CachePolicyFreshness, InvalidExpiresMeansStaleEvenWithRouteTtl) {
  Exchange ex({{"date", kDate0}, {"expires", "0"}, {"etag", "\"e\""}});
  ex.route.ttl_ms = 60 * kSecond;
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 0);
}

TEST(CachePolicyFreshness, DisagreeingExpiresFieldsMeanStale) {
  Exchange ex({{"date", kDate0},
               {"expires", dateAt(kT0 + 60 * kSecond)},
               {"expires", dateAt(kT0 + 90 * kSecond)},
               {"etag", "\"e\""}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 0);
}

TEST(CachePolicyFreshness, InvalidMaxAgeMeansStale) {
  Exchange ex({{"cache-control", "max-age=soon"}, {"etag", "\"e\""}});
  ex.route.ttl_ms = 60 * kSecond;
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 0);
}

TEST(CachePolicyFreshness, RouteTtlWhenTheOriginGivesNone) {
  Exchange ex({{"date", kDate0}});
  ex.route.ttl_ms = 42 * kSecond;
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, 42 * kSecond);
}

TEST(CachePolicyFreshness, HugeMaxAgeSaturates) {
  Exchange ex({{"cache-control", "max-age=999999999999999"}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.freshness_lifetime_ms, kMaxDeltaSeconds * kSecond);
}

// ---- age (RFC 9111 §4.2.3) ----

TEST(CachePolicyAge, ZeroWithoutDateAgeOrDelay) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 0);
}

TEST(CachePolicyAge, ResponseDelayCounts) {
  Exchange ex({{"cache-control", "max-age=60"}});
  ASSERT_TRUE(ex.store(kT0, kT0 + 1500).store);
  EXPECT_EQ(ex.entry.request_time_ms, kT0);
  EXPECT_EQ(ex.entry.response_time_ms, kT0 + 1500);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 1500);
}

TEST(CachePolicyAge, ApparentAgeFromDate) {
  Exchange ex({{"cache-control", "max-age=60"}, {"date", dateAt(kT0 - 10 * kSecond)}});
  ASSERT_TRUE(ex.store(kT0, kT0).store);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 10 * kSecond);
}

TEST(CachePolicyAge, AgeFieldPlusResponseDelay) {
  Exchange ex({{"cache-control", "max-age=60"}, {"date", kDate0}, {"age", "30"}});
  ASSERT_TRUE(ex.store(kT0 - 2 * kSecond, kT0).store);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 32 * kSecond);
}

TEST(CachePolicyAge, LargerOfApparentAndCorrectedAge) {
  Exchange ex(
      {{"cache-control", "max-age=60"}, {"date", dateAt(kT0 - 20 * kSecond)}, {"age", "5"}});
  ASSERT_TRUE(ex.store(kT0, kT0).store);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 20 * kSecond);
}

TEST(CachePolicyAge, DateInTheFutureGivesNoApparentAge) {
  Exchange ex({{"cache-control", "max-age=60"}, {"date", dateAt(kT0 + 50 * kSecond)}});
  ASSERT_TRUE(ex.store(kT0, kT0).store);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 0);
}

TEST(CachePolicyAge, InvalidAgeIsIgnored) {
  Exchange ex({{"cache-control", "max-age=60"}, {"age", "-5"}});
  ASSERT_TRUE(ex.store(kT0, kT0).store);
  EXPECT_EQ(ex.entry.corrected_initial_age_ms, 0);
}

TEST(CachePolicyAge, CurrentAgeGrowsWhileStored) {
  Exchange ex({{"cache-control", "max-age=60"}, {"age", "10"}});
  ASSERT_TRUE(ex.store(kT0, kT0).store);
  EXPECT_EQ(ex.entry.currentAgeMs(kT0 + 5 * kSecond), 15 * kSecond);
  EXPECT_TRUE(ex.entry.isFresh(kT0 + 49 * kSecond));
  EXPECT_FALSE(ex.entry.isFresh(kT0 + 50 * kSecond));
}

// ---- copyStorableFields ----

TEST(CachePolicyStorableFields, DropsHopByHopAgeXCacheAndSetCookie) {
  http::HeaderMap h;
  for (const char* name :
       {"connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade",
        "trailer", "age", "x-cache", "set-cookie"})
    h.add(name, "x");
  h.add("content-type", "text/html");
  CachedEntry e;
  copyStorableFields(h, false, e);
  ASSERT_EQ(e.headers.size(), 1u);
  EXPECT_EQ(e.headers[0].first, "content-type");
}

TEST(CachePolicyStorableFields, DropsFieldsNamedInConnection) {
  http::HeaderMap h;
  h.add("connection", "X-Private-Hop, close");
  h.add("x-private-hop", "1");
  h.add("x-kept", "2");
  CachedEntry e;
  copyStorableFields(h, false, e);
  ASSERT_EQ(e.headers.size(), 1u);
  EXPECT_EQ(e.headers[0].first, "x-kept");
}

TEST(CachePolicyStorableFields, KeepsSetCookieWhenAsked) {
  http::HeaderMap h;
  h.add("set-cookie", "a=1");
  h.add("set-cookie", "b=2");
  CachedEntry e;
  copyStorableFields(h, true, e);
  EXPECT_EQ(e.headers.size(), 2u);
}

TEST(CachePolicyStorableFields, KeepsOrderAndDuplicatesAndReplacesOldFields) {
  http::HeaderMap h;
  h.add("Link", "<a>");
  h.add("content-length", "5");
  h.add("link", "<b>");
  CachedEntry e;
  e.headers.emplace_back("stale", "x");
  copyStorableFields(h, false, e);
  using Field = std::pair<std::string, std::string>;
  EXPECT_EQ(e.headers,
            (std::vector<Field>{{"link", "<a>"}, {"content-length", "5"}, {"link", "<b>"}}));
}

// ---- classify (RFC 9111 §4.2, §5.2.1) ----

TEST(CachePolicyClassify, FreshWithinLifetime) {
  CachedEntry e = storedEntry(60 * kSecond);
  EXPECT_EQ(classify(e, {}, kT0 + 59 * kSecond), Usability::Fresh);
}

TEST(CachePolicyClassify, StaleBeyondWindowsRevalidates) {
  CachedEntry e = storedEntry(60 * kSecond, 10 * kSecond);
  EXPECT_EQ(classify(e, {}, kT0 + 60 * kSecond + 10 * kSecond), Usability::Revalidate);
}

TEST(CachePolicyClassify, StaleWithinSwrWindow) {
  CachedEntry e = storedEntry(60 * kSecond, 10 * kSecond);
  EXPECT_EQ(classify(e, {}, kT0 + 60 * kSecond), Usability::StaleWhileRevalidate);
  EXPECT_EQ(classify(e, {}, kT0 + 69 * kSecond), Usability::StaleWhileRevalidate);
}

TEST(CachePolicyClassify, MaxStaleWithoutValueServesAnyStaleness) {
  CachedEntry e = storedEntry(60 * kSecond);
  EXPECT_EQ(classify(e, requestCc("max-stale"), kT0 + 3600 * kSecond), Usability::ServeStale);
}

TEST(CachePolicyClassify, MaxStaleWithValueBoundsStaleness) {
  CachedEntry e = storedEntry(60 * kSecond);
  CacheControl cc = requestCc("max-stale=30");
  EXPECT_EQ(classify(e, cc, kT0 + 90 * kSecond), Usability::ServeStale);
  EXPECT_EQ(classify(e, cc, kT0 + 91 * kSecond), Usability::Revalidate);
}

TEST(CachePolicyClassify, SwrWinsOverMaxStale) {
  CachedEntry e = storedEntry(60 * kSecond, 10 * kSecond);
  EXPECT_EQ(classify(e, requestCc("max-stale"), kT0 + 65 * kSecond),
            Usability::StaleWhileRevalidate);
}

TEST(CachePolicyClassify, MustRevalidateIgnoresMaxStale) {
  CachedEntry e = storedEntry(60 * kSecond);
  e.must_revalidate = true;
  EXPECT_EQ(classify(e, requestCc("max-stale"), kT0 + 61 * kSecond), Usability::Revalidate);
  EXPECT_EQ(classify(e, requestCc("max-stale"), kT0 + 59 * kSecond), Usability::Fresh);
}

TEST(CachePolicyClassify, EntryNoCacheAlwaysRevalidates) {
  CachedEntry e = storedEntry(60 * kSecond);
  e.no_cache = true;
  EXPECT_EQ(classify(e, {}, kT0), Usability::Revalidate);
}

TEST(CachePolicyClassify, RequestNoCacheRevalidates) {
  CachedEntry e = storedEntry(60 * kSecond);
  EXPECT_EQ(classify(e, requestCc("no-cache"), kT0), Usability::Revalidate);
}

TEST(CachePolicyClassify, RequestPragmaNoCacheRevalidates) {
  http::HeaderMap h;
  h.add("pragma", "no-cache");
  CachedEntry e = storedEntry(60 * kSecond);
  EXPECT_EQ(classify(e, parseCacheControl(h, true), kT0), Usability::Revalidate);
}

TEST(CachePolicyClassify, RequestMaxAgeExceededRevalidates) {
  CachedEntry e = storedEntry(60 * kSecond);
  CacheControl cc = requestCc("max-age=10");
  EXPECT_EQ(classify(e, cc, kT0 + 10 * kSecond), Usability::Fresh);
  EXPECT_EQ(classify(e, cc, kT0 + 11 * kSecond), Usability::Revalidate);
}

TEST(CachePolicyClassify, RequestMaxAgeZeroRevalidatesAnAgedEntry) {
  CachedEntry e = storedEntry(60 * kSecond);
  EXPECT_EQ(classify(e, requestCc("max-age=0"), kT0 + 1), Usability::Revalidate);
}

TEST(CachePolicyClassify, MinFreshNotMetRevalidates) {
  CachedEntry e = storedEntry(60 * kSecond);
  CacheControl cc = requestCc("min-fresh=20");
  EXPECT_EQ(classify(e, cc, kT0 + 40 * kSecond), Usability::Fresh);
  EXPECT_EQ(classify(e, cc, kT0 + 41 * kSecond), Usability::Revalidate);
}

TEST(CachePolicyClassify, InitialAgeCounts) {
  CachedEntry e = storedEntry(60 * kSecond);
  e.corrected_initial_age_ms = 50 * kSecond;
  EXPECT_EQ(classify(e, {}, kT0 + 9 * kSecond), Usability::Fresh);
  EXPECT_EQ(classify(e, {}, kT0 + 10 * kSecond), Usability::Revalidate);
}

// ---- stale-if-error (RFC 5861 §4) ----

TEST(CachePolicyStaleIfError, WithinEntryWindow) {
  CachedEntry e = storedEntry(60 * kSecond, 0, 30 * kSecond);
  EXPECT_TRUE(staleIfErrorAllows(e, {}, kT0 + 89 * kSecond));
  EXPECT_FALSE(staleIfErrorAllows(e, {}, kT0 + 90 * kSecond));
}

TEST(CachePolicyStaleIfError, NoWindowNoStaleAnswer) {
  CachedEntry e = storedEntry(60 * kSecond);
  EXPECT_FALSE(staleIfErrorAllows(e, {}, kT0 + 61 * kSecond));
}

TEST(CachePolicyStaleIfError, RequestDirectiveWidensTheWindow) {
  CachedEntry e = storedEntry(60 * kSecond, 0, 30 * kSecond);
  CacheControl cc = requestCc("stale-if-error=300");
  EXPECT_TRUE(staleIfErrorAllows(e, cc, kT0 + 200 * kSecond));
  EXPECT_FALSE(staleIfErrorAllows(e, cc, kT0 + 361 * kSecond));
}

TEST(CachePolicyStaleIfError, MustRevalidateForbids) {
  CachedEntry e = storedEntry(60 * kSecond, 0, 30 * kSecond);
  e.must_revalidate = true;
  EXPECT_FALSE(staleIfErrorAllows(e, requestCc("stale-if-error=300"), kT0 + 61 * kSecond));
}

TEST(CachePolicyStaleIfError, NoCacheForbids) {
  CachedEntry e = storedEntry(60 * kSecond, 0, 30 * kSecond);
  e.no_cache = true;
  EXPECT_FALSE(staleIfErrorAllows(e, requestCc("stale-if-error=300"), kT0 + 61 * kSecond));
}

TEST(CachePolicyStaleIfError, StoredThroughDecideStore) {
  Exchange ex({{"cache-control", "max-age=10, stale-if-error=20"}});
  ASSERT_TRUE(ex.store().store);
  EXPECT_TRUE(staleIfErrorAllows(ex.entry, {}, kT0 + 25 * kSecond));
  EXPECT_FALSE(staleIfErrorAllows(ex.entry, {}, kT0 + 30 * kSecond));
}

// ---- conditional requests (RFC 9110 §13.1, RFC 9111 §4.3.2) ----

struct Conditional {
  http::RequestHeaders req;
  CachedEntry entry;
  Conditional(Fields entry_fields, Fields request_fields, std::string_view method = "GET") {
    req.method = method;
    for (const auto& [n, v] : entry_fields) entry.headers.emplace_back(n, v);
    for (const auto& [n, v] : request_fields) req.headers.add(n, v);
    entry.response_time_ms = kT0;
  }
  bool matches() const { return conditionalMatches(req, entry); }
};

TEST(CachePolicyConditional, NoConditionalsNoMatch) {
  EXPECT_FALSE(Conditional({{"etag", "\"a\""}}, {}).matches());
}

TEST(CachePolicyConditional, StrongETagMatches) {
  EXPECT_TRUE(Conditional({{"etag", "\"a\""}}, {{"if-none-match", "\"a\""}}).matches());
  EXPECT_FALSE(Conditional({{"etag", "\"a\""}}, {{"if-none-match", "\"b\""}}).matches());
}

TEST(CachePolicyConditional, WeakComparisonIgnoresWPrefix) {
  EXPECT_TRUE(Conditional({{"etag", "W/\"a\""}}, {{"if-none-match", "\"a\""}}).matches());
  EXPECT_TRUE(Conditional({{"etag", "\"a\""}}, {{"if-none-match", "W/\"a\""}}).matches());
  EXPECT_TRUE(Conditional({{"etag", "W/\"a\""}}, {{"if-none-match", "W/\"a\""}}).matches());
}

TEST(CachePolicyConditional, ListOfETags) {
  EXPECT_TRUE(
      Conditional({{"etag", "\"c\""}}, {{"if-none-match", "\"a\", W/\"b\" ,\"c\""}}).matches());
  EXPECT_FALSE(Conditional({{"etag", "\"c\""}}, {{"if-none-match", "\"a\", \"b\""}}).matches());
}

TEST(CachePolicyConditional, ETagsMayContainCommas) {
  EXPECT_TRUE(Conditional({{"etag", "\"a,b\""}}, {{"if-none-match", "\"x\", \"a,b\""}}).matches());
  EXPECT_FALSE(Conditional({{"etag", "\"b\""}}, {{"if-none-match", "\"a,b\""}}).matches());
}

TEST(CachePolicyConditional, ListAcrossSeveralFields) {
  EXPECT_TRUE(
      Conditional({{"etag", "\"b\""}}, {{"if-none-match", "\"a\""}, {"if-none-match", "\"b\""}})
          .matches());
}

TEST(CachePolicyConditional, StarMatchesAnyStoredResponse) {
  EXPECT_TRUE(Conditional({{"etag", "\"a\""}}, {{"if-none-match", "*"}}).matches());
  EXPECT_TRUE(Conditional({}, {{"if-none-match", "*"}}).matches());
}

TEST(CachePolicyConditional, ETagWithoutStoredETagNeverMatches) {
  EXPECT_FALSE(Conditional({{"last-modified", kDate0}}, {{"if-none-match", "\"a\""}}).matches());
}

TEST(CachePolicyConditional, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
  Conditional c({{"etag", "\"a\""}, {"last-modified", kDate0}},
                {{"if-none-match", "\"b\""}, {"if-modified-since", dateAt(kT0 + 3600 * kSecond)}});
  EXPECT_FALSE(c.matches());
}

TEST(CachePolicyConditional, IfModifiedSinceAgainstLastModified) {
  const std::string later = dateAt(kT0 + 3600 * kSecond);
  Fields entry = {{"last-modified", kDate0}, {"date", later}};
  EXPECT_TRUE(Conditional(entry, {{"if-modified-since", kDate0}}).matches());
  EXPECT_TRUE(Conditional(entry, {{"if-modified-since", dateAt(kT0 + kSecond)}}).matches());
  EXPECT_FALSE(Conditional(entry, {{"if-modified-since", dateAt(kT0 - kSecond)}}).matches());
}

TEST(CachePolicyConditional, IfModifiedSinceFallsBackToDate) {
  Fields entry = {{"date", kDate0}};
  EXPECT_TRUE(Conditional(entry, {{"if-modified-since", kDate0}}).matches());
  EXPECT_FALSE(Conditional(entry, {{"if-modified-since", dateAt(kT0 - kSecond)}}).matches());
}

TEST(CachePolicyConditional, IfModifiedSinceFallsBackToResponseTime) {
  EXPECT_TRUE(Conditional({}, {{"if-modified-since", kDate0}}).matches());
  EXPECT_FALSE(Conditional({}, {{"if-modified-since", dateAt(kT0 - kSecond)}}).matches());
}

TEST(CachePolicyConditional, InvalidIfModifiedSinceIsIgnored) {
  EXPECT_FALSE(
      Conditional({{"last-modified", kDate0}}, {{"if-modified-since", "yesterday"}}).matches());
}

TEST(CachePolicyConditional, OnlyGetAndHead) {
  EXPECT_TRUE(Conditional({{"etag", "\"a\""}}, {{"if-none-match", "\"a\""}}, "HEAD").matches());
  EXPECT_FALSE(Conditional({{"etag", "\"a\""}}, {{"if-none-match", "\"a\""}}, "POST").matches());
  EXPECT_FALSE(
      Conditional({{"last-modified", kDate0}}, {{"if-modified-since", kDate0}}, "PUT").matches());
}

TEST(CachePolicyValidators, ETagOrLastModified) {
  CachedEntry e;
  EXPECT_FALSE(hasValidators(e));
  e.headers.emplace_back("etag", "\"a\"");
  EXPECT_TRUE(hasValidators(e));
  CachedEntry lm;
  lm.headers.emplace_back("last-modified", kDate0);
  EXPECT_TRUE(hasValidators(lm));
}

// ---- refresh from 304 (RFC 9111 §3.2, §4.3.4) ----

struct Refresh {
  CachedEntry old;
  http::RequestHeaders req;
  http::ResponseHeaders not_modified;
  RoutePolicy route;

  explicit Refresh(Fields stored_fields) {
    req.method = "GET";
    Exchange ex(stored_fields);
    EXPECT_TRUE(ex.store().store);
    old = std::move(ex.entry);
    old.body = "the body";
    old.path = "/a?b";
    not_modified.status = 304;
  }
  Refresh& field(std::string_view name, std::string_view value) {
    not_modified.headers.add(name, value);
    return *this;
  }
  std::shared_ptr<CachedEntry> run(int64_t request_time_ms, int64_t response_time_ms) {
    return refreshFromNotModified(old, req, parseCacheControl(req.headers, true), not_modified,
                                  route, request_time_ms, response_time_ms);
  }
};

TEST(CachePolicyRefresh, KeepsBodyPathAndStatusAndSetsNewTimes) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}, {"date", kDate0}});
  r.field("date", dateAt(kT0 + 100 * kSecond));
  auto e = r.run(kT0 + 99 * kSecond, kT0 + 100 * kSecond);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->body.view(), "the body");
  EXPECT_EQ(e->path, "/a?b");
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(e->request_time_ms, kT0 + 99 * kSecond);
  EXPECT_EQ(e->response_time_ms, kT0 + 100 * kSecond);
  EXPECT_EQ(e->corrected_initial_age_ms, kSecond);
  EXPECT_TRUE(e->isFresh(kT0 + 150 * kSecond));
}

TEST(CachePolicyRefresh, NotModifiedFieldsReplaceStoredOnes) {
  Refresh r({{"cache-control", "max-age=60"},
             {"etag", "\"v1\""},
             {"x-version", "1"},
             {"x-version", "1b"},
             {"content-type", "text/plain"}});
  r.field("etag", "\"v2\"").field("x-version", "2");
  auto e = r.run(kT0, kT0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e->header("etag"), "\"v2\"");
  EXPECT_EQ(*e->header("content-type"), "text/plain");
  std::vector<std::string> versions;
  for (const auto& [n, v] : e->headers)
    if (n == "x-version") versions.push_back(v);
  EXPECT_EQ(versions, (std::vector<std::string>{"2"}));
}

TEST(CachePolicyRefresh, ContentLengthAndHopByHopAreNotTaken) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}, {"content-length", "8"}});
  r.field("content-length", "0").field("connection", "x-hop").field("x-hop", "1");
  r.field("transfer-encoding", "chunked");
  auto e = r.run(kT0, kT0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(*e->header("content-length"), "8");
  EXPECT_EQ(e->header("x-hop"), nullptr);
  EXPECT_EQ(e->header("connection"), nullptr);
  EXPECT_EQ(e->header("transfer-encoding"), nullptr);
}

TEST(CachePolicyRefresh, FreshnessIsRecomputedFromTheMergedFields) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}});
  r.field("cache-control", "max-age=600, stale-if-error=5");
  auto e = r.run(kT0 + 1000 * kSecond, kT0 + 1000 * kSecond);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->freshness_lifetime_ms, 600 * kSecond);
  EXPECT_EQ(e->stale_if_error_ms, 5 * kSecond);
}

TEST(CachePolicyRefresh, StoredCacheControlAppliesWhenTheNotModifiedHasNone) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}});
  auto e = r.run(kT0 + 1000 * kSecond, kT0 + 1000 * kSecond);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->freshness_lifetime_ms, 60 * kSecond);
  EXPECT_TRUE(e->isFresh(kT0 + 1059 * kSecond));
}

TEST(CachePolicyRefresh, RouteTtlAppliesWithoutAnyFreshness) {
  Refresh r({{"etag", "\"v1\""}});
  r.route.ttl_ms = 30 * kSecond;
  auto e = r.run(kT0, kT0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->freshness_lifetime_ms, 30 * kSecond);
}

TEST(CachePolicyRefresh, MissingDateIsDatedAtArrivalNotByTheOldDate) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}, {"date", kDate0}});
  auto e = r.run(kT0 + 500 * kSecond, kT0 + 500 * kSecond);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->corrected_initial_age_ms, 0);
  EXPECT_EQ(*e->header("date"), dateAt(kT0 + 500 * kSecond));
}

TEST(CachePolicyRefresh, AgeOfTheNotModifiedCounts) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}});
  r.field("age", "20");
  auto e = r.run(kT0, kT0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->corrected_initial_age_ms, 20 * kSecond);
  EXPECT_EQ(e->header("age"), nullptr);
}

TEST(CachePolicyRefresh, NoStoreDropsTheEntry) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}});
  r.field("cache-control", "no-store");
  EXPECT_EQ(r.run(kT0, kT0), nullptr);
}

TEST(CachePolicyRefresh, SetCookieDropsTheEntryUnlessAllowed) {
  Refresh r({{"cache-control", "max-age=60"}, {"etag", "\"v1\""}});
  r.field("set-cookie", "s=1");
  EXPECT_EQ(r.run(kT0, kT0), nullptr);
  r.route.allow_set_cookie = true;
  EXPECT_NE(r.run(kT0, kT0), nullptr);
}

TEST(CachePolicyRefresh, TagsAndVaryFollowTheMergedFields) {
  Refresh r(
      {{"cache-control", "max-age=60"}, {"etag", "\"v1\""}, {"cache-tag", "a"}, {"vary", "x-b"}});
  r.field("cache-tag", "b c");
  auto e = r.run(kT0, kT0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->tags, (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(e->vary, (std::vector<std::string>{"x-b"}));
}

}  // namespace
}  // namespace courier::filters::cache
