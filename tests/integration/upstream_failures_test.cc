// Upstream failures: refused connections (503), route timeouts (504),
// malformed responses (502), an upstream that dies mid-body, load balancing
// over two demo upstreams, and recovery after each failure.
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(1) + R"(
[clusters.dead]
endpoints = ["127.0.0.1:{{DEAD_PORT}}"]
connect_timeout = "500ms"

[clusters.pair]
endpoints = ["{{UPSTREAM}}", "{{UPSTREAM2}}"]
lb = "round_robin"

[clusters.least]
endpoints = ["{{UPSTREAM}}", "{{UPSTREAM2}}"]
lb = "least_request"

[[routes]]
name = "dead"
match = { prefix = "/dead/" }
cluster = "dead"

[[routes]]
name = "slow"
match = { prefix = "/delay/" }
cluster = "agent"
timeout = "200ms"

[[routes]]
name = "rr"
match = { prefix = "/rr/" }
cluster = "pair"
prefix_rewrite = "/"

[[routes]]
name = "lr"
match = { prefix = "/lr/" }
cluster = "least"
prefix_rewrite = "/"

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

class UpstreamFailuresTest : public CourierTest {
 protected:
  UpstreamFailuresTest() : CourierTest({"--quiet", "--name", "one"}) {}
  void SetUp() override {
    ASSERT_TRUE(up_.ok()) << up_.error();
    ASSERT_TRUE(up2_.ok()) << up2_.error();
    // A port that is bound but not listening: connects to it are refused,
    // and no other process can take it while the test runs.
    uint16_t dead = 0;
    dead_fd_ = boundLoopbackSocket(&dead);
    ASSERT_GE(dead_fd_, 0);
    startProxy(kConfig, {{"UPSTREAM2", up2_.address()}, {"DEAD_PORT", std::to_string(dead)}});
  }
  void TearDown() override {
    if (dead_fd_ >= 0) ::close(dead_fd_);
    CourierTest::TearDown();
  }
  void expectError(const Response& r, int status, const std::string& code) {
    ASSERT_EQ(r.status, status) << (r.error.empty() ? r.raw : r.error);
    EXPECT_EQ(jsonString(r.body, "error"), code) << r.body;
    EXPECT_TRUE(jsonString(r.body, "request_id").has_value()) << r.body;
  }

  DemoUpstream up2_{{"--quiet", "--name", "two"}};
  int dead_fd_ = -1;
};

TEST_F(UpstreamFailuresTest, RefusedConnectionIs503) {
  HttpClient c = courier_->client();
  auto start = Clock::now();
  Response r = c.get("/dead/x");
  expectError(r, 503, "upstream_unavailable");
  EXPECT_LT(msBetween(start, Clock::now()), 1000) << "a refused connect is not a timeout";
  // The client connection survives an upstream failure.
  r = c.get("/bytes/5");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abcde");
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(UpstreamFailuresTest, RouteTimeoutIs504) {
  HttpClient c = courier_->client();
  auto start = Clock::now();
  Response r = c.get("/delay/2000");
  int64_t took = msBetween(start, Clock::now());
  expectError(r, 504, "upstream_timeout");
  EXPECT_GE(took, 180);
  EXPECT_LT(took, 1000);

  // The timed-out upstream connection must not be reused: its late answer
  // would be taken for the next request's.
  r = c.get("/delay/10");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, R"({"delayed_ms":10})");
}

TEST_F(UpstreamFailuresTest, MalformedResponsesAre502) {
  HttpClient c = courier_->client();
  for (std::string kind : {"status", "header", "length"}) {
    SCOPED_TRACE(kind);
    Response r = c.get("/malformed?kind=" + kind);
    expectError(r, 502, "bad_gateway");
  }
  Response r = c.get("/bytes/6");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abcdef");
}

