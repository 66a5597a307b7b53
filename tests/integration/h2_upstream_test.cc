// Upstream HTTP/2 over cleartext (clusters with protocol = "h2c"): HTTP/1.1
// clients through courier to real h2c origins. The origins are nghttpd
// (serving files) and tests/integration/h2c_origin.py on Debian's python3
// with python3-h2, which can misbehave on request (GOAWAY, RST_STREAM,
// REFUSED_STREAM, MAX_CONCURRENT_STREAMS = 2) and counts its connections.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>
#include <vector>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

constexpr const char* kPython = "/usr/bin/python3";  // Debian's: it sees python3-h2
constexpr const char* kNghttpd = "/usr/sbin/nghttpd";

bool pythonHasH2() {
  return std::system("/usr/bin/python3 -c 'import h2' >/dev/null 2>&1") == 0;
}

// tests/integration/h2c_origin.py, on 127.0.0.1 port 0.
class H2cOrigin {
 public:
  explicit H2cOrigin(std::vector<std::string> extra_args = {}) {
    std::vector<std::string> args = {std::string(COURIER_SOURCE_DIR) +
                                     "/tests/integration/h2c_origin.py"};
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    process_ = std::make_unique<Process>(kPython, args);
    std::string line;
    if (!process_->waitForLine("LISTENING", Ms(10000), &line)) {
      error_ = "h2c origin did not start: " + process_->logTail();
      return;
    }
    unsigned port = 0, stats_port = 0;
    if (std::sscanf(line.c_str(), "LISTENING %u %u", &port, &stats_port) != 2) {
      error_ = "unexpected origin line: " + line;
      return;
    }
    port_ = static_cast<uint16_t>(port);
    stats_port_ = static_cast<uint16_t>(stats_port);
  }
  bool ok() const { return port_ != 0; }
  const std::string& error() const { return error_; }
  uint16_t port() const { return port_; }

  struct Stats {
    bool ok = false;
    int64_t connections = 0;  // accepted in total
    int64_t active = 0;       // open now
    int64_t requests = 0;
    int64_t peak_streams = 0;  // most streams open at once on one connection
    int64_t bytes_sent = 0;    // response body bytes, all streams
    std::string raw;
  };
  Stats stats() const {
    Stats s;
    HttpClient c(stats_port_, Ms(3000));
    Response r = c.get("/");
    s.raw = r.body;
    std::map<std::string, std::string> m;
    if (r.status != 200 || !parseJsonObject(r.body, &m, nullptr)) return s;
    s.connections = std::stoll(m["connections"]);
    s.active = std::stoll(m["active"]);
    s.requests = std::stoll(m["requests"]);
    s.peak_streams = std::stoll(m["peak_streams"]);
    s.bytes_sent = std::stoll(m["bytes_sent"]);
    s.ok = true;
    return s;
  }

 private:
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0, stats_port_ = 0;
  std::string error_;
};

const std::string kConfig =
    configHead(1, "max_body_bytes = \"128MiB\"\nmax_header_bytes = 16384\n") + R"(
[clusters.h2]
endpoints = ["127.0.0.1:{{H2_PORT}}"]
protocol = "h2c"

[clusters.h2limited]
endpoints = ["127.0.0.1:{{H2_LIMITED_PORT}}"]
protocol = "h2c"

[clusters.h2dead]
endpoints = ["127.0.0.1:{{DEAD_PORT}}"]
protocol = "h2c"
connect_timeout = "500ms"

[clusters.files]
endpoints = ["127.0.0.1:{{NGHTTPD_PORT}}"]
protocol = "h2c"

[[routes]]
name = "dead"
match = { prefix = "/dead/" }
cluster = "h2dead"

[[routes]]
name = "limited"
match = { prefix = "/limited/" }
cluster = "h2limited"
prefix_rewrite = "/"

[[routes]]
name = "files"
match = { prefix = "/files/" }
cluster = "files"
prefix_rewrite = "/"

[[routes]]
name = "stall"
match = { prefix = "/stall" }
cluster = "h2"
timeout = "300ms"

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "h2"
)";

constexpr size_t kMiB = 1 << 20;

