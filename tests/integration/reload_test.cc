// Config reload by SIGHUP and POST /reload: a valid file takes effect for
// new requests without dropping connections; an invalid one is reported and
// the running config stays.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

// GEN and the extra route vary between generations.
const std::string kGen1 = configHead(2) + R"(
[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
headers = { response_add = { "x-gen" = "1" } }
)";

const std::string kGen2 = configHead(2) + R"(
[[routes]]
name = "only-gen2"
match = { prefix = "/gen2/" }
cluster = "agent"
prefix_rewrite = "/"

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
headers = { response_add = { "x-gen" = "2" } }
)";

// routes[0].timeout is on line 14, its value at column 11.
const std::string kInvalid = configHead(2) + R"(
[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
timeout = "soon"
)";

class ReloadTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kGen1); }
  std::string gen(HttpClient& c) {
    Response r = c.get("/bytes/2");
    return r.status == 200 ? r.header("x-gen") : "status " + std::to_string(r.status) + r.error;
  }
  double reloads(const std::string& result) {
    std::string text = courier_->adminClient().get("/metrics").body;
    return sample(text, "courier_config_reloads_total{result=\"" + result + "\"}");
  }
};

TEST_F(ReloadTest, SighupAppliesAValidConfigWithoutDroppingConnections) {
  HttpClient kept = courier_->client();
  ASSERT_EQ(gen(kept), "1");
  EXPECT_EQ(kept.get("/gen2/bytes/3").status, 404) << "upstream 404 before the reload";

  Response during;
  std::thread slow([&] { during = courier_->client().get("/delay/400"); });
  ASSERT_TRUE(pollUntil(Ms(2000), [&] { return up_.hits("/delay/400") == 1; }));

  std::string error;
  ASSERT_TRUE(courier_->rewriteConfig(kGen2, &error)) << error;
  courier_->process().signal(SIGHUP);
  EXPECT_TRUE(pollUntil(Ms(3000), [&] {
    HttpClient fresh = courier_->client();
    return gen(fresh) == "2";
  })) << "the reloaded route never took effect";

  // The connection opened before the reload is still open, and its next
  // request uses the new config.
  EXPECT_EQ(gen(kept), "2");
  Response r = kept.get("/gen2/bytes/3");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abc");
  EXPECT_EQ(kept.connectCount(), 1) << "the reload dropped a client connection";

  slow.join();
  EXPECT_EQ(during.status, 200) << "in-flight request during reload: " << during.error;
  EXPECT_EQ(reloads("success"), 1);
  EXPECT_EQ(reloads("failure"), 0);
  EXPECT_TRUE(courier_->process().running());
}

TEST_F(ReloadTest, SighupWithAnInvalidFileKeepsTheRunningConfig) {
  HttpClient c = courier_->client();
  ASSERT_EQ(gen(c), "1");
  std::string error;
  ASSERT_TRUE(courier_->rewriteConfig(kInvalid, &error)) << error;
  courier_->process().signal(SIGHUP);
  EXPECT_TRUE(pollUntil(Ms(3000), [&] { return reloads("failure") == 1; }))
      << "the failed reload was not counted";
  EXPECT_TRUE(courier_->process().running());
  EXPECT_EQ(gen(c), "1");
  HttpClient fresh = courier_->client();
  EXPECT_EQ(gen(fresh), "1");
  EXPECT_EQ(courier_->adminClient().get("/ready").status, 200);
  EXPECT_EQ(reloads("success"), 0);
  // The error is reported with its position.
  std::string line;
  EXPECT_TRUE(courier_->process().waitForLine("routes[0].timeout", Ms(1000), &line, true))
      << courier_->process().stderrText();
  EXPECT_NE(line.find(courier_->configPath() + ":14:11: routes[0].timeout: "), std::string::npos)
      << line;
}

TEST_F(ReloadTest, PostReloadReportsErrorsAndAppliesValidFiles) {
  HttpClient admin = courier_->adminClient();
  std::string error;
  ASSERT_TRUE(courier_->rewriteConfig(kInvalid, &error)) << error;
  Response r = admin.post("/reload", "");
  ASSERT_EQ(r.status, 400) << r.error;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  // JSON-escaped: ...: routes[0].timeout: expected a duration like \"30s\"
  EXPECT_NE(r.body.find(courier_->configPath() +
                        ":14:11: routes[0].timeout: expected a duration like \\\"30s\\\""),
            std::string::npos)
      << r.body;
  HttpClient c = courier_->client();
  EXPECT_EQ(gen(c), "1");

  ASSERT_TRUE(courier_->rewriteConfig(kGen2, &error)) << error;
  r = admin.post("/reload", "");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(gen(c), "2");
  EXPECT_EQ(c.connectCount(), 1);
  EXPECT_EQ(reloads("success"), 1);
  EXPECT_EQ(reloads("failure"), 1);

  // GET /config shows the new running config.
  Response config = admin.get("/config");
  EXPECT_NE(config.body.find("only-gen2"), std::string::npos) << config.body.substr(0, 400);
}

TEST_F(ReloadTest, ReloadIsNotAGetEndpoint) {
  Response r = courier_->adminClient().get("/reload");
  EXPECT_NE(r.status, 200) << r.body;
  EXPECT_GE(r.status, 400);
  EXPECT_EQ(reloads("success") + reloads("failure"), 0) << "a GET triggered a reload";
}

}  // namespace
}  // namespace courier::test
