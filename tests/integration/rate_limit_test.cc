// The rate_limit filter with local scope, against the real binary: the
// budget is exact across workers under a flood, the RateLimit-* headers and
// the 429, the keys (header, client_ip behind trusted proxies), refunds
// between limits, buckets kept across a reload, and the config check.
// Redis scope is in rate_limit_redis_test.cc.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

// --- helpers ----------------------------------------------------------------------

// A Prometheus sample, 0 if the series is not printed (courier lists a
// route's rate-limit series only once it has counted something).
double metric(const CourierProcess& courier, const std::string& series) {
  double v = sample(courier.adminClient().get("/metrics").body, series);
  return v < 0 ? 0 : v;
}

std::string decisions(const std::string& route, const std::string& decision) {
  return "courier_ratelimit_decisions_total{route=\"" + route + "\",decision=\"" + decision + "\"}";
}

// An integer header, or -1 if absent or not a number.
long headerNumber(const Response& r, std::string_view name) {
  std::string v = r.header(name);
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stol(v);
}

// The statuses of `n` requests on one connection.
std::vector<int> statuses(HttpClient& c, const std::string& target, const Headers& h, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; ++i) {
    Response r = c.get(target, h);
    out.push_back(r.ok() ? r.status : -1);
  }
  return out;
}

using V = std::vector<int>;

// --- exactness under a flood -----------------------------------------------------

const std::string kFloodConfig = configHead(4, "access_log = \"off\"\n") + R"(
[[routes]]
name = "limited"
match = { prefix = "/" }
cluster = "agent"
rate_limit = { key = "{{KEY}}", rate = 50, per = "1s", burst = 50 }
)";

constexpr double kRate = 50, kBurst = 50;

struct Outcome {
  int status = 0;  // 0: transport error
  Clock::time_point sent, done;
};

class RateLimitFloodTest : public CourierTest, public ::testing::WithParamInterface<std::string> {};

// The issue's acceptance test: 32 keep-alive connections flood a route
// limited to 50/s with burst 50 for 2 s, over 4 workers. The 200s must match
// the token bucket: at most burst + rate x (the whole window), and at least
// what the bucket provably minted. A 429 sent at time t proves the bucket
// was empty when it was decided (at or after t), so by the last 429 the
// bucket had handed out burst + rate x (t - first decision) tokens, less
// under one still in it; the first decision comes before the first answer.
TEST_P(RateLimitFloodTest, BudgetIsExactAcrossWorkers) {
  startProxy(kFloodConfig, {{"KEY", GetParam()}});
  constexpr int kThreads = 32;
  constexpr auto kDuration = Ms(2000);

  std::vector<std::vector<Outcome>> results(kThreads);
  std::vector<HttpClient> clients;
  for (int i = 0; i < kThreads; ++i) {
    clients.push_back(courier_->client(Ms(5000)));
    ASSERT_TRUE(clients.back().connect()) << "connection " << i;
  }
  std::atomic<bool> go{false};
  Clock::time_point t_first;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
      auto end = t_first + kDuration;
      while (Clock::now() < end) {
        Response r = clients[i].get("/bytes/16");
        results[i].push_back({r.ok() ? r.status : 0, r.sent_at, r.done_at});
      }
    });
  }
  t_first = Clock::now();
  go.store(true, std::memory_order_release);
  for (auto& t : threads) t.join();

  int n200 = 0, n429 = 0, other = 0;
  Clock::time_point t_last = t_first, first_done = Clock::time_point::max(),
                    last_429_sent = t_first;
  for (const auto& list : results) {
    for (const Outcome& o : list) {
      t_last = std::max(t_last, o.done);
      first_done = std::min(first_done, o.done);
      if (o.status == 200) {
        ++n200;
      } else if (o.status == 429) {
        ++n429;
        last_429_sent = std::max(last_429_sent, o.sent);
      } else {
        ++other;
      }
    }
  }
  auto seconds = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
  };
  double upper = kBurst + kRate * seconds(t_first, t_last);
  double window = seconds(first_done, last_429_sent);
  double lower = kBurst + kRate * window - 1;
  int total = n200 + n429 + other;
  std::string summary = "200s " + std::to_string(n200) + ", 429s " + std::to_string(n429) +
                        ", other " + std::to_string(other) + ", window " + std::to_string(window) +
                        " s, bounds [" + std::to_string(lower) + ", " + std::to_string(upper) + "]";
  EXPECT_EQ(other, 0) << summary;
  // Saturated: far more than 50 requests a second were offered, and 429s
  // went on to the end, so the lower bound covers most of the run.
  EXPECT_GT(total, 20 * kRate) << summary;
  EXPECT_GT(window, 1.5) << summary;
  EXPECT_LE(n200, upper + 1) << summary;
  EXPECT_GE(n200, 0.98 * lower) << summary;

  // Every response was one decision.
  EXPECT_TRUE(pollUntil(Ms(2000),
                        [&] {
                          return metric(*courier_, decisions("limited", "allowed")) == n200 &&
                                 metric(*courier_, decisions("limited", "limited")) == n429;
                        }))
      << summary << "; metrics say allowed " << metric(*courier_, decisions("limited", "allowed"))
      << ", limited " << metric(*courier_, decisions("limited", "limited"));
}

