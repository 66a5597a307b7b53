// Self-test of the test tooling: the demo upstream, HttpClient, Process and
// the pieces of the harness that do not need courier.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

class DemoUpstreamTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(up_.ok()) << up_.error(); }
  DemoUpstream up_{{"--quiet"}};
};

TEST_F(DemoUpstreamTest, AnswersHealthzOnItsPort) {
  HttpClient c = up_.client();
  Response r = c.get("/healthz");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(c.get("/").status, 200);
  EXPECT_EQ(c.get("/nope").status, 404);
}

TEST_F(DemoUpstreamTest, KeepAliveReusesOneConnection) {
  HttpClient c = up_.client();
  for (int i = 0; i < 50; ++i) {
    Response r = c.get("/bytes/1024");
    ASSERT_EQ(r.status, 200) << r.error;
    ASSERT_EQ(r.body, pattern(1024));
  }
  EXPECT_EQ(c.connectCount(), 1);
  DemoUpstream::Stats s = up_.stats();  // a second connection
  ASSERT_TRUE(s.ok);
  EXPECT_EQ(s.requests, 50u);
  EXPECT_EQ(s.hits("/bytes/1024"), 50u);
  EXPECT_EQ(s.connections, 2u);
}

TEST_F(DemoUpstreamTest, BytesFollowThePattern) {
  HttpClient c = up_.client();
  for (size_t n : {0, 1, 25, 26, 27, 1024, 65536, 100000, 3 << 20}) {
    Response r = c.get("/bytes/" + std::to_string(n));
    ASSERT_EQ(r.status, 200) << n << ": " << r.error;
    EXPECT_EQ(r.header("content-length"), std::to_string(n));
    EXPECT_TRUE(r.body == pattern(n)) << "size " << n;
  }
  Response head = c.request("HEAD", "/bytes/10");
  EXPECT_EQ(head.header("content-length"), "10");
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(c.get("/bytes/3?type=text/plain").header("content-type"), "text/plain");
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(DemoUpstreamTest, ChunkedBodyAndTrailer) {
  HttpClient c = up_.client();
  Response r = c.get("/chunked/100000?chunk=1000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.chunked);
  EXPECT_EQ(r.chunks.size(), 100u);
  EXPECT_TRUE(r.body == pattern(100000));
  EXPECT_TRUE(r.trailers.empty());

  r = c.get("/chunked/1000?chunk=300", {{"TE", "trailers"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.chunks.size(), 4u);
  uint64_t sum = 0;
  for (char ch : r.body) sum += static_cast<unsigned char>(ch);
  EXPECT_EQ(r.trailer("x-checksum"), std::to_string(sum));
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(DemoUpstreamTest, EchoesTenMebibytes) {
  HttpClient c = up_.client();
  std::string body = randomBytes(10 << 20, 42);
  Response r = c.post("/echo", body, {{"Content-Type", "application/x-test"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-length"), std::to_string(body.size()));
  EXPECT_EQ(r.header("content-type"), "application/x-test");
  EXPECT_TRUE(r.body == body);

  std::vector<std::string> chunks = {"a", std::string(70000, 'b'), body.substr(0, 1 << 20), "z"};
  r = c.requestChunked("PUT", "/echo", {}, chunks, {{"x-trailer", "1"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_TRUE(r.chunked);
  EXPECT_TRUE(r.body == chunks[0] + chunks[1] + chunks[2] + chunks[3]);
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(DemoUpstreamTest, StatsCountAndReset) {
  HttpClient c = up_.client();
  for (int i = 0; i < 3; ++i) c.get("/healthz");
  for (int i = 0; i < 2; ++i) c.get("/status/503");
  DemoUpstream::Stats s = up_.stats();
  EXPECT_EQ(s.requests, 5u);
  EXPECT_EQ(s.hits("/healthz"), 3u);
  EXPECT_EQ(s.hits("/status/503"), 2u);
  EXPECT_EQ(s.hits("/__stats"), 0u);
  EXPECT_EQ(s.active_connections, 2);
  ASSERT_TRUE(up_.reset());
  s = up_.stats();
  EXPECT_EQ(s.requests, 0u);
  EXPECT_TRUE(s.by_path.empty());
}

TEST_F(DemoUpstreamTest, CompletionsJsonAndStream) {
  HttpClient c = up_.client();
  std::string prompt = R"({"model":"m","prompt":"hello"})";
  Response r = c.post("/v1/completions", prompt, {{"Content-Type", "application/json"}});
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_NE(r.body.find("\"request_bytes\":" + std::to_string(prompt.size())), std::string::npos);
  Response again = c.post("/v1/completions", prompt);
  EXPECT_EQ(r.body.substr(0, 30), again.body.substr(0, 30));  // same prompt, same id

  r = c.post("/v1/completions", R"({"prompt":"hi", "stream" : true})");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.header("content-type"), "text/event-stream");
  ASSERT_EQ(r.chunks.size(), 6u);  // 5 events, then [DONE]
  EXPECT_TRUE(r.body.ends_with("data: [DONE]\n\n"));
  EXPECT_GE(msBetween(r.chunks.front().at, r.chunks.back().at), 80);

  r = c.post("/v1/completions?stream=1&events=2&interval_ms=50", "{}");
  ASSERT_EQ(r.chunks.size(), 3u) << r.error;
  EXPECT_GE(msBetween(r.chunks[0].at, r.chunks[1].at), 40);
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(DemoUpstreamTest, EmbedBatchMatchesSingles) {
  HttpClient c = up_.client();
  std::string single_a = c.post("/v1/embed", R"({"text":"a"})").body;
  std::string single_b = c.post("/v1/embed", R"("b, c")").body;
  Response batch = c.post("/v1/embed/batch", R"([{"text":"a"}, "b, c"])");
  ASSERT_EQ(batch.status, 200) << batch.error;
  EXPECT_EQ(batch.body, "[" + single_a + "," + single_b + "]");
  EXPECT_EQ(c.post("/v1/embed/batch", "{}").status, 400);
}

TEST_F(DemoUpstreamTest, DelayDoesNotBlockOtherConnections) {
  Response slow;
  auto start = Clock::now();
  std::thread t([&] { slow = up_.client().get("/delay/300"); });
  std::this_thread::sleep_for(Ms(50));
  auto fast_start = Clock::now();
  EXPECT_EQ(up_.client().get("/healthz").status, 200);
  EXPECT_LT(msBetween(fast_start, Clock::now()), 150);
  t.join();
  EXPECT_EQ(slow.status, 200) << slow.error;
  EXPECT_GE(msBetween(start, slow.done_at), 300);
}

TEST_F(DemoUpstreamTest, StatusHeadersAndResponseHeaders) {
  HttpClient c = up_.client();
  Response r = c.get("/status/204");
  EXPECT_EQ(r.status, 204);
  EXPECT_FALSE(r.has("content-length"));
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(c.request("DELETE", "/status/503").status, 503);

  r = c.get("/headers", {{"X-Forwarded-For", "1.2.3.4"}, {"X-Test", "a"}, {"x-test", "b"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find(R"("x-forwarded-for":"1.2.3.4")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("x-test":"a, b")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("peer":"127.0.0.1:)"), std::string::npos) << r.body;

  r = c.get("/response-headers?Cache-Control=max-age%3D60&ETag=%22v1%22");
  EXPECT_EQ(r.header("cache-control"), "max-age=60");
  EXPECT_EQ(r.header("etag"), "\"v1\"");
  r = c.get("/response-headers?ETag=%22v1%22", {{"If-None-Match", "\"v1\""}});
  EXPECT_EQ(r.status, 304);
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(DemoUpstreamTest, BrokenResponses) {
  HttpClient c = up_.client(Ms(2000));
  Response r = c.get("/malformed");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("malformed status line"), std::string::npos) << r.error;
  r = c.get("/malformed?kind=chunk");
  EXPECT_NE(r.error.find("bad chunk size"), std::string::npos) << r.error;

  r = c.get("/close-early");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("incomplete body"), std::string::npos) << r.error;
  EXPECT_EQ(r.raw.size(), r.raw.find("\r\n\r\n") + 4 + 10);
  EXPECT_TRUE(c.isClosed(Ms(1000)));

  auto start = Clock::now();
  r = c.get("/slow-body?bytes=200&rate=1000");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, pattern(200));
  EXPECT_GE(msBetween(start, r.done_at), 150);
}

TEST_F(DemoUpstreamTest, RawPipeliningAndHttp10) {
  HttpClient c = up_.client(Ms(2000));
  ASSERT_TRUE(c.sendRaw(
      "GET /bytes/5 HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
  Response a = c.readResponse();
  Response b = c.readResponse();
  EXPECT_EQ(a.body, "abcde");
  EXPECT_EQ(b.body, R"({"status":"ok"})");
  EXPECT_FALSE(c.isClosed());

  ASSERT_TRUE(c.sendRaw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  Response ka = c.readResponse();
  EXPECT_EQ(ka.header("connection"), "keep-alive");
  EXPECT_FALSE(c.isClosed(Ms(100)));

  ASSERT_TRUE(c.sendRaw("GET /chunked/10 HTTP/1.0\r\n\r\n"));
  Response old = c.readResponse();
  EXPECT_EQ(old.status, 200) << old.error;
  EXPECT_FALSE(old.chunked);  // close-delimited for HTTP/1.0
  EXPECT_EQ(old.body, pattern(10));
  EXPECT_TRUE(c.isClosed(Ms(1000)));
}

TEST_F(DemoUpstreamTest, CloseExpectContinueAndBadInput) {
  HttpClient c = up_.client(Ms(2000));
  Response r = c.get("/healthz", {{"Connection", "close"}});
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_TRUE(c.isClosed(Ms(1000)));
  EXPECT_EQ(c.get("/healthz").status, 200);  // reconnects
  EXPECT_EQ(c.connectCount(), 2);

  r = c.post("/echo", "hello", {{"Expect", "100-continue"}});
  EXPECT_EQ(r.interim, std::vector<int>{100});
  EXPECT_EQ(r.body, "hello");

  HttpClient raw = up_.client(Ms(2000));
  ASSERT_TRUE(raw.sendRaw("garbage\r\n\r\n"));
  EXPECT_EQ(raw.readResponse().status, 400);
  EXPECT_TRUE(raw.isClosed(Ms(1000)));

  HttpClient timeout = up_.client(Ms(200));
  r = timeout.get("/delay/2000");
  EXPECT_FALSE(r.ok());
  EXPECT_NE(r.error.find("timeout"), std::string::npos) << r.error;
}

TEST(DemoUpstreamThreads, WorkersShareOnePort) {
  DemoUpstream up({"--threads", "2", "--quiet", "--name", "u1"});
  ASSERT_TRUE(up.ok()) << up.error();
  for (int i = 0; i < 20; ++i) {
    Response r = up.client().get("/bytes/100");
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.header("x-upstream-name"), "u1");
  }
  EXPECT_EQ(up.stats().requests, 20u);
  up.process().signal(SIGTERM);
  EXPECT_EQ(up.process().waitExit(Ms(5000)), std::optional<int>(0));
}

TEST(Process, CapturesOutputEnvAndExitCode) {
  Process p("/bin/sh", {"-c", "echo hello $FOO; echo oops >&2; exit 3"}, {{"FOO", "bar"}});
  ASSERT_TRUE(p.started()) << p.error();
  std::string line;
  EXPECT_TRUE(p.waitForLine("hello", Ms(5000), &line));
  EXPECT_EQ(line, "hello bar");
  EXPECT_EQ(p.waitExit(Ms(5000)), std::optional<int>(3));
  EXPECT_EQ(p.stderrText(), "oops\n");
  EXPECT_FALSE(p.waitForLine("never", Ms(5000)));  // exited: returns at once
}

TEST(Process, SignalsAndExecFailure) {
  Process sleeper("/bin/sleep", {"30"});
  ASSERT_TRUE(sleeper.started());
  EXPECT_EQ(sleeper.waitExit(Ms(50)), std::nullopt);
  sleeper.signal(SIGTERM);
  EXPECT_EQ(sleeper.waitExit(Ms(5000)), std::optional<int>(128 + SIGTERM));

  Process missing("/nonexistent/binary", {});
  EXPECT_FALSE(missing.started());
  EXPECT_NE(missing.error().find("No such file"), std::string::npos) << missing.error();
}

TEST(Harness, PortsTemplatesAndFiles) {
  uint16_t port = freeLoopbackPort();
  EXPECT_NE(port, 0);
  EXPECT_FALSE(waitForPort(port, Ms(50)));

  std::string out, error;
  EXPECT_TRUE(renderTemplate("a={{A}} m = { prefix = \"/\" }", {{"A", "1"}}, out));
  EXPECT_EQ(out, "a=1 m = { prefix = \"/\" }");
  EXPECT_FALSE(renderTemplate("{{MISSING}}", {}, out, &error));
  EXPECT_NE(error.find("MISSING"), std::string::npos);

  std::string path;
  {
    TempDir dir;
    path = dir.file("x.txt");
    ASSERT_TRUE(writeFile(path, "content"));
    EXPECT_EQ(readFile(path), "content");
  }
  if (!std::getenv("COURIER_KEEP_TMP")) {
    EXPECT_EQ(readFile(path), "");  // removed with the directory
  }
}

TEST(Harness, CourierProcessReportsAnEarlyExit) {
  CourierOptions o;
  o.binary = "/bin/true";  // exits at once, never ready
  o.vars = {{"UPSTREAM", "127.0.0.1:1"}};
  CourierProcess courier(
      "[server]\nlisten = \"{{LISTEN}}\"\nadmin = \"{{ADMIN}}\"\n# {{UPSTREAM}}\n", o);
  EXPECT_FALSE(courier.ok());
  EXPECT_NE(courier.error().find("exited with 0"), std::string::npos) << courier.error();
  EXPECT_EQ(readFile(courier.configPath()),
            "[server]\nlisten = \"127.0.0.1:" + std::to_string(courier.port()) +
                "\"\nadmin = \"127.0.0.1:" + std::to_string(courier.adminPort()) +
                "\"\n# 127.0.0.1:1\n");
}

}  // namespace
}  // namespace courier::test
