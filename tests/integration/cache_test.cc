// The memory cache layer end to end: x-cache values, RFC 9111 rules
// (no-store, private, Set-Cookie, Authorization, Vary, max-age, ETag
// revalidation, conditionals, HEAD), stale-while-revalidate and
// stale-if-error, coalescing (counted at the origin), POST keys over
// canonical JSON, objects over max_object_bytes, purge, and the metrics.
// Redis (L2, replicas) is in cache_redis_test.cc.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(2) + R"(
[cache]
memory_bytes = "8MiB"
max_object_bytes = "64KiB"

# The same client paths reach a failing origin path when x-fail is sent:
# the entry stored through "sie5" answers "sie5-failing" (one shared store).
[[routes]]
name = "sie5-failing"
match = { prefix = "/sie5/", headers = { "x-fail" = "1" } }
cluster = "agent"
prefix_rewrite = "/status/503?"
cache = { ttl = "30s", stale_if_error = "5m" }

[[routes]]
name = "sie5"
match = { prefix = "/sie5/" }
cluster = "agent"
prefix_rewrite = "/response-headers?Cache-Control=max-age%3D1&"
cache = { ttl = "30s", stale_if_error = "5m" }

[[routes]]
name = "swr"
match = { prefix = "/swr/" }
cluster = "agent"
prefix_rewrite = "/"
cache = { ttl = "30s", stale_while_revalidate = "30s" }

[[routes]]
name = "sie"
match = { prefix = "/sie/" }
cluster = "agent"
prefix_rewrite = "/"
cache = { ttl = "30s", stale_if_error = "5m" }

[[routes]]
name = "keyed"
match = { prefix = "/keyed/" }
cluster = "agent"
prefix_rewrite = "/"
cache = { ttl = "30s", key_headers = ["Authorization"] }

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
cache = { layers = ["memory"], ttl = "30s", methods = ["GET", "POST"] }
)";

class CacheTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kConfig); }
  Response get(const std::string& target, const Headers& h = {}) {
    HttpClient c = courier_->client();
    return c.get(target, h);
  }
  std::string metrics() {
    HttpClient c = courier_->adminClient();
    return c.get("/metrics").body;
  }
  Response purge(const std::string& body) {
    HttpClient c = courier_->adminClient();
    return c.post("/cache/purge", body, {{"Content-Type", "application/json"}});
  }
};

