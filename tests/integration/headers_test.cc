// Request and response header handling: x-forwarded-*, x-request-id,
// hop-by-hop removal in both directions, Host, host_rewrite and
// prefix_rewrite. The demo upstream's GET /headers shows what it received.
#include <gtest/gtest.h>

#include <optional>
#include <regex>
#include <set>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(1) + R"(
[[routes]]
name = "rewrite-host"
match = { host = "rewrite.test", prefix = "/" }
cluster = "agent"
host_rewrite = "upstream.internal:8443"

[[routes]]
name = "api"
match = { prefix = "/api/" }
cluster = "agent"
prefix_rewrite = "/"

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

// What the upstream received as header `name` (lower-case), if anything.
std::optional<std::string> upstreamSaw(const Response& r, const std::string& name) {
  return jsonString(r.body, name, "headers");
}

bool isUuid(const std::string& s) {
  static const std::regex re("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");
  return std::regex_match(s, re);
}

class HeadersTest : public CourierTest {
 protected:
  void SetUp() override { startProxy(kConfig); }
  Response headers(const Headers& h = {}, const std::string& target = "/headers") {
    HttpClient c = courier_->client();
    Response r = c.get(target, h);
    EXPECT_EQ(r.status, 200) << r.error << r.raw;
    return r;
  }
};

TEST_F(HeadersTest, XForwardedForIsSetOrAppended) {
  Response r = headers();
  EXPECT_EQ(upstreamSaw(r, "x-forwarded-for"), "127.0.0.1") << r.body;
  r = headers({{"X-Forwarded-For", "203.0.113.7"}});
  EXPECT_EQ(upstreamSaw(r, "x-forwarded-for"), "203.0.113.7, 127.0.0.1") << r.body;
  r = headers({{"X-Forwarded-For", "203.0.113.7, 198.51.100.2"}});
  EXPECT_EQ(upstreamSaw(r, "x-forwarded-for"), "203.0.113.7, 198.51.100.2, 127.0.0.1") << r.body;
}

TEST_F(HeadersTest, XForwardedProtoIsHttp) {
  Response r = headers();
  EXPECT_EQ(upstreamSaw(r, "x-forwarded-proto"), "http") << r.body;
  // A client cannot claim https over a plain connection.
  r = headers({{"X-Forwarded-Proto", "https"}});
  EXPECT_EQ(upstreamSaw(r, "x-forwarded-proto"), "http") << r.body;
}

TEST_F(HeadersTest, RequestIdIsKeptOrGenerated) {
  Response r = headers({{"X-Request-Id", "client-chosen-42"}});
  EXPECT_EQ(upstreamSaw(r, "x-request-id"), "client-chosen-42") << r.body;

  std::set<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    r = headers();
    auto id = upstreamSaw(r, "x-request-id");
    ASSERT_TRUE(id.has_value()) << r.body;
    EXPECT_TRUE(isUuid(*id)) << *id;
    ids.insert(*id);
  }
  EXPECT_EQ(ids.size(), 3u) << "generated request ids repeat";
}

TEST_F(HeadersTest, HopByHopRequestHeadersAreRemoved) {
  Response r = headers({{"Connection", "keep-alive, X-Foo"},
                        {"X-Foo", "secret"},
                        {"X-Bar", "kept"},
                        {"Keep-Alive", "timeout=5"},
                        {"Proxy-Connection", "keep-alive"},
                        {"TE", "gzip"}});
  EXPECT_EQ(upstreamSaw(r, "x-foo"), std::nullopt) << "named by Connection: " << r.body;
  EXPECT_EQ(upstreamSaw(r, "keep-alive"), std::nullopt) << r.body;
  EXPECT_EQ(upstreamSaw(r, "proxy-connection"), std::nullopt) << r.body;
  EXPECT_EQ(upstreamSaw(r, "te"), std::nullopt) << r.body;
  EXPECT_EQ(upstreamSaw(r, "x-bar"), "kept") << r.body;
  auto connection = upstreamSaw(r, "connection");
  if (connection) {
    EXPECT_EQ(connection->find("x-foo"), std::string::npos) << *connection;
    EXPECT_EQ(connection->find("X-Foo"), std::string::npos) << *connection;
  }
  EXPECT_EQ(upstreamSaw(r, "transfer-encoding"), std::nullopt) << r.body;
}

TEST_F(HeadersTest, TeTrailersIsForwarded) {
  Response r = headers({{"TE", "trailers"}});
  EXPECT_EQ(upstreamSaw(r, "te"), "trailers") << r.body;
}

TEST_F(HeadersTest, UpgradeIsNotForwarded) {
  Response r = headers({{"Upgrade", "websocket-ish"}, {"X-Bar", "kept"}});
  EXPECT_EQ(upstreamSaw(r, "upgrade"), std::nullopt) << r.body;
  EXPECT_EQ(upstreamSaw(r, "x-bar"), "kept") << r.body;
}

TEST_F(HeadersTest, HopByHopResponseHeadersAreRemoved) {
  HttpClient c = courier_->client();
  Response r = c.get(
      "/response-headers?X-Secret=1&X-Visible=2&Connection=X-Secret&Keep-Alive=timeout%3D5"
      "&Proxy-Connection=keep-alive&Upgrade=foo");
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_FALSE(r.has("x-secret")) << r.raw;
  EXPECT_FALSE(r.has("keep-alive")) << r.raw;
  EXPECT_FALSE(r.has("proxy-connection")) << r.raw;
  EXPECT_FALSE(r.has("upgrade")) << r.raw;
  EXPECT_EQ(r.header("x-visible"), "2") << r.raw;
  EXPECT_EQ(r.header("connection").find("X-Secret"), std::string::npos) << r.raw;
  // And the client connection is still usable.
  EXPECT_EQ(c.get("/bytes/3").body, "abc");
  EXPECT_EQ(c.connectCount(), 1);
}

TEST_F(HeadersTest, HostIsKeptByDefault) {
  Response r = headers({{"Host", "service.example:1234"}});
  EXPECT_EQ(upstreamSaw(r, "host"), "service.example:1234") << r.body;
}

TEST_F(HeadersTest, HostRewrite) {
  Response r = headers({{"Host", "rewrite.test"}});
  EXPECT_EQ(upstreamSaw(r, "host"), "upstream.internal:8443") << r.body;
}

TEST_F(HeadersTest, PrefixRewriteKeepsTheQuery) {
  Response r = headers({}, "/api/headers?x=1&y=two%20words");
  EXPECT_EQ(jsonString(r.body, "path"), "/headers") << r.body;
  EXPECT_EQ(jsonString(r.body, "query"), "x=1&y=two%20words") << r.body;

  HttpClient c = courier_->client();
  r = c.get("/api/bytes/5");
  EXPECT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body, "abcde");
}

}  // namespace
}  // namespace courier::test