INSTANTIATE_TEST_SUITE_P(Keys, RateLimitFloodTest, ::testing::Values("route", "client_ip"),
                         [](const auto& param_info) { return param_info.param; });

// --- headers ----------------------------------------------------------------------

const std::string kHeadersConfig = configHead(2, "access_log = \"off\"\n") + R"(
[[routes]]
name = "countdown"
match = { prefix = "/countdown/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = { key = "client_ip", rate = 5, per = "50s", burst = 5 }

[[routes]]
name = "tightest"
match = { prefix = "/tightest/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = [ { key = "client_ip", rate = 100, per = "1s", burst = 100 },
               { key = "header:x-api-key", rate = 1, per = "100s", burst = 3 } ]
)";

class RateLimitHeadersTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kHeadersConfig); }
};

// One token per 10 s, 5 at most: no refill during the test, so each
// response's numbers are known (Reset up to a second less on a slow run).
TEST_F(RateLimitHeadersTest, AllowedResponsesCountDownAndTheRefusalIs429) {
  HttpClient c = courier_->client();
  for (int k = 1; k <= 5; ++k) {
    Response r = c.get("/countdown/bytes/4");
    ASSERT_EQ(r.status, 200) << "request " << k << ": " << r.error << r.raw;
    EXPECT_EQ(r.body, "abcd");
    EXPECT_EQ(r.count("ratelimit-limit"), 1u) << r.raw;
    EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 5) << r.raw;
    EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 5 - k) << r.raw;
    long reset = headerNumber(r, "RateLimit-Reset");
    EXPECT_GE(reset, 10 * k - 2) << r.raw;
    EXPECT_LE(reset, 10 * k) << r.raw;
    EXPECT_GE(reset, 1);
    EXPECT_LE(reset, 50) << "more than burst x per / rate";
  }
  uint64_t upstream_before = up_.hits("/bytes/4");
  Response r = c.get("/countdown/bytes/4", {{"X-Request-Id", "rl-test-429"}});
  ASSERT_EQ(r.status, 429) << r.error << r.raw;
  long retry = headerNumber(r, "Retry-After");
  EXPECT_GE(retry, 1) << r.raw;
  EXPECT_LE(retry, 10) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 5) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 0) << r.raw;
  long reset = headerNumber(r, "RateLimit-Reset");
  EXPECT_GE(reset, 48) << r.raw;
  EXPECT_LE(reset, 50) << r.raw;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos) << r.raw;
  std::map<std::string, std::string> body;
  std::string error;
  ASSERT_TRUE(parseJsonObject(r.body, &body, &error)) << error << "\n" << r.body;
  EXPECT_EQ(body["error"], "rate_limited");
  EXPECT_FALSE(body["message"].empty());
  EXPECT_EQ(body["request_id"], "rl-test-429");
  if (r.has("x-request-id")) {
    EXPECT_EQ(r.header("x-request-id"), body["request_id"]);
  }
  // Refused before the upstream, and the connection stays usable.
  EXPECT_EQ(up_.hits("/bytes/4"), upstream_before);
  EXPECT_EQ(c.get("/countdown/bytes/4").status, 429);
  EXPECT_EQ(c.connectCount(), 1);

  // A generated request id is reported too.
  r = c.get("/countdown/bytes/4");
  ASSERT_TRUE(parseJsonObject(r.body, &body, &error)) << error << "\n" << r.body;
  EXPECT_EQ(body["request_id"].size(), 36u) << r.body;
}