TEST_F(CacheTest, MissThenHitFromMemory) {
  Response a = get("/bytes/1000");
  ASSERT_EQ(a.status, 200) << a.error;
  EXPECT_EQ(a.header("x-cache"), "MISS");
  Response b = get("/bytes/1000");
  ASSERT_EQ(b.status, 200) << b.error;
  EXPECT_EQ(b.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(b.header("content-length"), "1000");
  EXPECT_TRUE(b.has("age"));
  EXPECT_EQ(up_.hits("/bytes/1000"), 1u);
  std::string m = metrics();
  EXPECT_EQ(
      sample(m, R"(courier_cache_requests_total{route="default",layer="memory",result="hit"})"), 1);
  EXPECT_EQ(
      sample(m, R"(courier_cache_requests_total{route="default",layer="memory",result="miss"})"),
      1);
  EXPECT_GT(sample(m, R"(courier_cache_bytes{layer="memory"})"), 1000);
}

TEST_F(CacheTest, HeadIsAnsweredFromTheGetEntryButNeverFillsIt) {
  ASSERT_EQ(get("/bytes/300").status, 200);
  HttpClient c = courier_->client();
  Response h = c.request("HEAD", "/bytes/300");
  ASSERT_EQ(h.status, 200) << h.error;
  EXPECT_EQ(h.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(h.header("content-length"), "300");
  EXPECT_TRUE(h.body.empty());
  EXPECT_EQ(up_.hits("/bytes/300"), 1u);
  // A HEAD miss cannot fill a GET entry: it goes to the origin each time.
  EXPECT_EQ(c.request("HEAD", "/bytes/301").header("x-cache"), "MISS");
  EXPECT_EQ(c.request("HEAD", "/bytes/301").header("x-cache"), "MISS");
  EXPECT_EQ(get("/bytes/301").header("x-cache"), "MISS");
}

TEST_F(CacheTest, ConditionalRequestsAreAnsweredFromTheEntry) {
  const std::string target = "/response-headers?ETag=%22v1%22&Cache-Control=max-age%3D60";
  ASSERT_EQ(get(target).header("x-cache"), "MISS");
  Response nm = get(target, {{"If-None-Match", "\"v1\""}});
  EXPECT_EQ(nm.status, 304);
  EXPECT_EQ(nm.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(nm.header("etag"), "\"v1\"");
  EXPECT_TRUE(nm.body.empty());
  Response other = get(target, {{"If-None-Match", "\"v2\""}});
  EXPECT_EQ(other.status, 200);
  EXPECT_EQ(other.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(up_.hits("/response-headers"), 1u);
}

TEST_F(CacheTest, RequestNoStoreBypassesAndStoresNothing) {
  Response r = get("/bytes/20", {{"Cache-Control", "no-store"}});
  EXPECT_EQ(r.header("x-cache"), "BYPASS");
  EXPECT_EQ(get("/bytes/20").header("x-cache"), "MISS");
  EXPECT_EQ(sample(metrics(),
                   R"(courier_cache_requests_total{route="default",layer="none",result="bypass"})"),
            1);
}

TEST_F(CacheTest, ResponsesThatMustNotBeSharedAreNotStored) {
  for (const char* target :
       {"/response-headers?Cache-Control=no-store",
        "/response-headers?Cache-Control=private%2C%20max-age%3D60",
        "/response-headers?Set-Cookie=session%3Dabc", "/response-headers?Vary=%2A"}) {
    EXPECT_EQ(get(target).header("x-cache"), "MISS") << target;
    EXPECT_EQ(get(target).header("x-cache"), "MISS") << target;
  }
}

TEST_F(CacheTest, AuthorizationIsBypassedUnlessItIsAKeyHeader) {
  EXPECT_EQ(get("/bytes/40", {{"Authorization", "Bearer a"}}).header("x-cache"), "BYPASS");
  // On the keyed route, each credential has its own entry.
  EXPECT_EQ(get("/keyed/bytes/40", {{"Authorization", "Bearer a"}}).header("x-cache"), "MISS");
  EXPECT_EQ(get("/keyed/bytes/40", {{"Authorization", "Bearer a"}}).header("x-cache"),
            "HIT-MEMORY");
  EXPECT_EQ(get("/keyed/bytes/40", {{"Authorization", "Bearer b"}}).header("x-cache"), "MISS");
  EXPECT_EQ(get("/keyed/bytes/40").header("x-cache"), "MISS");
}

TEST_F(CacheTest, VaryKeepsVariantsApart) {
  const std::string target = "/response-headers?Vary=X-Lang&Cache-Control=max-age%3D60";
  EXPECT_EQ(get(target, {{"X-Lang", "en"}}).header("x-cache"), "MISS");
  EXPECT_EQ(get(target, {{"X-Lang", "en"}}).header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(get(target, {{"X-Lang", "fr"}}).header("x-cache"), "MISS");
  EXPECT_EQ(get(target, {{"X-Lang", "fr"}}).header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(get(target, {{"X-Lang", "en"}}).header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(get(target).header("x-cache"), "MISS");
  EXPECT_EQ(up_.hits("/response-headers"), 3u);
}

TEST_F(CacheTest, StaleEntryIsRevalidatedAndA304RefreshesIt) {
  const std::string target = "/response-headers?Cache-Control=max-age%3D1&ETag=%22e1%22";
  Response first = get(target);
  ASSERT_EQ(first.header("x-cache"), "MISS");
  EXPECT_EQ(get(target).header("x-cache"), "HIT-MEMORY");
  std::this_thread::sleep_for(Ms(1100));
  // Stale: courier asks the origin with If-None-Match, gets a 304, answers
  // from the refreshed entry.
  Response again = get(target);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(again.body, first.body);
  EXPECT_EQ(again.header("age"), "0");
  EXPECT_EQ(up_.hits("/response-headers"), 2u);
  EXPECT_EQ(get(target).header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(up_.hits("/response-headers"), 2u);
}

TEST_F(CacheTest, StaleWhileRevalidateServesAtOnceAndRefreshesOnce) {
  const std::string target = "/swr/response-headers?Cache-Control=max-age%3D1";
  ASSERT_EQ(get(target).header("x-cache"), "MISS");
  std::this_thread::sleep_for(Ms(1100));
  // Many requests see the stale entry at once: each is answered from it at
  // once, and the entry is refreshed in the background once.
  std::vector<std::string> seen(20);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < seen.size(); ++i)
    threads.emplace_back([&, i] { seen[i] = get(target).header("x-cache"); });
  for (auto& t : threads) t.join();
  EXPECT_GE(std::count(seen.begin(), seen.end(), "STALE"), 1);
  for (const auto& x : seen) EXPECT_TRUE(x == "STALE" || x == "HIT-MEMORY") << x;
  EXPECT_TRUE(pollUntil(Ms(2000), [&] { return get(target).header("x-cache") == "HIT-MEMORY"; }));
  EXPECT_EQ(up_.hits("/response-headers"), 2u);
}

TEST_F(CacheTest, StaleIfErrorServesTheEntryWhenTheOriginIsDown) {
  const std::string target = "/sie/response-headers?Cache-Control=max-age%3D1";
  Response first = get(target);
  ASSERT_EQ(first.header("x-cache"), "MISS");
  std::this_thread::sleep_for(Ms(1100));
  up_.process().signal(SIGKILL);
  Response r = get(target);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header("x-cache"), "STALE");
  EXPECT_EQ(r.body, first.body);
  // Without an entry, the error stands, marked as a miss.
  Response none = get("/sie/bytes/5");
  EXPECT_EQ(none.status, 503);
  EXPECT_EQ(none.header("x-cache"), "MISS");
}

TEST_F(CacheTest, StaleIfErrorReplacesAnOrigin5xxAndItsBody) {
  Response first = get("/sie5/a");
  ASSERT_EQ(first.status, 200) << first.raw;
  ASSERT_EQ(first.header("x-cache"), "MISS");
  std::this_thread::sleep_for(Ms(1100));
  Response r = get("/sie5/a", {{"x-fail", "1"}});
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(r.header("x-cache"), "STALE");
  EXPECT_EQ(r.body, first.body);
  EXPECT_EQ(r.header("content-length"), std::to_string(first.body.size()));
  EXPECT_EQ(up_.hits("/status/503"), 1u);  // the origin was asked and failed
  // Without an entry to fall back on, the 503 stands.
  Response other = get("/sie5/b", {{"x-fail", "1"}});
  EXPECT_EQ(other.status, 503);
  EXPECT_EQ(other.header("x-cache"), "MISS");
}

TEST_F(CacheTest, OnlyIfCachedWithoutAnEntryIs504) {
  Response r = get("/bytes/77", {{"Cache-Control", "only-if-cached"}});
  EXPECT_EQ(r.status, 504);
  EXPECT_EQ(up_.hits("/bytes/77"), 0u);
}

TEST_F(CacheTest, ConcurrentMissesAreCoalescedIntoOneOriginRequest) {
  constexpr int kClients = 100;
  std::vector<Response> responses(kClients);
  std::vector<std::thread> threads;
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      HttpClient c = courier_->client();
      responses[i] = c.get("/delay/300");
    });
  }
  for (auto& t : threads) t.join();
  for (const Response& r : responses) {
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, responses[0].body);
  }
  EXPECT_EQ(up_.hits("/delay/300"), 1u);
}

TEST_F(CacheTest, CoalescedWaitersReceiveAStreamAsItArrives) {
  // An LLM-style SSE answer over ~600 ms (cacheable this time); a second
  // client asks for it 150 ms in and must get it live, not when it ends.
  const std::string target =
      "/v1/completions?stream=1&events=6&interval_ms=100&cache_control=max-age%3D60";
  const std::string body = R"({"prompt":"hi"})";
  auto post = [&] {
    HttpClient c = courier_->client();
    return c.post(target, body, {{"Content-Type", "application/json"}});
  };
  Response leader, waiter;
  std::thread first([&] { leader = post(); });
  std::this_thread::sleep_for(Ms(150));
  waiter = post();
  first.join();
  ASSERT_EQ(leader.status, 200) << leader.error;
  ASSERT_EQ(waiter.status, 200) << waiter.error;
  EXPECT_EQ(waiter.body, leader.body);
  EXPECT_EQ(up_.hits("/v1/completions"), 1u);
  ASSERT_GE(waiter.chunks.size(), 4u);
  // The waiter's first events came long before the last one.
  EXPECT_GT(msBetween(waiter.chunks.front().at, waiter.done_at), 300) << "not streamed live";
  Response replay = post();
  EXPECT_EQ(replay.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(replay.body, leader.body);
}

TEST_F(CacheTest, PostKeysUseCanonicalJson) {
  auto post = [&](const std::string& json) {
    HttpClient c = courier_->client();
    return c.post("/v1/completions", json, {{"Content-Type", "application/json"}});
  };
  Response a = post(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})");
  EXPECT_EQ(a.header("x-cache"), "MISS");
  Response b =
      post("{ \"messages\" : [ {\"content\":\"hi\", \"role\":\"user\"} ],\n \"model\":\"m\" }");
  EXPECT_EQ(b.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(b.body, a.body);
  EXPECT_EQ(post(R"({"model":"m","messages":[{"role":"user","content":"bye"}]})").header("x-cache"),
            "MISS");
  EXPECT_EQ(up_.hits("/v1/completions"), 2u);
}

TEST_F(CacheTest, ObjectsOverMaxObjectBytesStreamThroughUncached) {
  Response a = get("/bytes/100000");
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.body, pattern(100000));
  Response b = get("/bytes/100000");
  EXPECT_EQ(b.header("x-cache"), "MISS");
  EXPECT_EQ(b.body, pattern(100000));
  EXPECT_EQ(up_.hits("/bytes/100000"), 2u);
}

// A body of 16 KiB or more is kept in a sealed memory file and an HTTP/1.1
// hit goes out with sendfile(), after a head sent with MSG_MORE. Pipelined
// hits interleave heads and file bodies on one connection; a HEAD between
// them must take no body, and a small (heap) entry between them too.
TEST_F(CacheTest, LargeBodiesGoOutWholeAndInOrderWhenPipelined) {
  const std::string big = pattern(40000);
  ASSERT_EQ(get("/bytes/40000", {{"Host", "a"}}).body, big);
  ASSERT_EQ(get("/bytes/300", {{"Host", "a"}}).header("x-cache"), "MISS");
  HttpClient c = courier_->client();
  std::string one = "GET /bytes/40000 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string head = "HEAD /bytes/40000 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string small = "GET /bytes/300 HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_TRUE(c.sendRaw(one + one + head + small + one));
  for (int i = 0; i < 2; ++i) {
    Response r = c.readResponse();
    EXPECT_EQ(r.status, 200) << i;
    EXPECT_EQ(r.header("x-cache"), "HIT-MEMORY") << i;
    EXPECT_EQ(r.body, big) << i;
  }
  Response h = c.readResponse(/*head_request=*/true);
  EXPECT_EQ(h.header("content-length"), "40000");
  EXPECT_TRUE(h.body.empty());
  Response s = c.readResponse();
  EXPECT_EQ(s.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(s.body, pattern(300));
  Response last = c.readResponse();
  EXPECT_EQ(last.body, big);
  // The connection is still in step: one more exchange works.
  Response after = c.get("/bytes/40000", {{"Host", "a"}});
  EXPECT_EQ(after.header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(after.body, big);
  EXPECT_EQ(up_.hits("/bytes/40000"), 1u);
}

TEST_F(CacheTest, PurgeByUrlPrefixAndTag) {
  ASSERT_EQ(get("/bytes/11").header("x-cache"), "MISS");
  ASSERT_EQ(get("/bytes/11").header("x-cache"), "HIT-MEMORY");
  Response p = purge(R"({"url":"http://example.test/bytes/11"})");
  EXPECT_EQ(p.status, 200) << p.body;
  EXPECT_EQ(p.body, "{\"purged\":{\"memory\":1}}\n");
  EXPECT_EQ(get("/bytes/11").header("x-cache"), "MISS");

  ASSERT_EQ(get("/bytes/12").header("x-cache"), "MISS");
  ASSERT_EQ(get("/bytes/13").header("x-cache"), "MISS");
  EXPECT_EQ(purge(R"({"prefix":"/bytes/1"})").status, 200);
  EXPECT_EQ(get("/bytes/12").header("x-cache"), "MISS");
  EXPECT_EQ(get("/bytes/13").header("x-cache"), "MISS");

  const std::string tagged =
      "/response-headers?Cache-Tag=models%2C%20v1&Cache-Control=max-age%3D60";
  ASSERT_EQ(get(tagged).header("x-cache"), "MISS");
  ASSERT_EQ(get(tagged).header("x-cache"), "HIT-MEMORY");
  EXPECT_EQ(purge(R"({"tag":"v1"})").body, "{\"purged\":{\"memory\":1}}\n");
  EXPECT_EQ(get(tagged).header("x-cache"), "MISS");

  Response bad = purge(R"({"everything":true})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.body.rfind("{\"error\":\"bad_request\"", 0), 0u) << bad.body;
  EXPECT_EQ(purge("not json").status, 400);
}

}  // namespace
}  // namespace courier::test
