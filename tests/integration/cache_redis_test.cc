// The two-layer response cache against a real redis-server: two courier
// replicas sharing L2 (GET and canonical-JSON POST keys), purges that reach
// the other replica's memory layer through `courier:invalidate`, Redis
// killed, paused or absent (requests still succeed, errors counted), Redis
// entries of another format version (never served), and the memory bound
// under load.
//
// Every request sends `Host: cache.test`: the host is part of the cache key,
// and the two replicas listen on different ports.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/integration_support.h"
#include "tests/support/redis_server.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(2, "access_log = \"off\"\n") + R"(
[redis]
url = "{{REDIS_URL}}"
timeout = "{{TIMEOUT}}"

[cache]
memory_bytes = "16MiB"
max_object_bytes = "1MiB"

[[routes]]
name = "cached"
match = { prefix = "/" }
cluster = "agent"
cache = { layers = ["memory", "redis"], ttl = "30s", redis_ttl = "1m", methods = ["GET", "POST"] }
)";

// Memory layer only, 1 MiB.
const std::string kSmallMemoryConfig = configHead(2, "access_log = \"off\"\n") + R"(
[cache]
memory_bytes = "1MiB"

[[routes]]
name = "cached"
match = { prefix = "/" }
cluster = "agent"
cache = { layers = ["memory"], ttl = "30s" }
)";

constexpr int kWorkers = 2;  // configHead(2)
// Redis connections of one courier process: one per worker, and the main
// thread's purge client and invalidation subscriber.
constexpr int kRedisConnectionsPerCourier = kWorkers + 2;

const Headers kHost = {{"Host", "cache.test"}};
const Headers kJsonPost = {{"Host", "cache.test"}, {"Content-Type", "application/json"}};

double metric(const CourierProcess& courier, const std::string& series) {
  double v = sample(courier.adminClient().get("/metrics").body, series);
  return v < 0 ? 0 : v;
}

std::string cacheSeries(const std::string& layer, const std::string& result) {
  return "courier_cache_requests_total{route=\"cached\",layer=\"" + layer + "\",result=\"" +
         result + "\"}";
}

std::string redisErrors(const std::string& op) {
  return "courier_redis_errors_total{op=\"" + op + "\"}";
}

const char* const kMemoryBytes = "courier_cache_bytes{layer=\"memory\"}";
const char* const kEvictions = "courier_cache_evictions_total";

Response get(HttpClient& c, const std::string& target) {
  return c.get(target, kHost);
}

std::string xcache(const Response& r) {
  return r.ok() ? r.header("x-cache") : "(no response: " + r.error + ")";
}

// The entry keys (courier:c:<32 hex>) in Redis.
std::set<std::string> entryKeys(const RedisServer& redis) {
  std::string list = redis.command({"KEYS", "courier:c:*"});
  std::set<std::string> keys;
  const std::string prefix = "courier:c:";
  for (size_t pos = list.find(prefix); pos != std::string::npos; pos = list.find(prefix, pos + 1)) {
    keys.insert(list.substr(pos, prefix.size() + 32));
  }
  return keys;
}

int redisClients(const RedisServer& redis) {
  std::string list = redis.command({"CLIENT", "LIST"});
  int n = 0;
  for (size_t pos = list.find("id="); pos != std::string::npos; pos = list.find("id=", pos + 1))
    ++n;
  return n - 1;  // not the one asking
}

// Subscribers of the invalidation channel: PUBSUB NUMSUB answers
// "[courier:invalidate, N]".
int invalidationSubscribers(const RedisServer& redis) {
  std::string reply = redis.command({"PUBSUB", "NUMSUB", "courier:invalidate"});
  size_t comma = reply.rfind(", ");
  if (comma == std::string::npos) return -1;
  return std::atoi(reply.c_str() + comma + 2);
}

// The integer after "name": in a purge answer; -1 if absent.
long jsonNumber(const std::string& json, const std::string& name) {
  size_t pos = json.find("\"" + name + "\":");
  if (pos == std::string::npos) return -1;
  return std::strtol(json.c_str() + pos + name.size() + 3, nullptr, 10);
}

