// scope = "redis" limits against a real redis-server: one budget shared by
// two courier processes, and the local fallback when Redis is stopped, slow
// or absent from the start (always 200 or 429, never a 5xx, and counted).
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "tests/integration/integration_support.h"
#include "tests/support/redis_server.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(2, "access_log = \"off\"\n") + R"(
[redis]
url = "{{REDIS_URL}}"
timeout = "{{TIMEOUT}}"

[[routes]]
name = "shared"
match = { prefix = "/" }
cluster = "agent"
rate_limit = { key = "route", rate = {{RATE}}, per = "{{PER}}", burst = {{BURST}}, scope = "redis" }
)";

constexpr int kWorkers = 2;  // as in configHead(2) above: one Redis connection each

double metric(const CourierProcess& courier, const std::string& series) {
  double v = sample(courier.adminClient().get("/metrics").body, series);
  return v < 0 ? 0 : v;
}

std::string fallbacks(const std::string& reason) {
  return "courier_ratelimit_fallbacks_total{route=\"shared\",reason=\"" + reason + "\"}";
}

std::string redisErrors(const std::string& op) {
  return "courier_redis_errors_total{op=\"" + op + "\"}";
}

long headerNumber(const Response& r, std::string_view name) {
  std::string v = r.header(name);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stol(v);
}

// Clients connected to Redis, other than the one asking.
int redisClients(const RedisServer& redis) {
  std::string list = redis.command({"CLIENT", "LIST"});
  int n = 0;
  for (size_t pos = list.find("id="); pos != std::string::npos; pos = list.find("id=", pos + 1))
    ++n;
  return n - 1;
}

std::string rateLimitKeys(const RedisServer& redis) {
  return redis.command({"KEYS", "courier:rl:*"});
}

// Requests from a few threads until stop(): every outcome that is not a 200
// or a 429 is a failure, with the first one kept for the message.
class Load {
 public:
  Load(uint16_t port, int threads, Ms pause) {
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this, port, pause] {
        HttpClient c(port, Ms(3000));
        while (!stop_.load()) {
          Response r = c.get("/bytes/8");
          int64_t ms = msBetween(r.sent_at, Clock::now());
          int64_t seen = max_ms_.load();
          while (ms > seen && !max_ms_.compare_exchange_weak(seen, ms)) {
          }
          if (r.status == 200) {
            ++ok_;
          } else if (r.status == 429) {
            ++limited_;
          } else {
            std::lock_guard lock(mu_);
            if (bad_++ == 0)
              first_bad_ = "status " + std::to_string(r.status) + " " + r.error + "\n" + r.raw;
          }
          if (pause.count() > 0) std::this_thread::sleep_for(pause);
        }
      });
    }
  }
  ~Load() { stop(); }
  void stop() {
    stop_ = true;
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }
  uint64_t total() const { return ok_ + limited_ + bad_; }
  std::string summary() {
    std::lock_guard lock(mu_);
    return "200s " + std::to_string(ok_) + ", 429s " + std::to_string(limited_) + ", other " +
           std::to_string(bad_) + ", slowest " + std::to_string(max_ms_) + " ms" +
           (bad_ ? "; first other: " + first_bad_ : "");
  }
  uint64_t bad() const { return bad_; }
  int64_t maxMs() const { return max_ms_; }

 private:
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ok_{0}, limited_{0}, bad_{0};
  std::atomic<int64_t> max_ms_{0};
  std::mutex mu_;
  std::string first_bad_;
};

class RateLimitRedisTest : public CourierTest {
 protected:
  std::map<std::string, std::string> vars(const std::string& url, const std::string& rate,
                                          const std::string& per, const std::string& burst,
                                          const std::string& timeout = "25ms") {
    return {{"REDIS_URL", url}, {"RATE", rate},       {"PER", per},
            {"BURST", burst},   {"TIMEOUT", timeout}, {"UPSTREAM", up_.address()}};
  }
  void startRedis(std::vector<std::string> args = {}) {
    redis_ = std::make_unique<RedisServer>(std::move(args));
    ASSERT_TRUE(redis_->ok()) << redis_->error();
  }
  // Until every worker of `couriers` courier processes holds its Redis
  // connection; a request before that would be decided locally.
  void waitForRedisClients(int couriers) {
    ASSERT_TRUE(pollUntil(Ms(5000), [&] { return redisClients(*redis_) >= couriers * kWorkers; }))
        << redis_->command({"CLIENT", "LIST"});
    // The connect callback runs on courier's side just after Redis accepts.
    std::this_thread::sleep_for(Ms(50));
  }
  void TearDown() override {
    CourierTest::TearDown();
    if (redis_ && redis_->process() && HasFailure())
      std::cerr << redis_->process()->logTail() << "\n";
  }