TEST_F(RateLimitHeadersTest, HeadersReportTheTightestLimit) {
  HttpClient c = courier_->client();
  for (int k = 1; k <= 3; ++k) {
    Response r = c.get("/tightest/bytes/1", {{"x-api-key", "k1"}});
    ASSERT_EQ(r.status, 200) << r.error << r.raw;
    EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 3) << r.raw;
    EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 3 - k) << r.raw;
    EXPECT_GE(headerNumber(r, "RateLimit-Reset"), 100 * k - 2) << r.raw;
    EXPECT_LE(headerNumber(r, "RateLimit-Reset"), 100 * k) << r.raw;
  }
  Response r = c.get("/tightest/bytes/1", {{"x-api-key", "k1"}});
  ASSERT_EQ(r.status, 429) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 3) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 0) << r.raw;
  EXPECT_GE(headerNumber(r, "Retry-After"), 98) << r.raw;
  // Another key: the client_ip limit (100, 3 spent plus refill) is still
  // looser than the fresh key's 3.
  r = c.get("/tightest/bytes/1", {{"x-api-key", "k2"}});
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 3) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 2) << r.raw;
}

// --- keys ------------------------------------------------------------------------

// Every limit: one token per 100 s, so nothing refills during a test.
const std::string kKeysConfig =
    configHead(2, "trusted_proxies = {{TRUSTED}}\naccess_log = \"off\"\n") + R"(