TEST_F(UpstreamFailuresTest, BadChunkAfterHeadCutsTheClient) {
  HttpClient c = courier_->client(Ms(3000));
  Response r = c.get("/malformed?kind=chunk");
  // Either courier noticed before answering (502) or it cuts the response.
  if (r.status != 502) {
    EXPECT_FALSE(r.ok()) << "a broken chunked body arrived as a clean response: " << r.raw;
    EXPECT_TRUE(c.isClosed(Ms(1000)));
  }
}

TEST_F(UpstreamFailuresTest, UpstreamClosingMidBodyCutsTheClient) {
  HttpClient c = courier_->client(Ms(3000));
  Response r = c.get("/close-early");  // promises 100 bytes, sends 10, closes
  EXPECT_FALSE(r.status == 200 && r.ok()) << "the client got a clean response: " << r.raw;
  if (r.status == 0) {
    // The head (200, Content-Length: 100) was relayed, then the 10 bytes the
    // upstream sent, then the cut.
    EXPECT_TRUE(r.raw.starts_with("HTTP/1.1 200 ")) << r.error << "\n" << r.raw;
    size_t head_end = r.raw.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos) << r.raw;
    EXPECT_EQ(r.raw.substr(head_end + 4), "abcdefghij") << r.error;
  }
  EXPECT_TRUE(c.isClosed(Ms(1000))) << "the client connection was not cut";
  // A fresh connection works.
  HttpClient c2 = courier_->client();
  EXPECT_EQ(c2.get("/bytes/4").body, "abcd");
}

TEST_F(UpstreamFailuresTest, RoundRobinSpreadsRequests) {
  ASSERT_TRUE(up_.reset());
  ASSERT_TRUE(up2_.reset());
  HttpClient c = courier_->client();
  std::map<std::string, int> seen;
  for (int i = 0; i < 20; ++i) {
    Response r = c.get("/rr/bytes/10");
    ASSERT_EQ(r.status, 200) << r.error;
    seen[r.header("x-upstream-name")]++;
  }
  EXPECT_EQ(seen["one"] + seen["two"], 20);
  EXPECT_GE(seen["one"], 8);
  EXPECT_GE(seen["two"], 8);
  EXPECT_EQ(up_.hits("/bytes/10") + up2_.hits("/bytes/10"), 20u);
  EXPECT_GE(up_.hits("/bytes/10"), 8u);
  EXPECT_GE(up2_.hits("/bytes/10"), 8u);
}

TEST_F(UpstreamFailuresTest, LeastRequestPrefersTheIdleEndpoint) {
  ASSERT_TRUE(up_.reset());
  ASSERT_TRUE(up2_.reset());
  // Four concurrent slow requests: least_request must put two on each.
  std::vector<std::thread> threads;
  std::vector<Response> responses(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { responses[i] = courier_->client().get("/lr/delay/300"); });
    std::this_thread::sleep_for(Ms(30));  // each arrives while the others are in flight
  }
  for (auto& t : threads) t.join();
  for (const Response& r : responses) EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(up_.hits("/delay/300"), 2u);
  EXPECT_EQ(up2_.hits("/delay/300"), 2u);
}

TEST_F(UpstreamFailuresTest, ClientConnectionSurvivesEveryFailureKind) {
  HttpClient c = courier_->client();
  // After failures of every kind, the same client connection still works.
  expectError(c.get("/dead/1"), 503, "upstream_unavailable");
  expectError(c.get("/delay/1000"), 504, "upstream_timeout");
  expectError(c.get("/malformed"), 502, "bad_gateway");
  expectError(c.get("/dead/2"), 503, "upstream_unavailable");
  for (int i = 0; i < 5; ++i) {
    Response r = c.get("/bytes/" + std::to_string(i + 1));
    ASSERT_EQ(r.status, 200) << i << ": " << r.error;
    EXPECT_EQ(r.body.size(), static_cast<size_t>(i + 1));
  }
  EXPECT_EQ(c.connectCount(), 1) << "a local error reply closed the client connection";
}

}  // namespace
}  // namespace courier::test