  std::unique_ptr<RedisServer> redis_;
};

// Two replicas, one budget: 10 tokens and one more per 10 s, so 20
// requests alternating between them get 10 200s (11 if a token came in).
TEST_F(RateLimitRedisTest, TwoProcessesShareOneBucket) {
  startRedis();
  // A generous command timeout: a fallback here would be noise, not the test.
  auto v = vars(redis_->url(), "1", "10s", "10", "500ms");
  startProxy(kConfig, v);
  CourierOptions options;
  options.vars = v;
  auto other = startCourier(kConfig, options);
  ASSERT_TRUE(other->ok()) << other->error();
  waitForRedisClients(2);

  HttpClient a = courier_->client(), b = other->client();
  std::vector<int> got;
  for (int i = 0; i < 20; ++i) {
    Response r = (i % 2 ? b : a).get("/bytes/1");
    got.push_back(r.ok() ? r.status : -1);
    if (i == 0) {
      EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 10) << r.raw;
      EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 9) << r.raw;
    }
    if (i == 19) {
      EXPECT_EQ(r.status, 429) << r.raw;
      EXPECT_GE(headerNumber(r, "Retry-After"), 1) << r.raw;
      EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 0) << r.raw;
    }
  }
  long allowed = std::count(got.begin(), got.end(), 200);
  long refused = std::count(got.begin(), got.end(), 429);
  std::string seq;
  for (int s : got) seq += std::to_string(s) + " ";
  EXPECT_GE(allowed, 10) << seq;
  EXPECT_LE(allowed, 11) << seq;
  EXPECT_EQ(allowed + refused, 20) << seq;
  for (int i = 0; i < 10; ++i) EXPECT_EQ(got[i], 200) << "request " << i << ": " << seq;

  for (const CourierProcess* c : {courier_.get(), other.get()}) {
    for (const char* reason : {"disconnected", "timeout", "error"})
      EXPECT_EQ(metric(*c, fallbacks(reason)), 0) << reason;
  }
  std::string keys = rateLimitKeys(*redis_);
  EXPECT_NE(keys.find("courier:rl:shared:"), std::string::npos) << keys;
}

// Redis killed under load: the local buckets answer (200 or 429, never a
// 5xx or a dropped connection) and the fallbacks are counted; once Redis is
// back on the same port, decisions go back to it within the reconnect
// backoff (at most 5 s).
TEST_F(RateLimitRedisTest, RedisStoppedUnderLoadFallsBackAndRecovers) {
  startRedis();
  startProxy(kConfig, vars(redis_->url(), "200", "1s", "200"));
  waitForRedisClients(1);
  Load load(courier_->port(), 4, Ms(2));
  ASSERT_TRUE(pollUntil(Ms(3000), [&] { return load.total() > 200; })) << load.summary();
  std::string keys = rateLimitKeys(*redis_);
  EXPECT_NE(keys.find("courier:rl:shared:"), std::string::npos) << keys;

  double disconnected0 = metric(*courier_, fallbacks("disconnected"));
  double connect_errors0 = metric(*courier_, redisErrors("connect"));
  redis_->stop();
  EXPECT_TRUE(pollUntil(
      Ms(3000), [&] { return metric(*courier_, fallbacks("disconnected")) > disconnected0 + 50; }))
      << "no disconnected fallbacks: " << metric(*courier_, fallbacks("disconnected")) << "; "
      << load.summary();
  EXPECT_TRUE(pollUntil(Ms(3000), [&] {
    return metric(*courier_, redisErrors("connect")) > connect_errors0;
  })) << "failed reconnects were not counted";
  std::this_thread::sleep_for(Ms(500));  // load on the fallback for a while
  EXPECT_EQ(load.bad(), 0u) << load.summary();

  ASSERT_TRUE(redis_->start()) << redis_->error();
  auto restarted = Clock::now();
  // Back on Redis: a key appears in the new (empty) server, and the
  // fallback counter stops moving while the load goes on.
  double last = metric(*courier_, fallbacks("disconnected"));
  int still = 0;
  bool recovered = pollUntil(
      Ms(10000),
      [&] {
        double now = metric(*courier_, fallbacks("disconnected"));
        still = now == last ? still + 1 : 0;
        last = now;
        return still >= 5 && rateLimitKeys(*redis_).find("courier:rl:") != std::string::npos;
      },
      Ms(100));
  EXPECT_TRUE(recovered) << "still falling back " << msSince(restarted)
                         << " ms after Redis came back; " << load.summary();
  load.stop();
  EXPECT_EQ(load.bad(), 0u) << load.summary();
  EXPECT_GT(metric(*courier_,
                   "courier_ratelimit_decisions_total{route=\"shared\",decision="
                   "\"allowed\"}"),
            0);
}