[[routes]]
name = "hdr"
match = { prefix = "/hdr/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = [ { key = "header:x-api-key", rate = 1, per = "100s", burst = 2 } ]

[[routes]]
name = "hdr-skip"
match = { prefix = "/hdr-skip/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = { key = "header:X-Api-Key", rate = 1, per = "100s", burst = 2, skip_if_missing = true }

[[routes]]
name = "ip"
match = { prefix = "/ip/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 2 }

[[routes]]
name = "route-then-key"
match = { prefix = "/route-then-key/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = [ { key = "route", rate = 1, per = "100s", burst = 6 },
               { key = "header:x-api-key", rate = 1, per = "100s", burst = 2, skip_if_missing = true } ]

[[routes]]
name = "key-then-ip"
match = { prefix = "/key-then-ip/" }
cluster = "agent"
prefix_rewrite = "/"
rate_limit = [ { key = "header:x-api-key", rate = 1, per = "100s", burst = 3 },
               { key = "client_ip", rate = 1, per = "100s", burst = 2 } ]
)";

class RateLimitKeysTest : public CourierTest {
 protected:
  void start(const std::string& trusted) { startProxy(kKeysConfig, {{"TRUSTED", trusted}}); }
};

TEST_F(RateLimitKeysTest, HeaderKeysHaveSeparateBudgets) {
  start("[\"127.0.0.1/32\"]");
  HttpClient c = courier_->client();
  EXPECT_EQ(statuses(c, "/hdr/bytes/1", {{"X-API-Key", "alpha"}}, 3), V({200, 200, 429}));
  EXPECT_EQ(statuses(c, "/hdr/bytes/1", {{"x-api-key", "beta"}}, 3), V({200, 200, 429}));
  EXPECT_EQ(statuses(c, "/hdr/bytes/1", {{"x-api-key", "alpha"}}, 1), V({429}));
  // Requests without the header share one (empty-key) bucket.
  EXPECT_EQ(statuses(c, "/hdr/bytes/1", {}, 3), V({200, 200, 429}));
  HttpClient other = courier_->client();
  EXPECT_EQ(statuses(other, "/hdr/bytes/1", {}, 1), V({429}));
  EXPECT_EQ(statuses(other, "/hdr/bytes/1", {{"x-api-key", "gamma"}}, 1), V({200}));
}

TEST_F(RateLimitKeysTest, SkipIfMissingLeavesRequestsWithoutTheHeaderUnlimited) {
  start("[]");
  HttpClient c = courier_->client();
  EXPECT_EQ(statuses(c, "/hdr-skip/bytes/1", {}, 6), V(6, 200));
  EXPECT_EQ(statuses(c, "/hdr-skip/bytes/1", {{"x-api-key", "alpha"}}, 3), V({200, 200, 429}));
  EXPECT_EQ(statuses(c, "/hdr-skip/bytes/1", {}, 2), V({200, 200}));
}

TEST_F(RateLimitKeysTest, ClientIpBehindTrustedProxiesIsTheRightMostUntrustedHop) {
  start("[\"127.0.0.1/32\"]");
  HttpClient c = courier_->client();
  auto xff = [](const std::string& v) { return Headers{{"X-Forwarded-For", v}}; };
  EXPECT_EQ(statuses(c, "/ip/bytes/1", xff("10.0.0.1"), 3), V({200, 200, 429}));
  EXPECT_EQ(statuses(c, "/ip/bytes/1", xff("10.0.0.2"), 3), V({200, 200, 429}));
  // Trusted hops on the right are skipped: this is 10.9.9.9.
  EXPECT_EQ(statuses(c, "/ip/bytes/1", xff("10.9.9.9, 127.0.0.1"), 3), V({200, 200, 429}));
  EXPECT_EQ(statuses(c, "/ip/bytes/1", xff("10.9.9.9"), 1), V({429}));
  // A client cannot pick a fresh key by prepending hops: the right-most
  // untrusted one counts.
  EXPECT_EQ(statuses(c, "/ip/bytes/1", xff("192.0.2.1, 10.9.9.9"), 1), V({429}));
  // Two x-forwarded-for fields are one list.
  EXPECT_EQ(statuses(c, "/ip/bytes/1",
                     {{"X-Forwarded-For", "10.0.0.3"}, {"X-Forwarded-For", "10.0.0.1"}}, 1),
            V({429}));
  // Without the header the peer itself is the key, a bucket of its own.
  EXPECT_EQ(statuses(c, "/ip/bytes/1", {}, 3), V({200, 200, 429}));
}

TEST_F(RateLimitKeysTest, ClientIpIgnoresForwardedForWithoutTrustedProxies) {
  start("[]");
  HttpClient c = courier_->client();
  EXPECT_EQ(statuses(c, "/ip/bytes/1", {{"X-Forwarded-For", "10.0.0.1"}}, 2), V({200, 200}));
  EXPECT_EQ(statuses(c, "/ip/bytes/1", {{"X-Forwarded-For", "10.0.0.2"}}, 1), V({429}));
  EXPECT_EQ(statuses(c, "/ip/bytes/1", {}, 1), V({429}));
}

// --- a refusal costs the other limits nothing --------------------------------------

TEST_F(RateLimitKeysTest, RefusedRequestCostsNoTokensFromTheOtherLimits) {
  start("[\"127.0.0.1/32\"]");
  HttpClient c = courier_->client();
  // route (6) then key (2): the key refuses after 2; the route's bucket
  // must still hold 6 - 2 tokens. A request without the key sees only the
  // route limit.
  EXPECT_EQ(statuses(c, "/route-then-key/bytes/1", {{"x-api-key", "k1"}}, 6),
            V({200, 200, 429, 429, 429, 429}));
  Response r = c.get("/route-then-key/bytes/1");
  ASSERT_EQ(r.status, 200) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 6) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 3) << "refused requests took route tokens";

  // key (3) then client_ip (2): the address refuses after 2, after the key
  // limit (listed first) already gave its token, which must come back.
  auto from = [](const std::string& ip) {
    return Headers{{"X-Forwarded-For", ip}, {"x-api-key", "k1"}};
  };
  EXPECT_EQ(statuses(c, "/key-then-ip/bytes/1", from("10.1.0.1"), 5), V({200, 200, 429, 429, 429}));
  r = c.get("/key-then-ip/bytes/1", from("10.1.0.2"));
  ASSERT_EQ(r.status, 200) << "refused requests took the key's tokens\n" << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 3) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 0) << r.raw;
  r = c.get("/key-then-ip/bytes/1", from("10.1.0.3"));
  EXPECT_EQ(r.status, 429) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 3) << r.raw;
}

