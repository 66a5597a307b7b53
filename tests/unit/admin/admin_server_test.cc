#include "proxy/admin/admin_server.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cerrno>
#include <memory>

#include "tests/unit/admin/http_client.h"

namespace courier::admin {
namespace {

using testing::fetch;
using testing::Response;

// Records purge bodies; answers at once, or later (as Redis would) when
// `defer` is set, through `deferred`.
class FakePurger : public CachePurger {
 public:
  void purge(std::string_view body, Done done) override {
    bodies.emplace_back(body);
    if (defer) {
      deferred = std::move(done);
      return;
    }
    done(200, "{\"purged\":{\"memory\":1}}\n");
  }
  std::vector<std::string> bodies;
  bool defer = false;
  Done deferred;
};

class FakeContext : public AdminContext {
 public:
  Readiness readiness() const override { return readiness_; }
  std::string configJson() const override { return "{\"server\":{\"workers\":2}}"; }
  const stats::StatsStore& stats() const override { return store_; }
  stats::BuildInfo buildInfo() const override { return {"9.9.9", "deadbeef", "test"}; }
  ReloadOutcome reload() override {
    ++reloads_;
    return reload_outcome_;
  }
  std::string adminToken() const override { return token_; }
  CachePurger* cachePurger() override { return purger_; }

  CachePurger* purger_ = nullptr;
  Readiness readiness_ = Readiness::Ready;
  ReloadOutcome reload_outcome_;
  std::string token_;
  int reloads_ = 0;
  stats::StatsStore store_{{"chat"}, {"agent"}, 1};
};

config::SocketAddress loopback(uint16_t port) {
  config::SocketAddress a;
  a.text = "127.0.0.1:" + std::to_string(port);
  auto* sin = reinterpret_cast<sockaddr_in*>(&a.addr);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(port);
  sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.len = sizeof(sockaddr_in);
  return a;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = event_base_new();
    ASSERT_NE(base_, nullptr);
    server_ = std::make_unique<AdminServer>(base_, loopback(0), context_);
    auto port = server_->start();
    ASSERT_TRUE(port.ok()) << port.error().message;
    ASSERT_NE(*port, 0);
    EXPECT_EQ(server_->port(), *port);
  }
  void TearDown() override {
    server_.reset();
    event_base_free(base_);
  }
  Response get(const std::string& path) {
    return fetch(base_, server_->port(), EVHTTP_REQ_GET, path);
  }
  Response post(const std::string& path,
                const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    return fetch(base_, server_->port(), EVHTTP_REQ_POST, path, headers, "{}");
  }

  event_base* base_ = nullptr;
  FakeContext context_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, Healthz) {
  Response r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ok\"}\n");
  EXPECT_EQ(r.headers["Content-Type"], "application/json");
  EXPECT_EQ(r.headers["Cache-Control"], "no-store");
}

TEST_F(AdminServerTest, ReadyFollowsContext) {
  Response r = get("/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"status\":\"ready\"}\n");
  context_.readiness_ = Readiness::Starting;
  r = get("/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "{\"status\":\"starting\"}\n");
  context_.readiness_ = Readiness::Draining;
  r = get("/ready");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "{\"status\":\"draining\"}\n");
}

TEST_F(AdminServerTest, Config) {
  Response r = get("/config");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"server\":{\"workers\":2}}");
  EXPECT_EQ(r.headers["Content-Type"], "application/json");
}

TEST_F(AdminServerTest, Metrics) {
  context_.store_.shard(0).recordRequest(0, 200, std::chrono::milliseconds(3));
  context_.store_.shard(0).recordRequest(0, 200, std::chrono::milliseconds(3),
                                         stats::DownstreamProtocol::Http2);
  context_.store_.shard(0).recordRequest(0, 200, std::chrono::milliseconds(3),
                                         stats::DownstreamProtocol::Http2);
  Response r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["Content-Type"], "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(
      r.body.find("courier_requests_total{route=\"chat\",code=\"200\",protocol=\"http1\"} 1\n"),
      std::string::npos);
  EXPECT_NE(
      r.body.find("courier_requests_total{route=\"chat\",code=\"200\",protocol=\"http2\"} 2\n"),
      std::string::npos)
      << r.body.substr(0, 600);
  EXPECT_NE(r.body.find("courier_build_info{version=\"9.9.9\",revision=\"deadbeef\""),
            std::string::npos);
  // Query strings are not part of the path.
  EXPECT_EQ(get("/metrics?name[]=x").status, 200);
}

TEST_F(AdminServerTest, Stats) {
  context_.store_.shard(0).recordRequest(0, 200, std::chrono::milliseconds(3));
  Response r = get("/stats");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers["Content-Type"], "application/json");
  EXPECT_EQ(r.body.rfind("{\"uptime_seconds\":", 0), 0u) << r.body;
  EXPECT_NE(r.body.find("{\"name\":\"chat\",\"requests_total\":1,"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"protocols\":{\"http1\":1,\"http2\":0}"), std::string::npos) << r.body;
}

TEST_F(AdminServerTest, HeadOnGetEndpoint) {
  Response r = fetch(base_, server_->port(), EVHTTP_REQ_HEAD, "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST_F(AdminServerTest, ReloadOkAndError) {
  Response r = post("/reload");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"result\":\"ok\"}\n");
  EXPECT_EQ(context_.reloads_, 1);

  context_.reload_outcome_ = {false, "courier.toml:3:1: routes[0].cluster: unknown cluster \"x\""};
  r = post("/reload");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.body,
            "{\"result\":\"error\",\"message\":\"courier.toml:3:1: routes[0].cluster: unknown "
            "cluster \\\"x\\\"\"}\n");
  EXPECT_EQ(context_.reloads_, 2);
}