// The entry codec's trailer: XXH3-64 (seed 0) of every byte before it, 8
// bytes little endian (filters/cache/entry_codec.h).
uint64_t storedChecksum(const std::string& bytes) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes[bytes.size() - 8 + i]);
  return v;
}
uint64_t computedChecksum(const std::string& bytes) {
  return XXH3_64bits(bytes.data(), bytes.size() - 8);
}
void rewriteChecksum(std::string& bytes) {
  uint64_t sum = computedChecksum(bytes);
  for (int i = 0; i < 8; ++i) bytes[bytes.size() - 8 + i] = static_cast<char>(sum >> (8 * i));
}

class CacheRedisTest : public CourierTest {
 protected:
  std::map<std::string, std::string> vars(const std::string& url,
                                          const std::string& timeout = "25ms") {
    return {{"REDIS_URL", url}, {"TIMEOUT", timeout}, {"UPSTREAM", up_.address()}};
  }
  void startRedis() {
    redis_ = std::make_unique<RedisServer>();
    ASSERT_TRUE(redis_->ok()) << redis_->error();
  }
  // courier_ (A) and, with `two`, other_ (B) on one Redis.
  void startReplicas(bool two, const std::string& timeout = "25ms") {
    auto v = vars(redis_->url(), timeout);
    startProxy(kConfig, v);
    if (two) {
      CourierOptions options;
      options.vars = v;
      other_ = startCourier(kConfig, options);
      ASSERT_TRUE(other_->ok()) << other_->error();
    }
    waitForRedis(two ? 2 : 1);
  }
  // Until every connection of `couriers` processes is up and each one's
  // invalidation subscription is live.
  void waitForRedis(int couriers) {
    ASSERT_TRUE(pollUntil(Ms(8000), [&] {
      return redisClients(*redis_) >= couriers * kRedisConnectionsPerCourier &&
             invalidationSubscribers(*redis_) == couriers;
    })) << redis_->command({"CLIENT", "LIST"});
    std::this_thread::sleep_for(Ms(50));  // courier's connect callbacks
  }
  // Until Redis holds `n` entries: a put is fire and forget, so it may land
  // just after the response that caused it.
  void waitForEntries(size_t n) {
    ASSERT_TRUE(pollUntil(Ms(2000), [&] { return entryKeys(*redis_).size() == n; }))
        << redis_->command({"KEYS", "courier:*"});
  }
  uint64_t originHits(const std::string& path) { return up_.hits(path); }

  // POST /cache/purge on A.
  Response purge(const std::string& body) {
    return courier_->adminClient().post("/cache/purge", body,
                                        {{"Content-Type", "application/json"}});
  }

  // Polls `path` on `c` until it answers MISS, for at most `timeout`; the
  // x-cache values seen, in order. Before the MISS only HIT-MEMORY may come
  // (the invalidation has not arrived yet): a HIT-REDIS would mean the
  // entry survived in Redis.
  std::vector<std::string> pollUntilMiss(HttpClient& c, const std::string& path, Ms timeout,
                                         const Headers& headers = kHost) {
    std::vector<std::string> seen;
    pollUntil(
        timeout,
        [&] {
          seen.push_back(xcache(c.get(path, headers)));
          return seen.back() != "HIT-MEMORY";
        },
        Ms(20));
    return seen;
  }

  void TearDown() override {
    if (HasFailure() && other_) std::cerr << "replica B:\n" << other_->process().logTail() << "\n";
    CourierTest::TearDown();
    if (redis_ && redis_->process() && HasFailure())
      std::cerr << redis_->process()->logTail() << "\n";
  }

  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<CourierProcess> other_;  // replica B
};