// DEBUG SLEEP stalls Redis for 500 ms: no request waits for it longer than
// the command timeout (25 ms) plus a generous margin; the stalled commands
// count as "timeout" fallbacks.
TEST_F(RateLimitRedisTest, SlowRedisIsTimedOut) {
  startRedis({"--enable-debug-command", "yes"});
  startProxy(kConfig, vars(redis_->url(), "10000", "1s", "10000"));
  waitForRedisClients(1);
  double timeouts0 = metric(*courier_, fallbacks("timeout"));
  double errors0 = metric(*courier_, redisErrors("ratelimit"));

  Load load(courier_->port(), 2, Ms(5));
  ASSERT_TRUE(pollUntil(Ms(3000), [&] { return load.total() > 20; })) << load.summary();
  // Blocks this thread (not the load) until Redis wakes up.
  std::string slept = redis_->command({"DEBUG", "SLEEP", "0.5"}, Ms(3000));
  std::this_thread::sleep_for(Ms(300));  // and some requests after it
  load.stop();

  EXPECT_EQ(slept, "OK");
  EXPECT_EQ(load.bad(), 0u) << load.summary();
  EXPECT_LT(load.maxMs(), 300) << load.summary();
  EXPECT_GT(metric(*courier_, fallbacks("timeout")), timeouts0) << load.summary();
  EXPECT_GT(metric(*courier_, redisErrors("ratelimit")), errors0);
}

// A Redis that answers the script with an error (here: no EVAL/EVALSHA):
// the local bucket decides and the fallback counts as "error".
TEST_F(RateLimitRedisTest, ErrorRepliesFallBackToTheLocalBucket) {
  startRedis({"--rename-command", "EVALSHA", "", "--rename-command", "EVAL", ""});
  startProxy(kConfig, vars(redis_->url(), "1", "100s", "3", "500ms"));
  waitForRedisClients(1);
  HttpClient c = courier_->client();
  std::vector<int> got;
  for (int i = 0; i < 5; ++i) {
    Response r = c.get("/bytes/1");
    got.push_back(r.ok() ? r.status : -1);
  }
  EXPECT_EQ(got, std::vector<int>({200, 200, 200, 429, 429}));
  EXPECT_TRUE(pollUntil(Ms(2000), [&] { return metric(*courier_, fallbacks("error")) == 5; }))
      << metric(*courier_, fallbacks("error"));
  EXPECT_EQ(metric(*courier_, redisErrors("ratelimit")), 5);
  EXPECT_TRUE(courier_->process().running());
}