TEST_F(AdminServerTest, CachePurgeWithoutACacheIs404) {
  Response r = post("/cache/purge");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body.rfind("{\"error\":\"no_cache\"", 0), 0u) << r.body;
}

TEST_F(AdminServerTest, CachePurgePassesTheBodyAndAnswers) {
  FakePurger purger;
  context_.purger_ = &purger;
  Response r = fetch(base_, server_->port(), EVHTTP_REQ_POST, "/cache/purge", {},
                     "{\"url\":\"/v1/models\"}");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "{\"purged\":{\"memory\":1}}\n");
  ASSERT_EQ(purger.bodies.size(), 1u);
  EXPECT_EQ(purger.bodies[0], "{\"url\":\"/v1/models\"}");
}

TEST_F(AdminServerTest, CachePurgeAnswersLater) {
  FakePurger purger;
  purger.defer = true;
  context_.purger_ = &purger;
  // The purger answers from a timer, after the request callback returned.
  event* later = evtimer_new(
      base_,
      [](evutil_socket_t, short, void* arg) {
        auto* p = static_cast<FakePurger*>(arg);
        if (p->deferred) p->deferred(503, "{\"error\":\"upstream_unavailable\"}\n");
      },
      &purger);
  timeval delay{0, 50'000};
  evtimer_add(later, &delay);
  Response r = post("/cache/purge");
  event_free(later);
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.body, "{\"error\":\"upstream_unavailable\"}\n");
}

TEST_F(AdminServerTest, UnknownPathIs404Json) {
  for (const char* path : {"/", "/nope", "/metrics/", "/healthz/x"}) {
    Response r = get(path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.rfind("{\"error\":\"not_found\"", 0), 0u) << r.body;
    EXPECT_EQ(r.headers["Content-Type"], "application/json");
  }
  EXPECT_EQ(post("/nope").status, 404);
}

TEST_F(AdminServerTest, WrongMethodIs405) {
  Response r = post("/metrics");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "GET, HEAD");
  EXPECT_EQ(r.body.rfind("{\"error\":\"method_not_allowed\"", 0), 0u) << r.body;

  r = get("/reload");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers["Allow"], "POST");
  EXPECT_EQ(context_.reloads_, 0);

  EXPECT_EQ(fetch(base_, server_->port(), EVHTTP_REQ_DELETE, "/cache/purge").status, 405);
  EXPECT_EQ(fetch(base_, server_->port(), EVHTTP_REQ_PATCH, "/healthz").status, 405);
  EXPECT_EQ(fetch(base_, server_->port(), EVHTTP_REQ_PUT, "/reload").status, 405);
}

TEST_F(AdminServerTest, TokenGuardsMutatingCalls) {
  context_.token_ = "s3cret";
  Response r = post("/reload");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.headers["WWW-Authenticate"], "Bearer realm=\"courier-admin\"");
  EXPECT_EQ(r.body.rfind("{\"error\":\"unauthorized\"", 0), 0u) << r.body;
  EXPECT_EQ(post("/reload", {{"Authorization", "Bearer wrong"}}).status, 401);
  EXPECT_EQ(post("/reload", {{"Authorization", "Basic s3cret"}}).status, 401);
  EXPECT_EQ(post("/reload", {{"Authorization", "Bearer s3cret2"}}).status, 401);
  EXPECT_EQ(post("/cache/purge", {{"Authorization", "Bearer nope"}}).status, 401);
  EXPECT_EQ(context_.reloads_, 0);

  EXPECT_EQ(post("/reload", {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(post("/reload", {{"Authorization", "bearer s3cret"}}).status, 200);
  FakePurger purger;
  context_.purger_ = &purger;
  EXPECT_EQ(post("/cache/purge", {{"Authorization", "Bearer s3cret"}}).status, 200);
  EXPECT_EQ(context_.reloads_, 2);
  // Reads stay open.
  EXPECT_EQ(get("/metrics").status, 200);
  EXPECT_EQ(get("/config").status, 200);
}

TEST_F(AdminServerTest, KeepAliveServesSeveralRequests) {
  for (int i = 0; i < 20; ++i) ASSERT_EQ(get("/healthz").status, 200) << i;
}

TEST(AdminServerBind, AddressInUseIsAnError) {
  event_base* base = event_base_new();
  FakeContext context;
  AdminServer first(base, loopback(0), context);
  auto port = first.start();
  ASSERT_TRUE(port.ok());
  AdminServer second(base, loopback(*port), context);
  auto again = second.start();
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, EADDRINUSE);
  EXPECT_NE(again.error().message.find("127.0.0.1:" + std::to_string(*port)), std::string::npos)
      << again.error().message;
  EXPECT_NE(again.error().message.find("in use"), std::string::npos) << again.error().message;
  first.stop();
  second.stop();
  event_base_free(base);
}

TEST(AdminServerBind, StopClosesListener) {
  event_base* base = event_base_new();
  FakeContext context;
  AdminServer server(base, loopback(0), context);
  auto port = server.start();
  ASSERT_TRUE(port.ok());
  server.stop();
  server.stop();  // idempotent
  EXPECT_EQ(fetch(base, *port, EVHTTP_REQ_GET, "/healthz").status, 0);
  event_base_free(base);
}

}  // namespace
}  // namespace courier::admin