std::string joined(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

// --- 1. Two replicas share L2 --------------------------------------------------

TEST_F(CacheRedisTest, ReplicasShareTheRedisLayer) {
  startRedis();
  startReplicas(true);
  HttpClient a = courier_->client(), b = other_->client();

  Response r = get(a, "/bytes/300");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "MISS");
  EXPECT_EQ(r.body, pattern(300));
  waitForEntries(1);
  r = get(b, "/bytes/300");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "HIT-REDIS") << r.raw;
  EXPECT_EQ(r.body, pattern(300));
  r = get(b, "/bytes/300");
  EXPECT_EQ(xcache(r), "HIT-MEMORY") << r.raw;
  EXPECT_EQ(r.body, pattern(300));
  EXPECT_EQ(originHits("/bytes/300"), 1u);
  // Stored for redis_ttl (1m), indexed under its path for at least as long.
  std::string key = *entryKeys(*redis_).begin();
  long ttl = std::atol(redis_->command({"PTTL", key}).c_str());
  EXPECT_GT(ttl, 50'000) << key;
  EXPECT_LE(ttl, 60'000) << key;
  EXPECT_GE(std::atol(redis_->command({"PTTL", "courier:cu:/bytes/300"}).c_str()), ttl - 1000);
  EXPECT_EQ(redis_->command({"SMEMBERS", "courier:cu:/bytes/300"}), "[" + key + "]");
  // POST: the JSON body is canonicalised, so key order and whitespace do
  // not split the cache between the replicas.
  const std::string body_a = R"({"model":"demo","prompt":"hello","max_tokens":5})";
  const std::string body_b = "{ \"max_tokens\": 5,\n  \"prompt\": \"hello\", \"model\": \"demo\" }";
  Response pa = a.post("/v1/completions", body_a, kJsonPost);
  ASSERT_EQ(pa.status, 200) << pa.raw;
  EXPECT_EQ(xcache(pa), "MISS");
  waitForEntries(2);
  Response pb = b.post("/v1/completions", body_b, kJsonPost);
  EXPECT_EQ(pb.status, 200) << pb.raw;
  EXPECT_EQ(xcache(pb), "HIT-REDIS") << pb.raw;
  EXPECT_EQ(pb.body, pa.body);  // the same completion ("seq" included)
  pb = b.post("/v1/completions", body_b, kJsonPost);
  EXPECT_EQ(xcache(pb), "HIT-MEMORY") << pb.raw;
  EXPECT_EQ(pb.body, pa.body);
  EXPECT_EQ(originHits("/v1/completions"), 1u);

  // A different prompt is a different key.
  Response other =
      b.post("/v1/completions", R"({"model":"demo","prompt":"bye","max_tokens":5})", kJsonPost);
  EXPECT_EQ(xcache(other), "MISS") << other.raw;
  EXPECT_NE(other.body, pa.body);
  EXPECT_EQ(originHits("/v1/completions"), 2u);

  EXPECT_EQ(metric(*other_, cacheSeries("redis", "hit")), 2);
  EXPECT_EQ(metric(*other_, cacheSeries("memory", "hit")), 2);
  EXPECT_EQ(metric(*courier_, cacheSeries("redis", "miss")), 2);
}

// A HEAD is answered from the GET entry another replica stored, and a
// response with Vary is shared per variant.
TEST_F(CacheRedisTest, HeadAndVariantsAcrossReplicas) {
  startRedis();
  startReplicas(true);
  HttpClient a = courier_->client(), b = other_->client();

  ASSERT_EQ(xcache(get(a, "/bytes/301")), "MISS");
  waitForEntries(1);
  Response head = b.request("HEAD", "/bytes/301", kHost);
  EXPECT_EQ(head.status, 200) << head.raw;
  EXPECT_EQ(xcache(head), "HIT-REDIS") << head.raw;
  EXPECT_EQ(head.header("content-length"), "301") << head.raw;
  EXPECT_TRUE(head.body.empty());
  Response r = get(b, "/bytes/301");
  EXPECT_EQ(xcache(r), "HIT-MEMORY") << r.raw;
  EXPECT_EQ(r.body, pattern(301));
  EXPECT_EQ(originHits("/bytes/301"), 1u);

  // Vary: X-Lang. Redis holds the marker (under the primary key) and one
  // entry per variant.
  const std::string path = "/response-headers?Vary=X-Lang&v=1";
  auto lang = [](const std::string& l) { return Headers{{"Host", "cache.test"}, {"X-Lang", l}}; };
  ASSERT_EQ(xcache(a.get(path, lang("en"))), "MISS");
  waitForEntries(3);
  EXPECT_EQ(xcache(b.get(path, lang("en"))), "HIT-REDIS");
  EXPECT_EQ(xcache(b.get(path, lang("fr"))), "MISS");
  EXPECT_EQ(xcache(b.get(path, lang("en"))), "HIT-MEMORY");
  EXPECT_EQ(xcache(b.get(path, lang("fr"))), "HIT-MEMORY");
  waitForEntries(4);
  EXPECT_EQ(xcache(a.get(path, lang("fr"))), "HIT-REDIS");
  EXPECT_EQ(xcache(a.get(path, lang("en"))), "HIT-MEMORY");
  EXPECT_EQ(originHits("/response-headers"), 2u);
}

// Entries another replica stored, read from Redis once they are stale: the
// Age counts from the origin's response, a stale entry with a validator is
// revalidated (a 304 from the origin), stale-while-revalidate answers at
// once and refreshes in the background, and stale-if-error covers a dead
// origin.
TEST_F(CacheRedisTest, StaleRedisEntriesOnAnotherReplica) {
  startRedis();
  startReplicas(true);
  HttpClient a = courier_->client(), b = other_->client();
  const std::string fresh = "/response-headers?Cache-Control=max-age%3D60&s=0";
  const std::string etag = "/response-headers?Cache-Control=max-age%3D1&ETag=%22v1%22&s=1";
  const std::string swr =
      "/response-headers?Cache-Control=max-age%3D1,%20stale-while-revalidate%3D30&s=2";
  const std::string sie = "/response-headers?Cache-Control=max-age%3D1,%20stale-if-error%3D30&s=3";
  std::map<std::string, std::string> bodies;
  for (const auto& path : {fresh, etag, swr, sie}) {
    Response r = get(a, path);
    ASSERT_EQ(xcache(r), "MISS") << r.raw;
    bodies[path] = r.body;
  }
  waitForEntries(4);
  std::this_thread::sleep_for(Ms(1300));  // all but `fresh` are stale now
  uint64_t origin = originHits("/response-headers");

  Response r = get(b, fresh);
  EXPECT_EQ(xcache(r), "HIT-REDIS") << r.raw;
  EXPECT_GE(std::atoi(r.header("age").c_str()), 1) << r.raw;
  EXPECT_EQ(r.body, bodies[fresh]);
  EXPECT_EQ(originHits("/response-headers"), origin);

  r = get(b, etag);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "HIT-REDIS") << "not revalidated: " << r.raw;
  EXPECT_EQ(r.body, bodies[etag]);
  EXPECT_EQ(originHits("/response-headers"), origin + 1);

  r = get(b, swr);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "STALE") << r.raw;
  EXPECT_EQ(r.body, bodies[swr]);
  EXPECT_TRUE(pollUntil(Ms(1000), [&] { return originHits("/response-headers") == origin + 2; }))
      << "no background refresh";
  EXPECT_TRUE(pollUntil(Ms(1000), [&] { return xcache(get(b, swr)) == "HIT-MEMORY"; }));

  up_.process().signal(SIGKILL);
  up_.process().waitExit(Ms(2000));
  r = get(b, sie);
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "STALE") << r.raw;
  EXPECT_EQ(r.body, bodies[sie]);
}

