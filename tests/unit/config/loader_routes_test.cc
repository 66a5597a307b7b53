#include <re2/re2.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "filters/registry.h"
#include "proxy/http/filter.h"

namespace courier::config {
namespace {

constexpr const char* kClusters = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]

[clusters.billing]
endpoints = ["127.0.0.1:9100", "[::1]:9101"]
lb = "least_request"
connect_timeout = "250ms"
idle_timeout = "30s"
max_idle_per_endpoint = 0
)toml";

LoadResult load(const std::string& routes) {
  return loadConfigString(std::string(kClusters) + routes, "courier.toml", filters::registry());
}

// Routes are appended after kClusters' 9 lines.
std::vector<std::string> errorsOf(const std::string& routes) {
  auto r = load(routes);
  std::vector<std::string> out;
  if (!r.ok())
    for (const auto& e : r.error()) out.push_back(e.format());
  return out;
}

using Errors = std::vector<std::string>;

std::string describe(const LoadResult& r) {
  return r.ok() ? "loaded" : formatErrors(r.error());
}

TEST(RouteConfig, IndexesAndClusters) {
  auto r = load(R"toml(
[[routes]]
name = "one"
cluster = "billing"
match = { prefix = "/v1/" }
prefix_rewrite = "/"
host_rewrite = "billing.internal:8443"

[[routes]]
name = "two"
cluster = "agent"
timeout = "120s"
)toml");
  ASSERT_TRUE(r.ok()) << describe(r);
  const Config& c = **r;
  ASSERT_EQ(c.clusters.size(), 2u);
  EXPECT_EQ(c.clusters[0].name, "agent");
  EXPECT_EQ(c.clusters[1].name, "billing");
  EXPECT_EQ(c.clusters[1].endpoints.size(), 2u);
  EXPECT_EQ(c.clusters[1].lb, LoadBalancerPolicy::LeastRequest);
  EXPECT_EQ(c.clusters[1].connect_timeout, Duration(250));
  EXPECT_EQ(c.clusters[1].idle_timeout, Duration(30'000));
  EXPECT_EQ(c.clusters[1].max_idle_per_endpoint, 0u);
  EXPECT_EQ(c.clusters[0].protocol, UpstreamProtocol::Http1);
  EXPECT_EQ(c.clusters[0].connect_timeout, Duration(1'000));

  ASSERT_EQ(c.routes.size(), 2u);
  EXPECT_EQ(c.routes[0].name, "one");
  EXPECT_EQ(c.routes[0].index, 0u);
  EXPECT_EQ(c.routes[0].cluster, "billing");
  EXPECT_EQ(c.routes[0].cluster_index, 1u);
  EXPECT_EQ(c.routes[0].timeout, Duration(300'000));  // the default
  EXPECT_EQ(c.routes[0].prefix_rewrite, "/");
  EXPECT_EQ(c.routes[0].host_rewrite, "billing.internal:8443");
  EXPECT_EQ(c.routes[1].index, 1u);
  EXPECT_EQ(c.routes[1].cluster_index, 0u);
  EXPECT_EQ(c.routes[1].timeout, Duration(120'000));
  EXPECT_EQ(c.findCluster("billing"), &c.clusters[1]);
}

TEST(RouteConfig, NoMatchTableMatchesEverything) {
  auto r = load("[[routes]]\nname = \"all\"\ncluster = \"agent\"\n");
  ASSERT_TRUE(r.ok());
  const RouteMatch& m = (*r)->routes[0].match;
  EXPECT_TRUE(m.hosts.empty());
  EXPECT_FALSE(m.path || m.prefix || m.regex);
  EXPECT_TRUE(m.methods.empty());
  EXPECT_TRUE(m.headers.empty());
}

TEST(RouteMatch, HostsAreLowerCasedAndWildcardsKept) {
  auto r = load(R"toml(
[[routes]]
name = "a"
cluster = "agent"
match = { hosts = ["API.Example.com", "*.Example.org", "[::1]"] }

[[routes]]
name = "b"
cluster = "agent"
match = { host = "Single.example.com" }
)toml");
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ((*r)->routes[0].match.hosts,
            (std::vector<std::string>{"api.example.com", "*.example.org", "[::1]"}));
  EXPECT_EQ((*r)->routes[1].match.hosts, std::vector<std::string>{"single.example.com"});
}

TEST(RouteMatch, HostErrors) {
  EXPECT_EQ(errorsOf(R"toml(
[[routes]]
name = "a"
cluster = "agent"
match = { hosts = ["*", "a.*.com", "example.com:80", "bad host", "ok.com"] }

[[routes]]
name = "b"
cluster = "agent"
match = { host = "x.com", hosts = ["y.com"] }
)toml"),
            (Errors{
                "courier.toml:14:20: routes[0].match.hosts[0]: \"*\" would match every host; "
                "leave the host out instead",
                "courier.toml:14:25: routes[0].match.hosts[1]: a wildcard is only allowed as a "
                "leading \"*.\", like \"*.example.com\"",
                "courier.toml:14:36: routes[0].match.hosts[2]: a host match must not include a "
                "port (hosts are matched without it)",
                "courier.toml:14:54: routes[0].match.hosts[3]: \"bad host\" is not a valid host "
                "name",
                "courier.toml:19:35: routes[1].match.hosts: use either host or hosts, not both",
            }));
}

TEST(RouteMatch, PathPrefixRegex) {
  auto r = load(R"toml(
[[routes]]
name = "p"
cluster = "agent"
match = { path = "/healthz" }

[[routes]]
name = "x"
cluster = "agent"
match = { regex = "/v1/models/[^/]+" }
)toml");
  ASSERT_TRUE(r.ok()) << describe(r);
  EXPECT_EQ((*r)->routes[0].match.path, "/healthz");
  const RouteMatch& m = (*r)->routes[1].match;
  ASSERT_TRUE(m.regex);
  EXPECT_EQ(m.regex_text, "/v1/models/[^/]+");
  EXPECT_TRUE(re2::RE2::FullMatch("/v1/models/gpt", *m.regex));
  EXPECT_FALSE(re2::RE2::FullMatch("/v1/models/a/b", *m.regex));
}

TEST(RouteMatch, PathErrors) {
  EXPECT_EQ(errorsOf(R"toml(
[[routes]]
name = "a"
cluster = "agent"
match = { path = "/a", prefix = "/b", regex = "/c" }

[[routes]]
name = "b"
cluster = "agent"
match = { prefix = "v1" }
prefix_rewrite = "/x"

[[routes]]
name = "c"
cluster = "agent"
match = { path = "/c" }
prefix_rewrite = "/x"
)toml"),
            (Errors{
                "courier.toml:14:33: routes[0].match.prefix: use only one of path, prefix and "
                "regex",
                "courier.toml:14:47: routes[0].match.regex: use only one of path, prefix and regex",
                // The bad prefix is reported once; prefix_rewrite is not blamed for it.
                "courier.toml:19:20: routes[1].match.prefix: must start with \"/\"",
                "courier.toml:26:18: routes[2].prefix_rewrite: prefix_rewrite needs a prefix match "
                "(match.prefix)",
            }));
}

TEST(RouteMatch, MethodsAreUpperCased) {
  auto r = load(R"toml(
[[routes]]
name = "a"
cluster = "agent"
match = { methods = ["post", "GET"] }
)toml");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->routes[0].match.methods, (std::vector<std::string>{"POST", "GET"}));
  EXPECT_EQ(errorsOf(R"toml(
[[routes]]
name = "a"
cluster = "agent"
match = { methods = ["GET", "get", "BAD METHOD"] }

[[routes]]
name = "b"
cluster = "agent"
match = { methods = [] }
)toml"),
            (Errors{
                "courier.toml:14:29: routes[0].match.methods[1]: method GET is listed twice",
                "courier.toml:14:36: routes[0].match.methods[2]: \"BAD METHOD\" is not a valid "
                "method",
                "courier.toml:19:21: routes[1].match.methods: must not be empty",
            }));
}

TEST(RouteMatch, HeaderMatchers) {
  auto r = load(R"toml(
[[routes]]
name = "table"
cluster = "agent"
match = { headers = { "X-Tenant" = "acme" } }

[[routes]]
name = "array"
cluster = "agent"
match = { headers = [
  { name = "x-exact", exact = "1" },
  { name = "X-Regex", regex = "v[0-9]+" },
  { name = "x-absent", present = false },
  { name = "x-there" },
] }
)toml");
  ASSERT_TRUE(r.ok()) << describe(r);
  const auto& t = (*r)->routes[0].match.headers;
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].name, "x-tenant");
  EXPECT_EQ(t[0].exact, "acme");
  EXPECT_TRUE(t[0].present);

  const auto& a = (*r)->routes[1].match.headers;
  ASSERT_EQ(a.size(), 4u);
  EXPECT_EQ(a[0].name, "x-exact");
  EXPECT_EQ(a[0].exact, "1");
  EXPECT_EQ(a[1].name, "x-regex");
  ASSERT_TRUE(a[1].regex);
  EXPECT_TRUE(re2::RE2::FullMatch("v12", *a[1].regex));
  EXPECT_EQ(a[2].name, "x-absent");
  EXPECT_FALSE(a[2].present);
  EXPECT_EQ(a[3].name, "x-there");
  EXPECT_TRUE(a[3].present);
  EXPECT_FALSE(a[3].exact || a[3].regex);
}

TEST(RouteMatch, HeaderMatcherErrors) {
  EXPECT_EQ(errorsOf(R"toml(
[[routes]]
name = "a"
cluster = "agent"
match = { headers = { ":path" = "/", "host" = "x", "x-n" = 5 } }

[[routes]]
name = "b"
cluster = "agent"
match = { headers = [ { name = "x-a", exact = "1", present = true }, { exact = "2" } ] }

[[routes]]
name = "c"
cluster = "agent"
match = { headers = "x-a" }
)toml"),
            (Errors{
                "courier.toml:14:23: routes[0].match.headers.\":path\": pseudo-headers cannot be "
                "matched here; use match.host, path or methods",
                "courier.toml:14:38: routes[0].match.headers.host: match the host with match.host, "
                "not a header matcher",
                "courier.toml:14:60: routes[0].match.headers.x-n: expected a string, got an "
                "integer",
                "courier.toml:19:62: routes[1].match.headers[0].present: use only one of exact, "
                "regex and present",
                "courier.toml:19:70: routes[1].match.headers[1]: missing required key 'name'",
                "courier.toml:24:21: routes[2].match.headers: expected a table of exact values "
                "({ name = \"value\" }) or an array of matchers ([{ name = \"...\", regex = "
                "\"...\" }]), got a string",
            }));
}

TEST(RouteConfig, FiltersComeFromTheRegistry) {
  auto r = load(R"toml(
[[routes]]
name = "a"
cluster = "agent"
headers = { response_add = { "x-served-by" = "courier" } }
)toml");
  ASSERT_TRUE(r.ok()) << describe(r);
  ASSERT_EQ((*r)->routes[0].filters.size(), 1u);
  EXPECT_EQ((*r)->routes[0].filters[0]->name(), "headers");
  EXPECT_NE((*r)->routes[0].filters[0]->createFilter(), nullptr);

  // Without the registry the key is unknown.
  auto bare = loadConfigString(std::string(kClusters) + R"toml(
[[routes]]
name = "a"
cluster = "agent"
headers = { response_add = { "x-served-by" = "courier" } }
)toml",
                               "courier.toml", {});
  ASSERT_FALSE(bare.ok());
  EXPECT_EQ(bare.error()[0].format(),
            "courier.toml:14:1: routes[0].headers: unknown key 'headers'");
}

TEST(ClusterConfig, Errors) {
  auto r = loadConfigString(R"toml([clusters."bad name"]
endpoints = ["127.0.0.1:9000"]

[clusters.h2]
endpoints = ["127.0.0.1:9000", "127.0.0.1:9000", "127.0.0.1:0"]
protocol = "h3"
max_idle_per_endpoint = 70000

[[routes]]
name = "a"
cluster = "h2"
)toml",
                            "courier.toml", filters::registry());
  ASSERT_FALSE(r.ok());
  std::vector<std::string> errors;
  for (const auto& e : r.error()) errors.push_back(e.format());
  EXPECT_EQ(errors,
            (Errors{
                "courier.toml:1:11: clusters.\"bad name\": cluster names may only use letters, "
                "digits, '_', '-' and '.'",
                "courier.toml:5:32: clusters.h2.endpoints[1]: endpoint \"127.0.0.1:9000\" is "
                "listed twice",
                "courier.toml:5:50: clusters.h2.endpoints[2]: port 0 is not a valid upstream port",
                "courier.toml:6:12: clusters.h2.protocol: expected one of \"http1\", \"h2c\", "
                "got \"h3\"",
                "courier.toml:7:25: clusters.h2.max_idle_per_endpoint: must be between 0 and "
                "65535, got 70000",
            }));
}

}  // namespace
}  // namespace courier::config