class H2UpstreamTest : public CourierTest {
 protected:
  void SetUp() override {
    if (!pythonHasH2()) GTEST_SKIP() << "needs Debian's python3-h2 (deploy/install-deps.sh)";
    if (access(kNghttpd, X_OK) != 0) GTEST_SKIP() << "needs nghttpd (Debian nghttp2-server)";
    ASSERT_TRUE(origin_.ok()) << origin_.error();
    ASSERT_TRUE(limited_.ok()) << limited_.error();
    uint16_t dead = 0;
    dead_fd_ = boundLoopbackSocket(&dead);  // bound, not listening: connects are refused
    ASSERT_GE(dead_fd_, 0);

    ASSERT_TRUE(writeFile(files_.file("big.bin"), randomBytes(4 * kMiB, 11)));
    ASSERT_TRUE(writeFile(files_.file("hello.txt"), "hello from nghttpd\n"));
    nghttpd_port_ = freeLoopbackPort();
    nghttpd_ = std::make_unique<Process>(
        kNghttpd, std::vector<std::string>{"--no-tls", "-a", "127.0.0.1", "-d", files_.path(),
                                           std::to_string(nghttpd_port_)});
    ASSERT_TRUE(waitForPort(nghttpd_port_)) << nghttpd_->logTail();

    startProxy(kConfig, {{"H2_PORT", std::to_string(origin_.port())},
                         {"H2_LIMITED_PORT", std::to_string(limited_.port())},
                         {"DEAD_PORT", std::to_string(dead)},
                         {"NGHTTPD_PORT", std::to_string(nghttpd_port_)}});
  }
  void TearDown() override {
    if (dead_fd_ >= 0) ::close(dead_fd_);
    CourierTest::TearDown();
  }
  void expectError(const Response& r, int status, const std::string& code) {
    ASSERT_EQ(r.status, status) << (r.error.empty() ? r.raw : r.error);
    EXPECT_EQ(jsonString(r.body, "error"), code) << r.body;
  }
  // Runs `n` GETs of `target` at once, each on its own client connection.
  std::vector<Response> concurrentGets(int n, const std::string& target) {
    std::vector<Response> out(n);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i) {
      threads.emplace_back([&, i] { out[i] = courier_->client(Ms(10000)).get(target); });
    }
    for (auto& t : threads) t.join();
    return out;
  }

  H2cOrigin origin_;
  H2cOrigin limited_{{"--max-concurrent", "2"}};
  TempDir files_;
  uint16_t nghttpd_port_ = 0;
  std::unique_ptr<Process> nghttpd_;
  int dead_fd_ = -1;
};

TEST_F(H2UpstreamTest, GetAndPostFromAnHttp1Client) {
  HttpClient c = courier_->client();
  Response r = c.get("/bytes/1000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), "1000");
  EXPECT_TRUE(r.body == pattern(1000));

  r = c.post("/echo", "hello courier", {{"Content-Type", "text/plain"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello courier");
  EXPECT_EQ(r.header("content-type"), "text/plain");

  // A 4 MiB upload streams through the stream's flow control.
  std::string big = randomBytes(4 * kMiB, 3);
  r = c.post("/echo", big, {{"Content-Type", "application/octet-stream"}});
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(r.body.size(), big.size());
  EXPECT_TRUE(r.body == big);

  r = c.get("/nope");
  EXPECT_EQ(r.status, 404) << r.error;
  EXPECT_EQ(c.connectCount(), 1);
  H2cOrigin::Stats s = origin_.stats();
  ASSERT_TRUE(s.ok) << s.raw;
  EXPECT_EQ(s.connections, 1) << "every request shares one h2 connection";
}

TEST_F(H2UpstreamTest, FourMebibyteResponsesArriveIntact) {
  HttpClient c = courier_->client(Ms(20000));
  Response r = c.get("/bytes/" + std::to_string(4 * kMiB));
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(r.body.size(), 4 * kMiB);
  EXPECT_TRUE(r.body == pattern(4 * kMiB));

  // The same from nghttpd, a file served by another HTTP/2 implementation.
  r = c.get("/files/big.bin");
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(r.body.size(), 4 * kMiB);
  EXPECT_TRUE(r.body == randomBytes(4 * kMiB, 11));
  r = c.request("HEAD", "/files/big.bin");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), std::to_string(4 * kMiB));
  EXPECT_TRUE(r.body.empty());
  r = c.get("/files/hello.txt");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "hello from nghttpd\n");
  r = c.get("/files/missing.txt");
  EXPECT_EQ(r.status, 404) << r.error;
}

TEST_F(H2UpstreamTest, ConcurrentRequestsAreMultiplexedOnOneConnection) {
  constexpr int kRequests = 40;
  std::vector<Response> rs = concurrentGets(kRequests, "/delay/300");
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(rs[i].status, 200) << i << ": " << rs[i].error;
    EXPECT_EQ(rs[i].body, R"({"delayed_ms":300})");
  }
  H2cOrigin::Stats s = origin_.stats();
  ASSERT_TRUE(s.ok) << s.raw;
  EXPECT_EQ(s.connections, 1) << s.raw;
  EXPECT_GE(s.peak_streams, kRequests / 2) << "the requests did not overlap on the connection";
}