// --- 2. A purge on A reaches B -------------------------------------------------

class CacheRedisPurgeTest : public CacheRedisTest {
 protected:
  void SetUp() override {
    startRedis();
    if (HasFatalFailure()) return;
    startReplicas(true);
    if (HasFatalFailure()) return;
    a_ = courier_->client();
    b_ = other_->client();
  }
  // The entry is in A's memory (A stored it), in Redis, and in B's memory.
  void cacheOnBoth(const std::string& path) {
    size_t before = entryKeys(*redis_).size();
    Response r = get(*a_, path);
    ASSERT_EQ(r.status, 200) << r.raw;
    ASSERT_EQ(xcache(r), "MISS") << path;
    waitForEntries(before + 1);
    ASSERT_EQ(xcache(get(*b_, path)), "HIT-REDIS") << path;
    ASSERT_EQ(xcache(get(*b_, path)), "HIT-MEMORY") << path;
    ASSERT_EQ(xcache(get(*a_, path)), "HIT-MEMORY") << path;
  }
  // B drops its copy within 1 s, and Redis has none: B's next answer after
  // its memory hits is a MISS.
  void expectGoneOnB(const std::string& path) {
    auto start = Clock::now();
    std::vector<std::string> seen = pollUntilMiss(*b_, path, Ms(1000));
    EXPECT_EQ(seen.back(), "MISS")
        << path << " on B after the purge: " << joined(seen) << " in " << msSince(start) << " ms";
  }
  void expectStillOnB(const std::string& path) {
    EXPECT_EQ(xcache(get(*b_, path)), "HIT-MEMORY") << path << " was not purged";
  }

