// SPEC §5 bad input, one rule per test: each malformed or hostile request
// gets its status and JSON error code, the connection is closed, nothing
// reaches the upstream, and courier keeps serving everybody else.
#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

using namespace std::string_literals;

const std::string kConfig = configHead(1, R"(header_timeout = "300ms"
max_header_bytes = 4096
max_body_bytes = "64KiB"
)") + R"(
[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

class BadInputTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kConfig); }
  void TearDown() override {
    if (!courier_ || !courier_->ok()) return;
    EXPECT_TRUE(courier_->process().running()) << "courier died\n" << courier_->process().logTail();
    // It still serves a well-formed request.
    EXPECT_EQ(courier_->client().get("/bytes/3").body, "abc");
    CourierTest::TearDown();
  }

  // Sends `raw` on a fresh connection and expects `status` with JSON error
  // `code` (unless empty) and the connection closed afterwards.
  void expectRejected(std::string_view raw, int status, const std::string& code) {
    HttpClient c = courier_->client(Ms(3000));
    c.sendRaw(raw);  // courier may close before it has read everything
    Response r = c.readResponse();
    ASSERT_EQ(r.status, status) << (r.error.empty() ? r.raw : r.error);
    EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos) << r.raw;
    auto error = jsonString(r.body, "error");
    ASSERT_TRUE(error.has_value()) << r.body;
    if (!code.empty()) {
      EXPECT_EQ(*error, code) << r.body;
    }
    EXPECT_TRUE(jsonString(r.body, "message").has_value()) << r.body;
    EXPECT_TRUE(jsonString(r.body, "request_id").has_value()) << r.body;
    EXPECT_TRUE(c.isClosed(Ms(2000))) << "connection left open after " << status;
  }
  uint64_t upstreamRequests() { return up_.requests(); }
};