// No Redis at all when courier starts: it is ready, and the limit is
// decided by the local bucket (exactly: burst 3, no refill), each decision
// counted as a "disconnected" fallback.
TEST_F(RateLimitRedisTest, DeadRedisAtStartupUsesTheLocalBucket) {
  uint16_t closed = freeLoopbackPort();
  startProxy(kConfig, vars("redis://127.0.0.1:" + std::to_string(closed) + "/0", "1", "100s", "3"));
  EXPECT_EQ(courier_->adminClient().get("/ready").status, 200);
  HttpClient c = courier_->client();
  std::vector<int> got;
  for (int i = 0; i < 5; ++i) {
    Response r = c.get("/bytes/1");
    got.push_back(r.ok() ? r.status : -1);
    if (i == 4) {
      EXPECT_GE(headerNumber(r, "Retry-After"), 1) << r.raw;
      EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 3) << r.raw;
    }
  }
  EXPECT_EQ(got, std::vector<int>({200, 200, 200, 429, 429}));
  EXPECT_TRUE(pollUntil(Ms(2000), [&] {
    return metric(*courier_, fallbacks("disconnected")) == 5;
  })) << metric(*courier_, fallbacks("disconnected"));
  EXPECT_TRUE(pollUntil(Ms(3000), [&] { return metric(*courier_, redisErrors("connect")) >= 1; }));
}

// Ids of the clients connected to Redis, other than the one asking.
std::set<std::string> redisClientIds(const RedisServer& redis) {
  std::set<std::string> ids;
  std::string list = redis.command({"CLIENT", "LIST"});
  size_t start = 0;
  while (start < list.size()) {
    size_t end = list.find('\n', start);
    std::string line =
        list.substr(start, end == std::string::npos ? std::string::npos : end - start);
    start = end == std::string::npos ? list.size() : end + 1;
    size_t id = line.find("id=");
    if (id == std::string::npos || line.find("cmd=client") != std::string::npos) continue;
    ids.insert(line.substr(id, line.find(' ', id) - id));
  }
  return ids;
}

// A reload that keeps [redis] as it was keeps the workers' connections (no
// reconnect, no window of local decisions); one that changes it reconnects.
TEST_F(RateLimitRedisTest, ReloadKeepsTheRedisConnectionUnlessRedisChanged) {
  startRedis();
  auto v = vars(redis_->url(), "1", "100s", "100", "500ms");
  startProxy(kConfig, v);
  waitForRedisClients(1);
  std::set<std::string> before = redisClientIds(*redis_);
  ASSERT_EQ(before.size(), static_cast<size_t>(kWorkers)) << redis_->command({"CLIENT", "LIST"});

  auto reload = [&](const std::string& config, double expected_reloads) {
    std::string error;
    ASSERT_TRUE(courier_->rewriteConfig(config, &error)) << error;
    courier_->process().signal(SIGHUP);
    ASSERT_TRUE(pollUntil(Ms(5000), [&] {
      return metric(*courier_, "courier_config_reloads_total{result=\"success\"}") ==
             expected_reloads;
    }));
  };
  // Same [redis], one more route.
  reload(kConfig +
             "\n[[routes]]\nname = \"extra\"\nmatch = { path = \"/extra\" }\n"
             "cluster = \"agent\"\n",
         1);
  {
    // A client connection keeps the generation it began in (and so its
    // Redis connection) until it closes: this one closes before the next
    // reload.
    HttpClient c = courier_->client();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(c.get("/bytes/1").status, 200);
  }
  EXPECT_EQ(redisClientIds(*redis_), before) << "the reload reconnected to Redis";
  for (const char* reason : {"disconnected", "timeout", "error"})
    EXPECT_EQ(metric(*courier_, fallbacks(reason)), 0) << reason;

  // A different timeout is a different [redis]: new connections.
  std::string changed = kConfig;
  const std::string from = "timeout = \"{{TIMEOUT}}\"";
  changed.replace(changed.find(from), from.size(), "timeout = \"400ms\"");
  reload(changed, 2);
  // The old connections close with the old generation; new ones replace them.
  EXPECT_TRUE(pollUntil(Ms(5000), [&] {
    std::set<std::string> now = redisClientIds(*redis_);
    return now.size() == static_cast<size_t>(kWorkers) &&
           std::none_of(now.begin(), now.end(), [&](const auto& id) { return before.count(id); });
  })) << redis_->command({"CLIENT", "LIST"});
}

}  // namespace
}  // namespace courier::test