  std::optional<HttpClient> a_, b_;
};

TEST_F(CacheRedisPurgeTest, ByUrl) {
  cacheOnBoth("/bytes/310");
  cacheOnBoth("/bytes/311?x=1");
  cacheOnBoth("/bytes/312");
  uint64_t origin = up_.requests();

  Response p = purge(R"({"url": "/bytes/310"})");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(jsonNumber(p.body, "memory"), 1) << p.body;
  EXPECT_GE(jsonNumber(p.body, "redis"), 1) << p.body;
  expectGoneOnB("/bytes/310");

  // A whole URL: purged by path and query.
  p = purge(R"({"url": "http://cache.test/bytes/311?x=1"})");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(jsonNumber(p.body, "memory"), 1) << p.body;
  EXPECT_GE(jsonNumber(p.body, "redis"), 1) << p.body;
  expectGoneOnB("/bytes/311?x=1");

  expectStillOnB("/bytes/312");
  EXPECT_EQ(up_.requests(), origin + 2);  // the two MISSes on B
}

TEST_F(CacheRedisPurgeTest, ByPrefix) {
  cacheOnBoth("/bytes/71");
  cacheOnBoth("/bytes/72?k=v");
  cacheOnBoth("/bytes/81");

  Response p = purge(R"({"prefix": "/bytes/7"})");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(jsonNumber(p.body, "memory"), 2) << p.body;
  EXPECT_GE(jsonNumber(p.body, "redis"), 2) << p.body;
  expectGoneOnB("/bytes/71");
  expectGoneOnB("/bytes/72?k=v");
  expectStillOnB("/bytes/81");
}

TEST_F(CacheRedisPurgeTest, ByTag) {
  const std::string both = "/response-headers?Cache-Tag=t1,%20t2&n=1";  // Cache-Tag: t1, t2
  const std::string t2 = "/response-headers?Cache-Tag=t2&n=2";
  const std::string t3 = "/response-headers?Cache-Tag=t3&n=3";
  cacheOnBoth(both);
  cacheOnBoth(t2);
  cacheOnBoth(t3);

  Response p = purge(R"({"tag": "t1"})");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(jsonNumber(p.body, "memory"), 1) << p.body;
  EXPECT_GE(jsonNumber(p.body, "redis"), 1) << p.body;
  expectGoneOnB(both);
  expectStillOnB(t2);

  p = purge(R"({"tag": "t2"})");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_GE(jsonNumber(p.body, "redis"), 1) << p.body;
  expectGoneOnB(t2);
  expectStillOnB(t3);
}

// Every variant of a URL goes, with its vary marker.
TEST_F(CacheRedisPurgeTest, ByUrlTakesEveryVariant) {
  const std::string path = "/response-headers?Vary=X-Lang&v=2";
  auto lang = [](const std::string& l) { return Headers{{"Host", "cache.test"}, {"X-Lang", l}}; };
  ASSERT_EQ(xcache(a_->get(path, lang("en"))), "MISS");
  ASSERT_EQ(xcache(a_->get(path, lang("fr"))), "MISS");
  waitForEntries(3);  // the marker and two variants
  ASSERT_EQ(xcache(b_->get(path, lang("en"))), "HIT-REDIS");
  ASSERT_EQ(xcache(b_->get(path, lang("fr"))), "HIT-REDIS");
  ASSERT_EQ(xcache(b_->get(path, lang("en"))), "HIT-MEMORY");

  Response p = purge(R"({"url": "/response-headers?Vary=X-Lang&v=2"})");
  EXPECT_EQ(p.status, 200) << p.raw;
  EXPECT_EQ(jsonNumber(p.body, "memory"), 3) << p.body;
  EXPECT_EQ(jsonNumber(p.body, "redis"), 3) << p.body;
  std::vector<std::string> seen = pollUntilMiss(*b_, path, Ms(1000), lang("en"));
  EXPECT_EQ(seen.back(), "MISS") << joined(seen);
  EXPECT_EQ(xcache(b_->get(path, lang("fr"))), "MISS");
}

// --- 3. Redis killed and restarted under load -----------------------------------

TEST_F(CacheRedisTest, RedisRestartedUnderLoad) {
  startRedis();
  startReplicas(true);
  {
    HttpClient a = courier_->client();
    for (int i = 0; i < 10; ++i) ASSERT_EQ(get(a, "/bytes/256?w=" + std::to_string(i)).status, 200);
    HttpClient b = other_->client();
    ASSERT_EQ(xcache(get(b, "/bytes/256?b=1")), "MISS");
    ASSERT_EQ(xcache(get(b, "/bytes/256?b=1")), "HIT-MEMORY");
  }
  double errors0 = metric(*courier_, redisErrors("connect")) +
                   metric(*courier_, redisErrors("cache_get")) +
                   metric(*courier_, redisErrors("cache_put"));

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> ok{0}, bad{0};
  std::mutex mu;
  std::string first_bad;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c = courier_->client(Ms(5000));
      for (int i = 0; !stop.load(); ++i) {
        // Half cached keys, half new ones (a memory miss: Redis, then the origin).
        std::string path = i % 2 ? "/bytes/256?w=" + std::to_string(i % 10)
                                 : "/bytes/256?n=" + std::to_string(t) + "-" + std::to_string(i);
        Response r = get(c, path);
        if (r.status == 200 && r.body == pattern(256)) {
          ++ok;
        } else {
          std::lock_guard lock(mu);
          if (bad++ == 0)
            first_bad = path + ": status " + std::to_string(r.status) + " " + r.error + "\n" +
                        r.raw.substr(0, 500);
        }
        std::this_thread::sleep_for(Ms(2));
      }
    });
  }
  auto start = Clock::now();
  std::this_thread::sleep_for(Ms(1000));
  redis_->stop();
  std::this_thread::sleep_for(Ms(1000));
  bool restarted = redis_->start();
  std::this_thread::sleep_for(Ms(1000));
  stop = true;
  for (auto& t : threads) t.join();
  ASSERT_TRUE(restarted) << redis_->error();

  std::string summary = std::to_string(ok.load()) + " good, " + std::to_string(bad.load()) +
                        " bad in " + std::to_string(msSince(start)) + " ms";
  EXPECT_EQ(bad.load(), 0u) << summary << "; first bad: " << first_bad;
  EXPECT_GT(ok.load(), 100u) << summary;
  double errors = metric(*courier_, redisErrors("connect")) +
                  metric(*courier_, redisErrors("cache_get")) +
                  metric(*courier_, redisErrors("cache_put"));
  EXPECT_GT(errors, errors0) << "Redis was down for 1 s and no error was counted";
  EXPECT_GT(metric(*courier_, redisErrors("connect")), 0);

  // Both replicas reconnect (workers, purge client, subscriber) ...
  waitForRedis(2);
  HttpClient a = courier_->client(), b = other_->client();
  // B may have missed purges while its subscription was down, so it dropped
  // its memory copies once it was back.
  std::vector<std::string> seen = pollUntilMiss(b, "/bytes/256?b=1", Ms(1000));
  EXPECT_EQ(seen.back(), "MISS") << "B kept its memory layer across the lost subscription: "
                                 << joined(seen);
  // ... and share L2 again: a new key stored through A is a Redis hit on B.
  std::string last;
  int attempt = 0;
  bool shared = pollUntil(
      Ms(5000),
      [&] {
        std::string path = "/bytes/257?after=" + std::to_string(attempt++);
        size_t before = entryKeys(*redis_).size();
        if (xcache(get(a, path)) != "MISS") return false;
        if (!pollUntil(Ms(500), [&] { return entryKeys(*redis_).size() > before; })) return false;
        last = xcache(get(b, path));
        return last == "HIT-REDIS";
      },
      Ms(100));
  EXPECT_TRUE(shared) << "after the restart B answered " << last << " (" << attempt
                      << " attempts); Redis: " << redis_->command({"KEYS", "courier:*"});
}

