// stream_idle_timeout: a stream that moves no bytes either way is ended
// (408 before the response, a cut after it began); waiting for the
// upstream's response head is not idleness. Route value over [server].
#include <gtest/gtest.h>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(1, R"(stream_idle_timeout = "{{SERVER_IDLE}}"
)") + R"(
[[routes]]
name = "strict"
match = { prefix = "/strict/" }
cluster = "agent"
prefix_rewrite = "/"
stream_idle_timeout = "500ms"

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

class StreamIdleTest : public CourierTest {
 protected:
  void start(const std::string& server_idle = "60s") {
    startProxy(kConfig, {{"SERVER_IDLE", server_idle}});
  }
};

TEST_F(StreamIdleTest, StalledRequestBodyGets408) {
  start();
  HttpClient c = courier_->client();
  auto sent = Clock::now();
  ASSERT_TRUE(c.sendRaw(
      "POST /strict/v1/embed HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten.."));
  Response r = c.readResponse();
  int64_t took = msBetween(sent, Clock::now());
  EXPECT_EQ(r.status, 408) << r.error;
  EXPECT_NE(r.body.find("request_timeout"), std::string::npos) << r.body;
  // 500 ms of idleness, checked every 250 ms.
  EXPECT_GE(took, 450);
  EXPECT_LT(took, 2000);
}

TEST_F(StreamIdleTest, WaitingForTheUpstreamIsNotIdle) {
  start();
  HttpClient c = courier_->client();
  Response r = c.get("/strict/delay/1500");
  EXPECT_EQ(r.status, 200) << r.error;
}

TEST_F(StreamIdleTest, StreamThatKeepsMovingIsNotCut) {
  start();
  HttpClient c = courier_->client();
  // 400 bytes at 200 B/s: two seconds, never quiet for 500 ms.
  Response r = c.get("/strict/slow-body?bytes=400&rate=200");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body.size(), 400u);
}

TEST_F(StreamIdleTest, ResponseThatStallsIsCut) {
  start();
  HttpClient c = courier_->client();
  // Server-sent events 1.2 s apart: the stream is quiet longer than 500 ms.
  auto sent = Clock::now();
  Response r = c.post("/strict/v1/completions?stream=1&events=3&interval_ms=1200",
                      R"({"prompt":"hi"})", {{"content-type", "application/json"}});
  int64_t took = msBetween(sent, Clock::now());
  // The head and the first event arrived, then the connection was cut.
  EXPECT_EQ(r.raw.rfind("HTTP/1.1 200", 0), 0u) << r.raw;
  EXPECT_NE(r.raw.find("data:"), std::string::npos) << r.raw;
  EXPECT_FALSE(r.ok()) << "the response was not cut";
  EXPECT_LT(took, 2400);
  EXPECT_TRUE(c.isClosed(Ms(1000)));
}

TEST_F(StreamIdleTest, ServerDefaultAppliesToRoutesWithoutTheirOwn) {
  start("500ms");
  HttpClient c = courier_->client();
  ASSERT_TRUE(
      c.sendRaw("POST /v1/embed HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten.."));
  Response r = c.readResponse();
  EXPECT_EQ(r.status, 408) << r.error;
}

}  // namespace
}  // namespace courier::test
