// Connection limits and the access log: idle_timeout, max_connections
// (exact across workers) and one JSON access-log line per request.
#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(2, R"(idle_timeout = "{{IDLE}}"
max_connections = {{MAX_CONNECTIONS}}
access_log = "{{ACCESS_LOG}}"
)") + R"(
[[routes]]
name = "rewritten"
match = { host = "rewrite.test", prefix = "/" }
cluster = "agent"
host_rewrite = "upstream.internal"

[[routes]]
name = "api"
match = { prefix = "/api/" }
cluster = "agent"
prefix_rewrite = "/"

[[routes]]
name = "default"
match = { prefix = "/", methods = ["GET", "POST"] }
cluster = "agent"
)";

class LimitsTest : public CourierTest {
 protected:
  void start(const std::string& idle = "60s", int max_connections = 1000,
             const std::string& access_log = "stdout") {
    startProxy(kConfig, {{"IDLE", idle},
                         {"MAX_CONNECTIONS", std::to_string(max_connections)},
                         {"ACCESS_LOG", access_log}});
  }
};

TEST_F(LimitsTest, IdleKeepAliveConnectionIsClosed) {
  start("300ms");
  HttpClient c = courier_->client();
  ASSERT_EQ(c.get("/bytes/1").status, 200);
  auto idle_from = Clock::now();
  ASSERT_TRUE(c.isClosed(Ms(2000))) << "an idle connection outlived idle_timeout";
  int64_t took = msBetween(idle_from, Clock::now());
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 1200);
}

TEST_F(LimitsTest, IdleTimeoutDoesNotCutActiveRequests) {
  start("300ms");
  HttpClient c = courier_->client();
  // A request that takes longer than idle_timeout is not idle.
  Response r = c.get("/delay/600");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, R"({"delayed_ms":600})");
  // Nor is a response that streams for longer than it.
  r = c.get("/slow-body?bytes=4000&rate=8000");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body.size(), 4000u);
  // Requests every 150 ms keep the connection alive past the timeout.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(Ms(150));
    ASSERT_EQ(c.get("/bytes/1").status, 200) << i;
  }
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(LimitsTest, MaxConnectionsIsEnforced) {
  start("60s", 3);
  std::vector<HttpClient> open;
  for (int i = 0; i < 3; ++i) {
    open.push_back(courier_->client(Ms(2000)));
    ASSERT_EQ(open.back().get("/bytes/1").status, 200) << "connection " << i;
  }
  // The fourth is closed at once, whichever worker accepts it.
  for (int attempt = 0; attempt < 4; ++attempt) {
    HttpClient extra = courier_->client(Ms(1000));
    ASSERT_TRUE(extra.connect());  // the kernel accepts; courier then closes it
    auto t0 = Clock::now();
    EXPECT_TRUE(extra.isClosed(Ms(1000)))
        << "attempt " << attempt << ": a 4th connection stayed open";
    EXPECT_LT(msBetween(t0, Clock::now()), 500);
    Response r = extra.get("/bytes/1");
    EXPECT_NE(r.status, 200) << "attempt " << attempt << ": a 4th connection was served";
  }
  // The three keep working.
  for (auto& c : open) EXPECT_EQ(c.get("/bytes/2").status, 200);
  // Closing one makes room for a new one.
  open.pop_back();
  EXPECT_TRUE(pollUntil(Ms(2000), [&] {
    HttpClient c = courier_->client(Ms(500));
    return c.get("/bytes/3").status == 200;
  }));
}