TEST_F(H2UpstreamTest, MaxConcurrentStreamsIsRespectedWithASecondConnection) {
  constexpr int kRequests = 4;
  std::vector<Response> rs = concurrentGets(kRequests, "/limited/delay/400");
  for (int i = 0; i < kRequests; ++i) {
    ASSERT_EQ(rs[i].status, 200) << i << ": " << rs[i].error;
  }
  H2cOrigin::Stats s = limited_.stats();
  ASSERT_TRUE(s.ok) << s.raw;
  EXPECT_EQ(s.peak_streams, 2) << s.raw;
  EXPECT_EQ(s.connections, 2) << s.raw;
}

TEST_F(H2UpstreamTest, GoawayLetsInFlightFinishAndNewRequestsUseANewConnection) {
  Response slow;
  std::thread t([&] { slow = courier_->client().get("/delay/700"); });
  ASSERT_TRUE(pollUntil(Ms(3000), [&] { return origin_.stats().requests >= 1; }));
  HttpClient c = courier_->client();
  Response r = c.get("/goaway");  // the origin sends GOAWAY, then answers this stream
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "bye");
  r = c.get("/bytes/10");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abcdefghij");
  EXPECT_EQ(origin_.stats().connections, 2) << "a request went to the connection going away";
  t.join();
  ASSERT_EQ(slow.status, 200) << slow.error;
  EXPECT_EQ(slow.body, R"({"delayed_ms":700})");
  // The old connection closes once its last stream is done.
  EXPECT_TRUE(pollUntil(Ms(3000), [&] { return origin_.stats().active == 1; }))
      << origin_.stats().raw;
}

TEST_F(H2UpstreamTest, RefusedStreamsAreRetriedOnce) {
  HttpClient c = courier_->client();
  // Above a GOAWAY's last_stream_id: not processed, retried on a new connection.
  Response r = c.get("/goaway-refuse-once/a");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok");
  // REFUSED_STREAM.
  r = c.get("/refuse-once/b");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "ok");
  // Refused twice: no third try.
  int64_t before = origin_.stats().requests;
  r = c.get("/refuse");
  expectError(r, 503, "upstream_unavailable");
  EXPECT_EQ(origin_.stats().requests - before, 2);
  // A request with a body is not retried.
  before = origin_.stats().requests;
  r = c.post("/refuse-once/c", "body");
  expectError(r, 503, "upstream_unavailable");
  EXPECT_EQ(origin_.stats().requests - before, 1);
}