// --- courier's own answers on a limited route ----------------------------------------

const std::string kOwnRepliesConfig = configHead(2, "access_log = \"off\"\n") + R"(
[clusters.dead]
endpoints = ["127.0.0.1:{{DEAD_PORT}}"]

[[routes]]
name = "dead"
match = { prefix = "/dead/" }
cluster = "dead"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 5 }

[[routes]]
name = "slow"
match = { prefix = "/delay/" }
cluster = "agent"
timeout = "100ms"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 5 }

[[routes]]
name = "echo"
match = { prefix = "/echo" }
cluster = "agent"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 1 }
)";

using RateLimitOwnRepliesTest = CourierTest;

// SPEC: every response of a limited route carries RateLimit-*; the 503
// and 504 courier answers itself after the limit allowed the request too.
// Disabled: courier sends them without (found while writing these tests).
TEST_F(RateLimitOwnRepliesTest, CourierErrorRepliesCarryTheHeaders) {
  uint16_t dead = 0;
  int fd = boundLoopbackSocket(&dead);  // bound, never listening: connects are refused
  ASSERT_GE(fd, 0);
  startProxy(kOwnRepliesConfig, {{"DEAD_PORT", std::to_string(dead)}});
  HttpClient c = courier_->client();
  Response r = c.get("/dead/x");
  EXPECT_EQ(r.status, 503) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 5) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 4) << r.raw;
  r = c.get("/delay/1000");
  EXPECT_EQ(r.status, 504) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Limit"), 5) << r.raw;
  EXPECT_EQ(headerNumber(r, "RateLimit-Remaining"), 4) << r.raw;
  close(fd);
}

// A 429 for a request whose body courier did not read: either the
// connection stays usable or the answer says `connection: close` (RFC 9112
// 9.6). Disabled: courier closes it without saying so, even when the whole
// 5-byte body arrived with the head (found while writing these tests).
TEST_F(RateLimitOwnRepliesTest, RefusedPostClosesCleanlyOrKeepsTheConnection) {
  startProxy(kOwnRepliesConfig, {{"DEAD_PORT", "1"}});
  HttpClient c = courier_->client();
  ASSERT_EQ(c.post("/echo", "hello").status, 200);
  Response r = c.post("/echo", "hello");
  ASSERT_EQ(r.status, 429) << r.raw;
  if (r.header("connection") != "close") {
    ASSERT_TRUE(c.sendRaw("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n"));
    Response next = c.readResponse();
    EXPECT_EQ(next.status, 429) << "no connection: close, yet the connection was closed: "
                                << next.error;
  }
}