TEST_F(LimitsTest, AccessLogHasOneJsonLinePerRequest) {
  start();
  HttpClient c = courier_->client();
  ASSERT_EQ(c.get("/bytes/10", {{"X-Request-Id", "log-test-1"}}).status, 200);
  ASSERT_EQ(c.get("/api/status/503").status, 503);
  ASSERT_EQ(c.request("DELETE", "/nowhere").status, 404);
  ASSERT_EQ(c.post("/echo", "12345").status, 200);
  ASSERT_EQ(c.get("/bytes/1", {{"Host", "rewrite.test"}}).status, 200);

  std::vector<std::string> lines;
  EXPECT_TRUE(pollUntil(Ms(2000), [&] {
    lines = nonEmptyLines(courier_->process().stdoutText());
    return lines.size() >= 5;
  }));
  std::this_thread::sleep_for(Ms(150));  // a sixth line would have been flushed by now
  lines = nonEmptyLines(courier_->process().stdoutText());
  ASSERT_EQ(lines.size(), 5u) << courier_->process().stdoutText();

  std::vector<std::map<std::string, std::string>> entries(5);
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string error;
    ASSERT_TRUE(parseJsonObject(lines[i], &entries[i], &error)) << error << "\n" << lines[i];
    for (const char* key :
         {"time", "request_id", "client", "method", "authority", "path", "protocol", "status",
          "route", "upstream", "duration_ms", "bytes_in", "bytes_out"}) {
      EXPECT_TRUE(entries[i].count(key)) << "no " << key << " in " << lines[i];
    }
  }
  EXPECT_EQ(entries[0]["request_id"], "log-test-1");
  EXPECT_EQ(entries[0]["method"], "GET");
  EXPECT_EQ(entries[0]["path"], "/bytes/10");
  EXPECT_EQ(entries[0]["status"], "200");
  EXPECT_EQ(entries[0]["route"], "default");
  EXPECT_EQ(entries[0]["upstream"], up_.address());
  EXPECT_EQ(entries[0]["bytes_out"], "10");
  EXPECT_EQ(entries[0]["client"].rfind("127.0.0.1", 0), 0u) << entries[0]["client"];
  EXPECT_EQ(entries[0]["protocol"], "HTTP/1.1");
  EXPECT_EQ(entries[0]["time"].size(), 24u) << entries[0]["time"];  // 2026-01-01T00:00:00.000Z

  // The path as the client sent it, not as prefix_rewrite changed it.
  EXPECT_EQ(entries[1]["path"], "/api/status/503");
  EXPECT_EQ(entries[1]["status"], "503");
  EXPECT_EQ(entries[1]["route"], "api");

  EXPECT_EQ(entries[2]["method"], "DELETE");
  EXPECT_EQ(entries[2]["status"], "404");
  EXPECT_EQ(entries[2]["route"], "");
  EXPECT_EQ(entries[2]["upstream"], "");

  EXPECT_EQ(entries[3]["method"], "POST");
  EXPECT_EQ(entries[3]["bytes_in"], "5");
  EXPECT_EQ(entries[3]["bytes_out"], "5");
  EXPECT_GE(std::stod(entries[3]["duration_ms"]), 0.0);

  // The request as the client sent it, not as host_rewrite changed it.
  EXPECT_EQ(entries[4]["route"], "rewritten");
  EXPECT_EQ(entries[4]["authority"], "rewrite.test");
}

TEST_F(LimitsTest, AccessLogRecordsLocalErrors) {
  start();
  HttpClient c = courier_->client();
  c.sendRaw("GET /x HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  ASSERT_EQ(c.readResponse().status, 400);
  std::string line;
  ASSERT_TRUE(courier_->process().waitForLine("\"status\":400", Ms(2000), &line))
      << courier_->process().stdoutText();
  std::map<std::string, std::string> entry;
  std::string error;
  ASSERT_TRUE(parseJsonObject(line, &entry, &error)) << error;
  EXPECT_FALSE(entry["details"].empty()) << line;
}

TEST_F(LimitsTest, AccessLogOff) {
  start("60s", 1000, "off");
  HttpClient c = courier_->client();
  for (int i = 0; i < 5; ++i) ASSERT_EQ(c.get("/bytes/10").status, 200);
  ASSERT_EQ(c.request("DELETE", "/nowhere").status, 404);
  std::this_thread::sleep_for(Ms(200));  // longer than the log's flush delay
  EXPECT_EQ(courier_->process().stdoutText(), "");
}

}  // namespace
}  // namespace courier::test
