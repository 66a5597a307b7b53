// Route matching through the real binary: host (exact and wildcard),
// methods, header matchers, regex, exact paths, first match wins and the
// 404 no_route reply. Every route tags its responses with x-route.
#include <gtest/gtest.h>

#include <optional>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(1) + R"(
[[routes]]
name = "exact-host"
match = { host = "api.example.com", prefix = "/" }
cluster = "agent"
headers = { response_add = { "x-route" = "exact-host" } }

[[routes]]
name = "wildcard-host"
match = { hosts = ["*.example.com", "other.test"], prefix = "/" }
cluster = "agent"
headers = { response_add = { "x-route" = "wildcard-host" } }

[[routes]]
name = "writes"
match = { prefix = "/m/", methods = ["POST", "put"] }
cluster = "agent"
headers = { response_add = { "x-route" = "writes" } }

[[routes]]
name = "tenant-blue"
match = { prefix = "/h/", headers = [ { name = "X-Tenant", exact = "blue" } ] }
cluster = "agent"
headers = { response_add = { "x-route" = "tenant-blue" } }

[[routes]]
name = "tenant-grey"
match = { prefix = "/h/", headers = [ { name = "x-tenant", regex = "gr[ae]y" } ] }
cluster = "agent"
headers = { response_add = { "x-route" = "tenant-grey" } }

[[routes]]
name = "no-debug"
match = { prefix = "/d/", headers = [ { name = "x-debug", present = false } ] }
cluster = "agent"
headers = { response_add = { "x-route" = "no-debug" } }

[[routes]]
name = "numbered"
match = { regex = "/r/[0-9]+" }
cluster = "agent"
headers = { response_add = { "x-route" = "numbered" } }

[[routes]]
name = "first"
match = { prefix = "/first/" }
cluster = "agent"
headers = { response_add = { "x-route" = "first" } }

[[routes]]
name = "shadowed"
match = { prefix = "/first/x" }
cluster = "agent"
headers = { response_add = { "x-route" = "shadowed" } }

[[routes]]
name = "exact-path"
match = { path = "/exact" }
cluster = "agent"
headers = { response_add = { "x-route" = "exact-path" } }
)";

class RoutingTest : public CourierTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(startProxy(kConfig));
    client_ = courier_->client();
  }
  // The x-route of the answer, or "404:<error>" for a local 404.
  std::string routeOf(std::string_view method, std::string_view target, Headers h = {}) {
    if (method == "POST" || method == "PUT") h.push_back({"Content-Length", "0"});
    Response r = client_.request(method, target, h);
    if (!r.ok()) return "error: " + r.error;
    if (r.has("x-route")) return r.header("x-route");
    return std::to_string(r.status) + ":" + jsonString(r.body, "error").value_or("?");
  }

  HttpClient client_{0};  // to courier, once it runs
};

TEST_F(RoutingTest, HostExactAndWildcard) {
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "api.example.com"}}), "exact-host");
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "API.Example.COM:8080"}}), "exact-host");
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "foo.example.com"}}), "wildcard-host");
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "a.b.example.com"}}), "wildcard-host");
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "other.test"}}), "wildcard-host");
  // "*.example.com" needs one more label, and a suffix must start at a dot.
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "example.com"}}), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "badexample.com"}}), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/", {{"Host", "api.example.com.evil"}}), "404:no_route");
}

TEST_F(RoutingTest, AbsoluteFormTargetHostIsMatched) {
  // RFC 9112 §3.2.2: the authority of an absolute-form target replaces Host.
  EXPECT_EQ(routeOf("GET", "http://api.example.com/healthz", {{"Host", "ignored.test"}}),
            "exact-host");
}