// --- 4. Slow Redis -----------------------------------------------------------------

TEST_F(CacheRedisTest, SlowRedisIsTimedOut) {
  startRedis();
  startReplicas(false);
  HttpClient warm = courier_->client();
  ASSERT_EQ(xcache(get(warm, "/bytes/64?warm")), "MISS");
  waitForEntries(1);
  double get_errors0 = metric(*courier_, redisErrors("cache_get"));
  double layer_errors0 = metric(*courier_, cacheSeries("redis", "error"));

  ASSERT_TRUE(redis_->pause(Ms(2000)));
  auto paused = Clock::now();
  std::atomic<int64_t> slowest{0};
  std::atomic<int> requests{0}, bad{0};
  std::mutex mu;
  std::string first_bad;
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c = courier_->client(Ms(3000));
      for (int i = 0; msSince(paused) < 1500; ++i) {
        // Memory misses (Redis is asked), and now and then a memory hit.
        std::string path = i % 5 == 4
                               ? "/bytes/64?warm"
                               : "/bytes/64?slow=" + std::to_string(t) + "-" + std::to_string(i);
        Response r = get(c, path);
        int64_t ms = msBetween(r.sent_at, Clock::now());
        int64_t seen = slowest.load();
        while (ms > seen && !slowest.compare_exchange_weak(seen, ms)) {
        }
        ++requests;
        if (r.status != 200 || ms >= 300) {
          std::lock_guard lock(mu);
          if (bad++ == 0)
            first_bad = path + ": status " + std::to_string(r.status) + " after " +
                        std::to_string(ms) + " ms, x-cache " + xcache(r);
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_GT(requests.load(), 10);
  EXPECT_EQ(bad.load(), 0) << requests.load() << " requests, slowest " << slowest.load()
                           << " ms; first bad: " << first_bad;
  EXPECT_LT(slowest.load(), 300);
  EXPECT_GT(metric(*courier_, redisErrors("cache_get")), get_errors0);
  EXPECT_GT(metric(*courier_, cacheSeries("redis", "error")), layer_errors0);

  // Once the pause is over, entries reach Redis again.
  std::this_thread::sleep_for(Ms(2000) - (Clock::now() - paused));
  std::set<std::string> before = entryKeys(*redis_);
  int attempt = 0;
  EXPECT_TRUE(pollUntil(
      Ms(6000),
      [&] {
        get(warm, "/bytes/64?resumed=" + std::to_string(attempt++));
        std::this_thread::sleep_for(Ms(50));
        return entryKeys(*redis_).size() > before.size();
      },
      Ms(100)))
      << "nothing stored in Redis after the pause; " << attempt << " attempts";
}

// --- 5. Entries of another format version are never served ------------------------

TEST_F(CacheRedisTest, ForeignRedisEntriesAreNotServed) {
  startRedis();
  startReplicas(true);
  HttpClient a = courier_->client(), b = other_->client();

  // (1) A well-formed entry of format version 2 (checksum recomputed, so
  // only the version tells it apart).
  ASSERT_EQ(xcache(get(a, "/bytes/501")), "MISS");
  waitForEntries(1);
  std::string key = *entryKeys(*redis_).begin();
  std::string bytes = redis_->command({"GET", key});
  ASSERT_GT(bytes.size(), 11u) << bytes;
  ASSERT_EQ(bytes.substr(0, 3), std::string("CE\x01", 3)) << "not a version-1 entry";
  ASSERT_EQ(storedChecksum(bytes), computedChecksum(bytes)) << "checksum is not XXH3-64 LE";
  bytes[2] = 2;
  rewriteChecksum(bytes);
  ASSERT_EQ(redis_->command({"SET", key, bytes, "KEEPTTL"}), "OK");

  Response r = get(b, "/bytes/501");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "MISS") << r.raw;
  EXPECT_EQ(r.body, pattern(501));
  EXPECT_EQ(originHits("/bytes/501"), 2u);
  EXPECT_EQ(metric(*other_, cacheSeries("redis", "error")), 1);
  // B stored a good entry over it.
  EXPECT_TRUE(pollUntil(Ms(2000), [&] {
    std::string now = redis_->command({"GET", key});
    return now.size() > 2 && now[2] == 1;
  }));

  // (2) Garbage where the entry was.
  std::set<std::string> before = entryKeys(*redis_);
  ASSERT_EQ(xcache(get(a, "/bytes/502")), "MISS");
  waitForEntries(before.size() + 1);
  std::string key2;
  for (const auto& k : entryKeys(*redis_))
    if (!before.count(k)) key2 = k;
  ASSERT_FALSE(key2.empty());
  ASSERT_EQ(redis_->command({"SET", key2, "CE\x01 garbage, not an entry", "KEEPTTL"}), "OK");
  r = get(b, "/bytes/502");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "MISS") << r.raw;
  EXPECT_EQ(r.body, pattern(502));
  EXPECT_EQ(originHits("/bytes/502"), 2u);
  EXPECT_EQ(metric(*other_, cacheSeries("redis", "error")), 2);
  EXPECT_TRUE(other_->process().running());
}