TEST_F(H2UpstreamTest, DeadOriginIs503) {
  HttpClient c = courier_->client();
  auto start = Clock::now();
  Response r = c.get("/dead/x");
  expectError(r, 503, "upstream_unavailable");
  EXPECT_LT(msSince(start), 1000) << "a refused connect is not a timeout";
  r = c.get("/bytes/5");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(H2UpstreamTest, RstStreamIs502AndTheConnectionLivesOn) {
  HttpClient c = courier_->client(Ms(3000));
  Response r = c.get("/rst");
  expectError(r, 502, "bad_gateway");
  r = c.get("/bytes/5");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abcde");

  // A reset after the head was relayed cuts the client's response.
  HttpClient cut = courier_->client(Ms(3000));
  r = cut.get("/rst-after/1000");
  EXPECT_FALSE(r.ok() && r.status == 200) << "a reset stream arrived as a clean response";
  EXPECT_TRUE(cut.isClosed(Ms(1000)));

  r = c.get("/bytes/6");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(origin_.stats().connections, 1) << "a stream reset took the connection down";
}

TEST_F(H2UpstreamTest, MalformedResponsesAre502) {
  HttpClient c = courier_->client(Ms(3000));
  for (std::string path : {"/malformed", "/huge-head"}) {
    SCOPED_TRACE(path);
    Response r = c.get(path);
    expectError(r, 502, "bad_gateway");
  }
  Response r = c.get("/bytes/4");
  EXPECT_EQ(r.body, "abcd") << r.error;
  EXPECT_EQ(origin_.stats().connections, 1) << "a malformed response is a stream error";
}

TEST_F(H2UpstreamTest, RouteTimeoutIs504) {
  HttpClient c = courier_->client();
  auto start = Clock::now();
  Response r = c.get("/stall");
  int64_t took = msSince(start);
  expectError(r, 504, "upstream_timeout");
  EXPECT_GE(took, 280);
  EXPECT_LT(took, 2000);
  // The timed-out stream was reset; the connection carries the next one.
  r = c.get("/bytes/3");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(origin_.stats().connections, 1);
}

TEST_F(H2UpstreamTest, TrailersPassThroughBothWays) {
  HttpClient c = courier_->client();
  Response r = c.get("/trailers/5000", {{"TE", "trailers"}});
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_TRUE(r.chunked) << r.raw.substr(0, 300);
  ASSERT_EQ(r.body.size(), 5000u);
  EXPECT_TRUE(r.body == pattern(5000));
  uint64_t sum = 0;
  for (char ch : r.body) sum += static_cast<unsigned char>(ch);
  EXPECT_EQ(r.trailer("x-checksum"), std::to_string(sum));

  // Request trailers reach the origin (which echoes them back as trailers),
  // and `te: trailers` is forwarded.
  r = c.requestChunked("POST", "/echo", {{"TE", "trailers"}, {"Content-Type", "text/plain"}},
                       {"part one, ", "part two"}, {{"X-Request-Sum", "42"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "part one, part two");
  EXPECT_EQ(r.header("x-request-te"), "trailers");
  EXPECT_EQ(r.trailer("x-request-sum"), "42") << r.raw;
}

TEST_F(H2UpstreamTest, ASlowReaderDoesNotStallOthersOnTheSameConnection) {
  const size_t total = 32 * kMiB;
  HttpClient slow = courier_->client(Ms(20000));
  int rcvbuf = 32 * 1024;
  ASSERT_TRUE(slow.connect());
  setsockopt(slow.fd(), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  ASSERT_TRUE(slow.sendRaw("GET /bytes/" + std::to_string(total) + " HTTP/1.1\r\nHost: a\r\n\r\n"));
  // The slow client reads nothing for now; its stream fills and stops:
  // courier holds back the stream's window instead of buffering the body.
  std::this_thread::sleep_for(Ms(400));
  int64_t sent = origin_.stats().bytes_sent;
  std::cout << "origin sent " << sent / 1024 << " KiB of " << total / 1024
            << " KiB to a client that reads nothing\n";
  EXPECT_LT(sent, static_cast<int64_t>(12 * kMiB)) << "the stalled stream's window kept opening";

  HttpClient fast = courier_->client(Ms(5000));
  auto start = Clock::now();
  for (int i = 0; i < 5; ++i) {
    Response r = fast.get("/bytes/100000");
    ASSERT_EQ(r.status, 200) << i << ": " << r.error;
    ASSERT_TRUE(r.body == pattern(100000)) << i;
  }
  EXPECT_LT(msSince(start), 2000) << "requests waited behind the stalled stream";
  H2cOrigin::Stats s = origin_.stats();
  EXPECT_EQ(s.connections, 1) << "the fast requests must share the stalled stream's connection";

  // Then the slow client takes everything, intact.
  Response r = slow.readResponse();
  ASSERT_EQ(r.status, 200) << r.error;
  ASSERT_EQ(r.body.size(), total);
  EXPECT_TRUE(r.body == pattern(total));
}

TEST_F(H2UpstreamTest, UploadIntoAStalledStreamPausesTheClient) {
  // The origin never opens the stream's window: courier queues up to its
  // watermark, then stops reading the client, whose upload stalls.
  const size_t total = 64 * kMiB;
  HttpClient c = courier_->client();
  ASSERT_TRUE(c.connect());
  int sndbuf = 64 * 1024;
  setsockopt(c.fd(), SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  ASSERT_TRUE(c.sendRaw(
      "POST /noread HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(total) + "\r\n\r\n"));
  fcntl(c.fd(), F_SETFL, fcntl(c.fd(), F_GETFL) | O_NONBLOCK);
  std::string chunk(256 * 1024, 'u');
  size_t sent = 0;
  auto deadline = Clock::now() + Ms(1500);
  while (sent < total && Clock::now() < deadline) {
    pollfd p{c.fd(), POLLOUT, 0};
    if (poll(&p, 1, 50) == 1 && (p.revents & POLLOUT)) {
      ssize_t n = ::send(c.fd(), chunk.data(), std::min(chunk.size(), total - sent), MSG_NOSIGNAL);
      if (n > 0) sent += n;
      if (n < 0 && errno != EAGAIN) break;
    }
  }
  std::cout << "courier took " << sent / 1024 << " KiB of an upload its origin never read\n";
  EXPECT_LT(sent, 16 * kMiB) << "courier kept reading an upload it could not forward";
  // Other requests on the same upstream connection are not held up.
  Response r = courier_->client().get("/bytes/3");
  EXPECT_EQ(r.body, "abc") << r.error;
  EXPECT_EQ(origin_.stats().connections, 1);
}

}  // namespace
}  // namespace courier::test