TEST_F(RoutingTest, Methods) {
  EXPECT_EQ(routeOf("POST", "/m/x"), "writes");
  EXPECT_EQ(routeOf("PUT", "/m/x"), "writes");
  EXPECT_EQ(routeOf("GET", "/m/x"), "404:no_route");
  EXPECT_EQ(routeOf("DELETE", "/m/x"), "404:no_route");
  EXPECT_EQ(routeOf("post", "/m/x"), "404:no_route") << "methods are case-sensitive on the wire";
}

TEST_F(RoutingTest, HeaderMatchers) {
  EXPECT_EQ(routeOf("GET", "/h/a", {{"X-Tenant", "blue"}}), "tenant-blue");
  EXPECT_EQ(routeOf("GET", "/h/a", {{"x-tenant", "grey"}}), "tenant-grey");
  EXPECT_EQ(routeOf("GET", "/h/a", {{"X-TENANT", "gray"}}), "tenant-grey");
  EXPECT_EQ(routeOf("GET", "/h/a", {{"X-Tenant", "Blue"}}), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/h/a", {{"X-Tenant", "greyish"}}), "404:no_route")
      << "a header regex must match the whole value";
  EXPECT_EQ(routeOf("GET", "/h/a"), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/d/a"), "no-debug");
  EXPECT_EQ(routeOf("GET", "/d/a", {{"X-Debug", "1"}}), "404:no_route");
}

TEST_F(RoutingTest, RegexIsAFullMatchOnThePath) {
  EXPECT_EQ(routeOf("GET", "/r/123"), "numbered");
  EXPECT_EQ(routeOf("GET", "/r/123?q=abc"), "numbered") << "the query is not part of the path";
  EXPECT_EQ(routeOf("GET", "/r/12a"), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/r/123/more"), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/x/r/123"), "404:no_route");
}

TEST_F(RoutingTest, ExactPathIgnoresTheQuery) {
  EXPECT_EQ(routeOf("GET", "/exact"), "exact-path");
  EXPECT_EQ(routeOf("GET", "/exact?a=1"), "exact-path");
  EXPECT_EQ(routeOf("GET", "/exact/"), "404:no_route");
  EXPECT_EQ(routeOf("GET", "/exactly"), "404:no_route");
}

TEST_F(RoutingTest, FirstMatchWins) {
  EXPECT_EQ(routeOf("GET", "/first/x"), "first");
  EXPECT_EQ(routeOf("GET", "/first/xyz"), "first");
  // The host routes come first and catch everything for their hosts.
  EXPECT_EQ(routeOf("GET", "/first/x", {{"Host", "api.example.com"}}), "exact-host");
  EXPECT_EQ(routeOf("POST", "/m/x", {{"Host", "w.example.com"}}), "wildcard-host");
}

TEST_F(RoutingTest, NoRouteIsAJson404AndKeepsTheConnection) {
  HttpClient c = courier_->client();
  Response r = c.get("/nowhere", {{"X-Request-Id", "req-no-route-1"}});
  ASSERT_EQ(r.status, 404) << r.error;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  EXPECT_EQ(jsonString(r.body, "error"), "no_route") << r.body;
  auto message = jsonString(r.body, "message");
  ASSERT_TRUE(message.has_value()) << r.body;
  EXPECT_FALSE(message->empty());
  EXPECT_EQ(jsonString(r.body, "request_id"), "req-no-route-1") << r.body;
  EXPECT_FALSE(r.has("x-route"));

  Response gen = c.get("/nowhere/else");
  ASSERT_EQ(gen.status, 404) << gen.error;
  auto id = jsonString(gen.body, "request_id");
  ASSERT_TRUE(id.has_value()) << gen.body;
  EXPECT_EQ(id->size(), 36u) << *id;

  EXPECT_EQ(c.get("/exact").status, 404) << "upstream's own 404 for /exact";
  EXPECT_EQ(c.connectCount(), 1) << "a local 404 must not close the connection";
  EXPECT_EQ(up_.hits("/nowhere"), 0u) << "an unrouted request reached the upstream";
}

}  // namespace
}  // namespace courier::test