// --- 6. Redis dead at startup --------------------------------------------------------

TEST_F(CacheRedisTest, DeadRedisAtStartup) {
  uint16_t closed = freeLoopbackPort();
  startProxy(kConfig, vars("redis://127.0.0.1:" + std::to_string(closed) + "/0"));
  EXPECT_EQ(courier_->adminClient().get("/ready").status, 200);
  HttpClient c = courier_->client();
  Response r = get(c, "/bytes/600");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "MISS");
  r = get(c, "/bytes/600");
  EXPECT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(xcache(r), "HIT-MEMORY");
  EXPECT_EQ(r.body, pattern(600));
  EXPECT_EQ(originHits("/bytes/600"), 1u);
  EXPECT_TRUE(pollUntil(Ms(3000), [&] { return metric(*courier_, redisErrors("connect")) >= 1; }));

  // A purge still empties the memory layer, but says Redis failed.
  Response p = purge(R"({"url": "/bytes/600"})");
  EXPECT_EQ(p.status, 503) << p.raw;
  EXPECT_EQ(jsonNumber(p.body, "memory"), 1) << p.body;
  EXPECT_EQ(xcache(get(c, "/bytes/600")), "MISS");
  EXPECT_EQ(originHits("/bytes/600"), 2u);
}

// --- 7. The memory bound holds under load --------------------------------------------