// --- reload ----------------------------------------------------------------------

const std::string kReloadGen1 = configHead(2) + R"(
[[routes]]
name = "limited"
match = { prefix = "/" }
cluster = "agent"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 2 }
)";

// The same limit, behind a new route (so the route's index moves too).
const std::string kReloadGen2 = configHead(2) + R"(
[[routes]]
name = "extra"
match = { prefix = "/extra/" }
cluster = "agent"
prefix_rewrite = "/"

[[routes]]
name = "limited"
match = { prefix = "/" }
cluster = "agent"
rate_limit = { key = "client_ip", rate = 1, per = "100s", burst = 2 }
)";

// A different rate: a different limit, with fresh buckets.
const std::string kReloadGen3 = configHead(2) + R"(
[[routes]]
name = "limited"
match = { prefix = "/" }
cluster = "agent"
rate_limit = { key = "client_ip", rate = 2, per = "100s", burst = 2 }
)";

class RateLimitReloadTest : public CourierTest {
 protected:
  void reloadTo(const std::string& config, double expected_successes) {
    std::string error;
    ASSERT_TRUE(courier_->rewriteConfig(config, &error)) << error;
    courier_->process().signal(SIGHUP);
    ASSERT_TRUE(pollUntil(Ms(5000),
                          [&] {
                            return metric(*courier_,
                                          "courier_config_reloads_total{result=\"success\"}") ==
                                   expected_successes;
                          }))
        << "reload " << expected_successes << " not applied";
  }
};

TEST_F(RateLimitReloadTest, UnchangedLimitKeepsItsBucketsAndAChangedOneStartsFresh) {
  startProxy(kReloadGen1);
  HttpClient c = courier_->client();
  EXPECT_EQ(statuses(c, "/bytes/1", {}, 3), V({200, 200, 429}));

  reloadTo(kReloadGen2, 1);
  HttpClient fresh = courier_->client();
  EXPECT_EQ(fresh.get("/extra/bytes/1").status, 200) << "the new route is not in use";
  EXPECT_EQ(statuses(fresh, "/bytes/1", {}, 1), V({429})) << "the reload refilled the bucket";
  EXPECT_EQ(statuses(c, "/bytes/1", {}, 1), V({429}));

  reloadTo(kReloadGen3, 2);
  EXPECT_EQ(statuses(c, "/bytes/1", {}, 3), V({200, 200, 429}));
}

// --- config check ------------------------------------------------------------------

struct CheckRun {
  std::optional<int> exit;
  std::string err;
};

CheckRun checkConfig(const std::string& text) {
  TempDir dir;
  std::string path = dir.file("courier.toml");
  if (!writeFile(path, text)) return {};
  Process p(detail::courierBinary(), {"--check-config", path});
  CheckRun r;
  r.exit = p.waitExit(Ms(10000));
  r.err = p.stdoutText() + p.stderrText();
  return r;
}

constexpr const char* kRedisScopeRoute = R"(
[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "limited"
match = { prefix = "/" }
cluster = "agent"
rate_limit = [ { key = "route", rate = 10, scope = "redis" } ]
)";

TEST(RateLimitConfigTest, RedisScopeNeedsARedisSection) {
  CheckRun r = checkConfig(std::string("[server]\nlisten = \"127.0.0.1:1\"\n") + kRedisScopeRoute);
  EXPECT_EQ(r.exit, 1) << r.err;
  EXPECT_NE(r.err.find("routes[0].rate_limit[0].scope"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("[redis]"), std::string::npos) << r.err;

  // With the section it is valid (nothing connects during the check).
  r = checkConfig(std::string("[server]\nlisten = \"127.0.0.1:1\"\n\n[redis]\nurl = "
                              "\"redis://127.0.0.1:1/0\"\n") +
                  kRedisScopeRoute);
  EXPECT_EQ(r.exit, 0) << r.err;
}

}  // namespace
}  // namespace courier::test
