// Proxying basics through the real courier binary and the demo upstream:
// methods, keep-alive and upstream pooling, pipelining, chunked bodies both
// ways, 10 MiB bodies, trailers, server-sent events and HTTP/1.0 clients.
#include <gtest/gtest.h>

#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(1) + R"(
[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

class ProxyBasicsTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kConfig); }
};

TEST_F(ProxyBasicsTest, GetHeadAndPost) {
  HttpClient c = courier_->client();
  Response r = c.get("/bytes/1000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), "1000");
  EXPECT_TRUE(r.body == pattern(1000));

  r = c.request("HEAD", "/bytes/4321");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), "4321");
  EXPECT_TRUE(r.body.empty());

  r = c.post("/echo", "hello courier", {{"Content-Type", "text/plain"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello courier");
  EXPECT_EQ(r.header("content-type"), "text/plain");

  // The HEAD answer must not leave body bytes on the connection.
  r = c.get("/healthz");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(ProxyBasicsTest, KeepAliveReusesClientAndUpstreamConnections) {
  ASSERT_TRUE(up_.reset());
  HttpClient c = courier_->client();
  constexpr int kRequests = 20;
  for (int i = 0; i < kRequests; ++i) {
    Response r = c.get("/bytes/" + std::to_string(100 + i));
    ASSERT_EQ(r.status, 200) << i << ": " << r.error;
    ASSERT_TRUE(r.body == pattern(100 + i)) << i;
  }
  EXPECT_EQ(c.connectCount(), 1);
  DemoUpstream::Stats s = up_.stats();
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.requests, static_cast<uint64_t>(kRequests));
  // One pooled courier connection plus the /__stats connection itself.
  EXPECT_EQ(s.connections, 2u) << "courier did not reuse its upstream connection";
}

TEST_F(ProxyBasicsTest, PipelinedRequestsAnsweredInOrder) {
  HttpClient c = courier_->client();
  // The first is the slowest: a proxy that answers out of order fails here.
  ASSERT_TRUE(
      c.sendRaw("GET /delay/150 HTTP/1.1\r\nHost: a\r\n\r\n"
                "GET /bytes/7 HTTP/1.1\r\nHost: a\r\n\r\n"
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nthird"));
  Response r1 = c.readResponse();
  Response r2 = c.readResponse();
  Response r3 = c.readResponse();
  ASSERT_EQ(r1.status, 200) << r1.error;
  EXPECT_EQ(r1.body, R"({"delayed_ms":150})");
  ASSERT_EQ(r2.status, 200) << r2.error;
  EXPECT_EQ(r2.body, "abcdefg");
  ASSERT_EQ(r3.status, 200) << r3.error;
  EXPECT_EQ(r3.body, "third");
  EXPECT_EQ(c.connectCount(), 1);
  EXPECT_FALSE(c.isClosed(Ms(50)));
}

TEST_F(ProxyBasicsTest, ChunkedUploadAndDownload) {
  HttpClient c = courier_->client();
  std::vector<std::string> chunks = {"first-", std::string(70000, 'x'), "-", randomBytes(300000, 1),
                                     "end"};
  std::string whole;
  for (const auto& ch : chunks) whole += ch;
  Response r = c.requestChunked("POST", "/echo", {{"Content-Type", "application/x-test"}}, chunks);
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body.size(), whole.size());
  EXPECT_TRUE(r.body == whole);

  r = c.get("/chunked/100000?chunk=1000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.chunked) << "a chunked upstream response without a length stays chunked";
  EXPECT_FALSE(r.has("content-length"));
  EXPECT_EQ(r.body.size(), 100000u);
  EXPECT_TRUE(r.body == pattern(100000));
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(ProxyBasicsTest, TenMebibyteBodiesBothWays) {
  HttpClient c = courier_->client(Ms(30000));
  std::string body = randomBytes(10 << 20, 7);
  Response r = c.post("/echo", body, {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), std::to_string(body.size()));
  ASSERT_EQ(r.body.size(), body.size());
  EXPECT_TRUE(r.body == body) << "echoed body differs";

  r = c.get("/bytes/" + std::to_string(10 << 20));
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(r.body.size(), static_cast<size_t>(10 << 20));
  EXPECT_TRUE(r.body == pattern(10 << 20)) << "downloaded body differs";
}

// The upstream starts its echo before the request body has fully arrived, so
// courier sends the response head early. Both messages are still framed
// (Content-Length), so the connection can stay open for the next request.
TEST_F(ProxyBasicsTest, StreamingEchoKeepsTheConnectionAlive) {
  HttpClient c = courier_->client();
  ASSERT_TRUE(c.sendRaw("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n0123456789"));
  std::this_thread::sleep_for(Ms(150));  // the echo's head and first half come back meanwhile
  ASSERT_TRUE(c.sendRaw("abcdefghij"));
  Response r = c.readResponse();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "0123456789abcdefghij");
  EXPECT_EQ(r.header("connection"), "") << "courier closes after a streamed echo: " << r.raw;
  r = c.get("/bytes/10");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(ProxyBasicsTest, TrailersPassThrough) {
  HttpClient c = courier_->client();
  Response r = c.get("/chunked/5000?chunk=700", {{"TE", "trailers"}});
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_TRUE(r.chunked);
  uint64_t sum = 0;
  for (char ch : r.body) sum += static_cast<unsigned char>(ch);
  EXPECT_EQ(r.body.size(), 5000u);
  EXPECT_EQ(r.trailer("x-checksum"), std::to_string(sum)) << r.raw.substr(r.raw.size() - 200);
}

TEST_F(ProxyBasicsTest, ServerSentEventsArriveAsTheyAreSent) {
  HttpClient c = courier_->client();
  Response r = c.post("/v1/completions?stream=1&events=5&interval_ms=40", R"({"prompt":"hi"})",
                      {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  ASSERT_TRUE(r.chunked);
  ASSERT_GE(r.chunks.size(), 3u) << "events were buffered into " << r.chunks.size() << " chunk(s)";
  EXPECT_GT(msBetween(r.chunks.front().at, r.chunks.back().at), 50);
  // The first event reaches the client well before the stream ends (~200 ms).
  EXPECT_GT(msBetween(r.chunks.front().at, r.done_at), 100);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NE(r.body.find("\"text\":\"token-" + std::to_string(i) + " \""), std::string::npos);
  }
  EXPECT_TRUE(r.body.ends_with("data: [DONE]\n\n"));
}

TEST_F(ProxyBasicsTest, Http10ClientGetsACloseDelimitedOrLengthResponse) {
  HttpClient c = courier_->client();
  ASSERT_TRUE(c.sendRaw("GET /bytes/100 HTTP/1.0\r\nHost: a\r\n\r\n"));
  Response r = c.readResponse();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, pattern(100));
  EXPECT_TRUE(c.isClosed(Ms(2000))) << "HTTP/1.0 without keep-alive must close";

  // A chunked upstream answer cannot be sent chunked to HTTP/1.0: it is
  // close-delimited (or buffered with a length), never Transfer-Encoding.
  HttpClient c2 = courier_->client();
  ASSERT_TRUE(c2.sendRaw("GET /chunked/3000?chunk=500 HTTP/1.0\r\nHost: a\r\n\r\n"));
  r = c2.readResponse();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_FALSE(r.chunked);
  EXPECT_FALSE(r.has("transfer-encoding"));
  EXPECT_EQ(r.body.size(), 3000u);
  EXPECT_TRUE(r.body == pattern(3000));
  EXPECT_TRUE(c2.isClosed(Ms(2000)));
}

TEST_F(ProxyBasicsTest, Http10KeepAliveIsHonoured) {
  HttpClient c = courier_->client();
  ASSERT_TRUE(c.sendRaw("GET /bytes/10 HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"));
  Response r = c.readResponse();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, pattern(10));
  if (!c.isClosed(Ms(100))) {  // kept alive: it must then say so, and serve a second request
    EXPECT_NE(r.header("connection").find("eep-alive"), std::string::npos) << r.raw;
    ASSERT_TRUE(c.sendRaw("GET /bytes/12 HTTP/1.0\r\nHost: a\r\nConnection: keep-alive\r\n\r\n"));
    r = c.readResponse();
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body, pattern(12));
  }
}

TEST_F(ProxyBasicsTest, ExpectContinueIsAnsweredByCourier) {
  HttpClient c = courier_->client();
  ASSERT_TRUE(c.sendRaw(
      "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n"));
  // The 100 must come before the client sends the body. (The echo's own
  // response head may follow it at once: the echo starts before the body.)
  std::string received = c.readRaw(Ms(2000), "\r\n\r\n");
  ASSERT_TRUE(received.starts_with("HTTP/1.1 100 Continue\r\n")) << received;
  ASSERT_TRUE(c.sendRaw("ping"));
  while (!received.ends_with("\r\n\r\nping")) {
    std::string more = c.readRaw(Ms(2000), "ping");
    if (more.empty()) break;
    received += more;
  }
  ASSERT_TRUE(received.ends_with("\r\n\r\nping")) << received;
  size_t final_head = received.find("HTTP/1.1 200 ");
  ASSERT_NE(final_head, std::string::npos) << received;
  EXPECT_NE(received.find("content-length: 4\r\n", final_head), std::string::npos) << received;
  // Only one 100 Continue: the upstream's own interim answer is not relayed too.
  EXPECT_EQ(received.find("100 Continue", 10), std::string::npos) << received;
  // And the connection is ready for the next request.
  Response r = c.get("/bytes/3");
  EXPECT_EQ(r.body, "abc") << r.error;
  EXPECT_EQ(c.connectCount(), 1);
}

}  // namespace
}  // namespace courier::test
