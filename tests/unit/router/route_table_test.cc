#include "proxy/router/route_table.h"

#include <gtest/gtest.h>

#include "proxy/router/host.h"
#include "tests/unit/router/route_fixture.h"

namespace courier::router {
namespace {

using namespace testing;

const std::string* matchName(const RouteTable& table, const http::RequestHeaders& r) {
  const config::RouteConfig* route = table.match(r);
  return route ? &route->name : nullptr;
}

#define EXPECT_ROUTE(table, req, expected)                \
  do {                                                    \
    const std::string* got = matchName(table, req);       \
    ASSERT_NE(got, nullptr) << "expected " << (expected); \
    EXPECT_EQ(*got, expected);                            \
  } while (0)
#define EXPECT_NO_ROUTE(table, req) EXPECT_EQ(matchName(table, req), nullptr)

TEST(Host, WithoutPort) {
  EXPECT_EQ(hostWithoutPort("example.com"), "example.com");
  EXPECT_EQ(hostWithoutPort("Example.COM:8080"), "Example.COM");
  EXPECT_EQ(hostWithoutPort("[::1]:80"), "[::1]");
  EXPECT_EQ(hostWithoutPort("[::1]"), "[::1]");
  EXPECT_EQ(hostWithoutPort("example.com.:80"), "example.com");
  EXPECT_EQ(hostWithoutPort(""), "");
  EXPECT_EQ(hostWithoutPort("10.0.0.1:443"), "10.0.0.1");
}

TEST(Host, Matches) {
  EXPECT_TRUE(hostMatches("api.example.com", "API.Example.com"));
  EXPECT_FALSE(hostMatches("api.example.com", "api.example.co"));
  EXPECT_TRUE(hostMatches("*.example.com", "a.example.com"));
  EXPECT_TRUE(hostMatches("*.example.com", "A.B.EXAMPLE.COM"));
  EXPECT_FALSE(hostMatches("*.example.com", "example.com"));
  EXPECT_FALSE(hostMatches("*.example.com", ".example.com"));
  EXPECT_FALSE(hostMatches("*.example.com", "badexample.com"));
  EXPECT_TRUE(hostMatches("*", "anything"));
}

TEST(RouteTable, EmptyTableMatchesNothing) {
  config::Config c;
  RouteTable table(c);
  EXPECT_EQ(table.size(), 0u);
  EXPECT_NO_ROUTE(table, request("GET", "/"));
}

TEST(RouteTable, ExactPathIgnoresQuery) {
  config::Config c;
  addRoute(c, "embed", exactPath("/v1/embed"));
  RouteTable table(c);
  EXPECT_ROUTE(table, request("POST", "/v1/embed"), "embed");
  EXPECT_ROUTE(table, request("POST", "/v1/embed?x=1"), "embed");
  EXPECT_NO_ROUTE(table, request("POST", "/v1/embed/"));
  EXPECT_NO_ROUTE(table, request("POST", "/v1/embe"));
  EXPECT_NO_ROUTE(table, request("POST", "/V1/embed"));
}

TEST(RouteTable, PrefixIsPlainBytePrefix) {
  config::Config c;
  addRoute(c, "v1", prefix("/v1/completions"));
  RouteTable table(c);
  EXPECT_ROUTE(table, request("POST", "/v1/completions"), "v1");
  EXPECT_ROUTE(table, request("POST", "/v1/completions/abc?q=/v1"), "v1");
  EXPECT_ROUTE(table, request("POST", "/v1/completionsX"), "v1");
  EXPECT_NO_ROUTE(table, request("POST", "/v1/complet"));
  EXPECT_NO_ROUTE(table, request("POST", "/x?/v1/completions"));  // query is not path
}

TEST(RouteTable, RegexIsFullMatchOnPathWithoutQuery) {
  config::Config c;
  config::RouteMatch m;
  m.regex = regex("/v1/models/[a-z0-9-]+");
  m.regex_text = "/v1/models/[a-z0-9-]+";
  addRoute(c, "model", m);
  RouteTable table(c);
  EXPECT_ROUTE(table, request("GET", "/v1/models/gpt-4"), "model");
  EXPECT_ROUTE(table, request("GET", "/v1/models/gpt-4?verbose=1"), "model");
  EXPECT_NO_ROUTE(table, request("GET", "/v1/models/gpt-4/extra"));  // not a partial match
  EXPECT_NO_ROUTE(table, request("GET", "/x/v1/models/gpt-4"));
  EXPECT_NO_ROUTE(table, request("GET", "/v1/models/GPT"));
}

TEST(RouteTable, Methods) {
  config::Config c;
  config::RouteMatch m = prefix("/");
  m.methods = {"POST", "PUT"};
  addRoute(c, "write", m);
  addRoute(c, "read", prefix("/"));
  RouteTable table(c);
  EXPECT_ROUTE(table, request("POST", "/a"), "write");
  EXPECT_ROUTE(table, request("PUT", "/a"), "write");
  EXPECT_ROUTE(table, request("GET", "/a"), "read");
  EXPECT_ROUTE(table, request("post", "/a"), "read");  // methods are case-sensitive
}

TEST(RouteTable, FirstMatchWins) {
  config::Config c;
  addRoute(c, "specific", prefix("/v1/completions"));
  addRoute(c, "v1", prefix("/v1/"));
  addRoute(c, "default", prefix("/"));
  addRoute(c, "unreachable", prefix("/v1/completions/x"));
  RouteTable table(c);
  EXPECT_ROUTE(table, request("GET", "/v1/completions/x"), "specific");
  EXPECT_ROUTE(table, request("GET", "/v1/other"), "v1");
  EXPECT_ROUTE(table, request("GET", "/"), "default");
  EXPECT_EQ(table.match(request("GET", "/v1/other"))->index, 1u);
}

TEST(RouteTable, HostsExactWildcardAndPort) {
  config::Config c;
  config::RouteMatch api = prefix("/");
  api.hosts = {"api.example.com"};
  addRoute(c, "api", api);
  config::RouteMatch tenants = prefix("/");
  tenants.hosts = {"*.tenants.example.com", "tenants.example.com"};
  addRoute(c, "tenants", tenants);
  config::RouteMatch v6 = prefix("/");
  v6.hosts = {"[::1]"};
  addRoute(c, "v6", v6);
  addRoute(c, "any", prefix("/"));
  RouteTable table(c);
  EXPECT_ROUTE(table, request("GET", "/", "api.example.com"), "api");
  EXPECT_ROUTE(table, request("GET", "/", "API.Example.Com:8080"), "api");
  EXPECT_ROUTE(table, request("GET", "/", "api.example.com."), "api");
  EXPECT_ROUTE(table, request("GET", "/", "a.tenants.example.com"), "tenants");
  EXPECT_ROUTE(table, request("GET", "/", "x.y.tenants.example.com:443"), "tenants");
  EXPECT_ROUTE(table, request("GET", "/", "tenants.example.com"), "tenants");
  EXPECT_ROUTE(table, request("GET", "/", "[::1]:8080"), "v6");
  EXPECT_ROUTE(table, request("GET", "/", "www.example.com"), "any");
  EXPECT_ROUTE(table, request("GET", "/", ""), "any");
}

TEST(RouteTable, WildcardExcludesBareDomain) {
  config::Config c;
  config::RouteMatch m = prefix("/");
  m.hosts = {"*.example.com"};
  addRoute(c, "sub", m);
  RouteTable table(c);
  EXPECT_ROUTE(table, request("GET", "/", "a.example.com"), "sub");
  EXPECT_NO_ROUTE(table, request("GET", "/", "example.com"));
  EXPECT_NO_ROUTE(table, request("GET", "/", "evilexample.com"));
}

TEST(RouteTable, HeaderMatchers) {
  config::Config c;
  config::RouteMatch exact = prefix("/");
  exact.headers = {headerExact("x-tenant", "acme")};
  addRoute(c, "exact", exact);
  config::RouteMatch re = prefix("/");
  re.headers = {headerRegex("x-version", "v[0-9]+")};
  addRoute(c, "regex", re);
  config::RouteMatch present = prefix("/");
  present.headers = {headerPresent("x-debug")};
  addRoute(c, "present", present);
  config::RouteMatch absent = prefix("/");
  absent.headers = {headerPresent("authorization", false)};
  addRoute(c, "anonymous", absent);
  addRoute(c, "fallback", prefix("/"));
  RouteTable table(c);

  auto r = request("GET", "/");
  r.headers.add("authorization", "Bearer x");
  EXPECT_ROUTE(table, r, "fallback");

  auto anon = request("GET", "/");
  EXPECT_ROUTE(table, anon, "anonymous");

  auto tenant = request("GET", "/");
  tenant.headers.add("authorization", "Bearer x");
  tenant.headers.add("X-Tenant", "acme");  // add() lower-cases names
  EXPECT_ROUTE(table, tenant, "exact");

  auto other_tenant = request("GET", "/");
  other_tenant.headers.add("authorization", "Bearer x");
  other_tenant.headers.add("x-tenant", "ACME");  // values compare exactly
  EXPECT_ROUTE(table, other_tenant, "fallback");

  auto second_field = request("GET", "/");  // any field of the name may satisfy it
  second_field.headers.add("authorization", "Bearer x");
  second_field.headers.add("x-tenant", "other");
  second_field.headers.add("x-tenant", "acme");
  EXPECT_ROUTE(table, second_field, "exact");

  auto version = request("GET", "/");
  version.headers.add("authorization", "Bearer x");
  version.headers.add("x-version", "v12");
  EXPECT_ROUTE(table, version, "regex");
  auto bad_version = request("GET", "/");
  bad_version.headers.add("authorization", "Bearer x");
  bad_version.headers.add("x-version", "v12-beta");  // full match only
  EXPECT_ROUTE(table, bad_version, "fallback");

  auto debug = request("GET", "/");
  debug.headers.add("authorization", "Bearer x");
  debug.headers.add("x-debug", "");  // present with an empty value still counts
  EXPECT_ROUTE(table, debug, "present");
}

TEST(RouteTable, AllConditionsMustHold) {
  config::Config c;
  config::RouteMatch m = prefix("/v1/");
  m.hosts = {"api.example.com"};
  m.methods = {"POST"};
  m.headers = {headerPresent("x-api-key")};
  addRoute(c, "strict", m);
  RouteTable table(c);
  auto ok = request("POST", "/v1/x", "api.example.com");
  ok.headers.add("x-api-key", "k");
  EXPECT_ROUTE(table, ok, "strict");
  auto wrong_host = request("POST", "/v1/x", "www.example.com");
  wrong_host.headers.add("x-api-key", "k");
  EXPECT_NO_ROUTE(table, wrong_host);
  auto wrong_method = request("GET", "/v1/x", "api.example.com");
  wrong_method.headers.add("x-api-key", "k");
  EXPECT_NO_ROUTE(table, wrong_method);
  EXPECT_NO_ROUTE(table, request("POST", "/v1/x", "api.example.com"));
  auto wrong_path = request("POST", "/v2/x", "api.example.com");
  wrong_path.headers.add("x-api-key", "k");
  EXPECT_NO_ROUTE(table, wrong_path);
}

TEST(RouteTable, MovesKeepPointersIntoConfig) {
  config::Config c;
  addRoute(c, "a", prefix("/a"));
  RouteTable table(c);
  RouteTable moved(std::move(table));
  EXPECT_EQ(moved.match(request("GET", "/a")), &c.routes[0]);
}

}  // namespace
}  // namespace courier::router