TEST_F(BadInputTest, ConflictingContentLengths) {
  expectRejected(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
      "hello!",
      400, "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, ContentLengthWithTransferEncoding) {
  expectRejected(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
      "0\r\n\r\n",
      400, "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, ObsFold) {
  expectRejected("GET /headers HTTP/1.1\r\nHost: a\r\nX-Folded: one\r\n two\r\n\r\n", 400,
                 "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, ControlCharacterInHeaderValue) {
  expectRejected(std::string("GET /headers HTTP/1.1\r\nHost: a\r\nX-Bad: a\x01z\r\n\r\n"), 400,
                 "bad_request");
  expectRejected("GET /headers HTTP/1.1\r\nHost: a\r\nX-Nul: a\0z\r\n\r\n"s, 400, "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, WhitespaceBeforeColon) {
  expectRejected("GET /headers HTTP/1.1\r\nHost : a\r\n\r\n", 400, "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, BadMethod) {
  expectRejected("G@T /headers HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request");
}

TEST_F(BadInputTest, BadTarget) {
  expectRejected("GET headers HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request");
  expectRejected("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n", 400, "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, MissingHostInHttp11) {
  expectRejected("GET /headers HTTP/1.1\r\nX-A: b\r\n\r\n", 400, "bad_request");
  expectRejected("GET /headers HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, UnknownTransferCodingIs501) {
  expectRejected(
      "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501,
      "not_implemented");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, Http2RequestLineIs505) {
  expectRejected("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "");
}

TEST_F(BadInputTest, HugeHeaderIs431) {
  std::string raw =
      "GET /headers HTTP/1.1\r\nHost: a\r\nX-Huge: " + std::string(8000, 'h') + "\r\n\r\n";
  expectRejected(raw, 431, "headers_too_large");
  // Many small fields add up too.
  raw = "GET /headers HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 300; ++i) raw += "X-F" + std::to_string(i) + ": 0123456789\r\n";
  expectRejected(raw + "\r\n", 431, "headers_too_large");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, ContentLengthOverTheLimitIs413) {
  // No body is sent: the head alone must be answered.
  expectRejected("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 1000000\r\n\r\n", 413,
                 "payload_too_large");
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, ChunkedBodyOverTheLimitIs413) {
  // /status/200 answers only after the whole body, so courier must step in.
  std::string raw = "POST /status/200 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 10; ++i) raw += "2000\r\n" + std::string(8192, 'c') + "\r\n";  // 80 KiB
  raw += "0\r\n\r\n";
  expectRejected(raw, 413, "payload_too_large");
}

TEST_F(BadInputTest, BadChunkSizeIs400) {
  expectRejected(
      "POST /status/200 HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n",
      400, "bad_request");
}

TEST_F(BadInputTest, SlowHeadGets408) {
  HttpClient c = courier_->client(Ms(3000));
  auto start = Clock::now();
  ASSERT_TRUE(c.sendRaw("GET /headers HTTP/1.1\r\nHost: a\r\nX-Half"));
  Response r = c.readResponse();
  int64_t took = msSince(start);
  ASSERT_EQ(r.status, 408) << r.error << r.raw;
  EXPECT_EQ(jsonString(r.body, "error"), "request_timeout") << r.body;
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 1000);
  EXPECT_TRUE(c.isClosed(Ms(1000)));
  EXPECT_EQ(upstreamRequests(), 0u);
}

TEST_F(BadInputTest, DribbledHeadStillTimesOut) {
  // header_timeout bounds the whole head, not the gap between bytes.
  HttpClient c = courier_->client(Ms(3000));
  auto start = Clock::now();
  std::string head = "GET /headers HTTP/1.1\r\nHost: a\r\nX-Slow: ";
  ASSERT_TRUE(c.sendRaw(head));
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    std::this_thread::sleep_for(Ms(50));
    answered = !c.sendRaw("x") || c.isClosed(Ms(0)) || !c.readRaw(Ms(1)).empty();
  }
  EXPECT_TRUE(answered || c.isClosed(Ms(500))) << "a dribbling client kept its head open";
  EXPECT_LT(msSince(start), 1200);
}

TEST_F(BadInputTest, BadConnectionsDoNotAffectAGoodOne) {
  HttpClient good = courier_->client(Ms(2000));
  ASSERT_EQ(good.get("/bytes/1").status, 200);

  // A slow-loris, a garbage sender and an oversized head, all at once.
  HttpClient loris = courier_->client(), garbage = courier_->client(), huge = courier_->client();
  ASSERT_TRUE(loris.sendRaw("GET / HTTP/1.1\r\nHost: a\r\n"));
  ASSERT_TRUE(garbage.sendRaw("\x16\x03\x01\x02\xfc\x03\x03 not http at all\r\n\r\n"));
  huge.sendRaw("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100000, 'x'));

  int64_t worst = 0;
  for (int i = 0; i < 20; ++i) {
    auto start = Clock::now();
    Response r = good.get("/bytes/100");
    worst = std::max(worst, msSince(start));
    ASSERT_EQ(r.status, 200) << i << ": " << r.error;
    ASSERT_EQ(r.body.size(), 100u);
    std::this_thread::sleep_for(Ms(10));
  }
  EXPECT_LT(worst, 200) << "a good request waited behind bad connections";  // < header_timeout
  EXPECT_EQ(good.connectCount(), 1);

  Response g = garbage.readResponse();
  EXPECT_EQ(g.status, 400) << g.error << g.raw;
  Response h = huge.readResponse();
  EXPECT_EQ(h.status, 431) << h.error << h.raw;
  Response l = loris.readResponse();
  EXPECT_EQ(l.status, 408) << l.error << l.raw;
  EXPECT_TRUE(loris.isClosed(Ms(1500))) << "the slow-loris connection outlived header_timeout";
  EXPECT_EQ(good.get("/bytes/2").status, 200);
}

}  // namespace
}  // namespace courier::test