TEST_F(CacheRedisTest, MemoryStaysWithinItsBound) {
  startProxy(kSmallMemoryConfig);
  constexpr double kBound = 1 << 20;
  std::atomic<bool> done{false};
  std::atomic<int> samples{0};
  std::atomic<double> peak{0};
  std::thread sampler([&] {
    HttpClient admin = courier_->adminClient();
    while (!done.load()) {
      double v = sample(admin.get("/metrics").body, kMemoryBytes);
      if (v > peak.load()) peak = v;
      ++samples;
      std::this_thread::sleep_for(Ms(2));
    }
  });
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      HttpClient c = courier_->client();
      for (int i = 0; i < 150; ++i) {
        Response r = get(c, "/bytes/4096?k=" + std::to_string(t) + "-" + std::to_string(i));
        if (r.status != 200 || r.body.size() != 4096 || xcache(r) != "MISS") ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  std::this_thread::sleep_for(Ms(50));
  done = true;
  sampler.join();

  std::string text = courier_->adminClient().get("/metrics").body;
  double bytes = sample(text, kMemoryBytes);
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(samples.load(), 5);
  EXPECT_LE(peak.load(), kBound) << "peak courier_cache_bytes over " << samples << " samples";
  EXPECT_LE(bytes, kBound);
  EXPECT_GT(bytes, kBound / 2) << "the memory layer should be nearly full";
  EXPECT_GT(sample(text, kEvictions), 0) << text;
  double entries = sample(text, "courier_cache_entries{layer=\"memory\"}");
  EXPECT_GT(entries, 100);
  EXPECT_LT(entries, 256);  // 4 KiB bodies in 1 MiB
  EXPECT_EQ(up_.hits("/bytes/4096"), 600u);
}

}  // namespace
}  // namespace courier::test
