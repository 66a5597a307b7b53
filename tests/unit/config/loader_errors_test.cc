// Every error names file:line:column and the key path; these tests pin the
// exact text for the common mistakes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "filters/registry.h"

namespace courier::config {
namespace {

std::vector<std::string> errorsOf(std::string_view text) {
  auto r = loadConfigString(text, "courier.toml", filters::registry());
  std::vector<std::string> out;
  if (r.ok()) return out;
  for (const auto& e : r.error()) out.push_back(e.format());
  return out;
}

using Errors = std::vector<std::string>;

TEST(LoaderErrors, BadDurationNamesLineColumnAndKeyPath) {
  const char* text = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "a"
cluster = "agent"

[[routes]]
name = "b"
cluster = "agent"
timeout = "soon"
)toml";
  EXPECT_EQ(errorsOf(text),
            Errors{"courier.toml:11:11: routes[1].timeout: expected a duration like \"30s\""});
}

TEST(LoaderErrors, DurationDetails) {
  const char* text = R"toml([server]
header_timeout = 10
idle_timeout = "30sec"
drain_timeout = "-1s"

[clusters.agent]
endpoints = ["127.0.0.1:9000"]
connect_timeout = "0ms"

[[routes]]
name = "a"
cluster = "agent"
timeout = "99999999999999999999d"
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:2:18: server.header_timeout: expected a duration like \"30s\"; a "
                "bare number has no unit (write \"10s\" or \"10ms\")",
                "courier.toml:3:16: server.idle_timeout: expected a duration like \"30s\"; unknown "
                "unit \"sec\" (units: ms, s, m, h, d)",
                "courier.toml:4:17: server.drain_timeout: a duration cannot be negative",
                "courier.toml:8:19: clusters.agent.connect_timeout: must be at least 1ms",
                "courier.toml:13:11: routes[0].timeout: duration \"99999999999999999999d\" is too "
                "large",
            }));
}

TEST(LoaderErrors, UnknownKeysSuggestTheClosestKey) {
  const char* text = R"toml([server]
workrs = 2
listen = "127.0.0.1:8080"

[clusters.agent]
endpionts = ["127.0.0.1:9000"]

[[routes]]
name = "a"
cluster = "agent"
tiemout = "5s"
match = { prefx = "/" }
headers = { response_ad = { x = "y" } }
frobnicate = 1
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:2:1: server.workrs: unknown key 'workrs' (did you mean 'workers'?)",
                "courier.toml:5:1: clusters.agent: missing required key 'endpoints'",
                "courier.toml:6:1: clusters.agent.endpionts: unknown key 'endpionts' (did you "
                "mean 'endpoints'?)",
                "courier.toml:11:1: routes[0].tiemout: unknown key 'tiemout' (did you mean "
                "'timeout'?)",
                "courier.toml:12:11: routes[0].match.prefx: unknown key 'prefx' (did you mean "
                "'prefix'?)",
                "courier.toml:13:13: routes[0].headers.response_ad: unknown key 'response_ad' "
                "(did you mean 'response_add'?)",
                "courier.toml:14:1: routes[0].frobnicate: unknown key 'frobnicate'",
            }));
}

TEST(LoaderErrors, LaterFeatureKeysAreNotSupportedYet) {
  const char* text = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]
breaker = { consecutive_failures = 5 }

[[routes]]
name = "a"
cluster = "agent"
compression = { gzip_level = 5 }
)toml";
  EXPECT_EQ(
      errorsOf(text),
      (Errors{
          "courier.toml:3:1: clusters.agent.breaker: 'breaker' is not supported by this build",
          "courier.toml:8:1: routes[0].compression: 'compression' is not supported by this build",
      }));
}

TEST(LoaderErrors, TomlSyntaxErrorHasItsPosition) {
  auto errors = errorsOf("[server]\nworkers = 2\nlisten = \"127.0.0.1:8080\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("courier.toml:3:")) << errors[0];
  EXPECT_NE(errors[0].find("string"), std::string::npos) << errors[0];

  errors = errorsOf("[server]\nworkers = 2\nworkers = 3\n");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_TRUE(errors[0].starts_with("courier.toml:3:")) << errors[0];
}

TEST(LoaderErrors, DuplicateRouteNames) {
  const char* text = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "api"
cluster = "agent"

[[routes]]
name = "api"
cluster = "agent"
)toml";
  EXPECT_EQ(errorsOf(text), Errors{"courier.toml:9:8: routes[1].name: duplicate route name 'api' "
                                   "(first used on line 5)"});
}

TEST(LoaderErrors, UnknownCluster) {
  const char* text = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "a"
cluster = "agnet"

[[routes]]
name = "b"
cluster = "billing"
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:6:11: routes[0].cluster: unknown cluster 'agnet' (did you mean "
                "'agent'?)",
                "courier.toml:10:11: routes[1].cluster: unknown cluster 'billing'",
            }));
  EXPECT_EQ(errorsOf("[[routes]]\nname = \"a\"\ncluster = \"x\"\n"),
            Errors{"courier.toml:3:11: routes[0].cluster: unknown cluster 'x' (no [clusters] are "
                   "defined)"});
}

TEST(LoaderErrors, BadRegexPointsIntoTheString) {
  const char* text = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "a"
cluster = "agent"
match = { regex = "/v1/a**" }

[[routes]]
name = "b"
cluster = "agent"
match = { headers = [ { name = "x-user", regex = '(\d+' } ] }
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                // The quote is at column 19, so "**" starts at 25. RE2 names the whole
                // pattern for an unbalanced parenthesis: its first character, 51.
                "courier.toml:7:25: routes[0].match.regex: invalid regex: bad repetition "
                "operator: **",
                "courier.toml:12:51: routes[1].match.headers[0].regex: invalid regex: missing ): "
                "(\\d+",
            }));
}

TEST(LoaderErrors, BadCidr) {
  const char* text = R"toml([server]
trusted_proxies = ["10.0.0.0/8", "10.0.0.1/8", "fd00::/200", "nope"]

[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "a"
cluster = "agent"
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:2:34: server.trusted_proxies[1]: \"10.0.0.1/8\" has host bits set "
                "(did you mean \"10.0.0.0/8\"?)",
                "courier.toml:2:48: server.trusted_proxies[2]: bad prefix length in "
                "\"fd00::/200\" (expected 0-128)",
                "courier.toml:2:62: server.trusted_proxies[3]: expected an address or CIDR range "
                "like \"10.0.0.0/8\" or \"fd00::/8\", got \"nope\"",
            }));
}

TEST(LoaderErrors, TypeErrors) {
  const char* text = R"toml(server = "fast"
clusters = []

[[routes]]
name = 7
cluster = "agent"
match = "/"
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:1:10: server: expected a table, got a string",
                "courier.toml:2:12: clusters: expected a table, got an array",
                "courier.toml:5:8: routes[0].name: expected a string, got an integer",
                "courier.toml:6:11: routes[0].cluster: unknown cluster 'agent' (no [clusters] are "
                "defined)",
                "courier.toml:7:9: routes[0].match: expected a table, got a string",
            }));
}

TEST(LoaderErrors, MissingRequiredKeysPointAtTheTable) {
  const char* text = R"toml([clusters.agent]
endpoints = []

[[routes]]
match = { prefix = "/" }
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:2:13: clusters.agent.endpoints: a cluster needs at least one "
                "endpoint",
                "courier.toml:4:1: routes[0]: missing required key 'name'",
                "courier.toml:4:1: routes[0]: missing required key 'cluster'",
            }));
}

TEST(LoaderErrors, NoRoutes) {
  EXPECT_EQ(errorsOf("[clusters.agent]\nendpoints = [\"127.0.0.1:9000\"]\n"),
            Errors{"courier.toml: routes: no routes: add at least one [[routes]] table (a proxy "
                   "without routes answers every request with 404)"});
  EXPECT_EQ(errorsOf("routes = []\n"),
            Errors{"courier.toml:1:10: routes: add at least one [[routes]] table"});
}

TEST(LoaderErrors, AllErrorsAreCollectedInSourceOrder) {
  const char* text = R"toml([[routes]]
name = "a"
cluster = "nope"
timeout = 5

[server]
workers = 1000
max_header_bytes = 100
access_log = "stderr"
access_log_sample = 1.5

[clusters.agent]
endpoints = ["127.0.0.1"]
lb = "random"
)toml";
  EXPECT_EQ(errorsOf(text),
            (Errors{
                "courier.toml:3:11: routes[0].cluster: unknown cluster 'nope'",
                "courier.toml:4:11: routes[0].timeout: expected a duration like \"30s\"; a bare "
                "number has no unit (write \"5s\" or \"5ms\")",
                "courier.toml:7:11: server.workers: must be between 0 and 256, got 1000",
                "courier.toml:8:20: server.max_header_bytes: must be at least 1024 bytes, got 100",
                "courier.toml:9:14: server.access_log: expected one of \"stdout\", \"off\", got "
                "\"stderr\"",
                "courier.toml:10:21: server.access_log_sample: must be between 0 and 1",
                "courier.toml:13:14: clusters.agent.endpoints[0]: expected \"host:port\", got "
                "\"127.0.0.1\" (the port is required)",
                "courier.toml:14:6: clusters.agent.lb: expected one of \"round_robin\", "
                "\"least_request\", got \"random\"",
            }));
}

TEST(LoaderErrors, MissingFile) {
  auto r = loadConfigFile("/nonexistent/courier.toml", filters::registry());
  ASSERT_FALSE(r.ok());
  ASSERT_EQ(r.error().size(), 1u);
  EXPECT_EQ(r.error()[0].format(),
            "/nonexistent/courier.toml: cannot open: No such file or directory");
}

TEST(ConfigError, FormatLeavesOutUnknownParts) {
  EXPECT_EQ((ConfigError{"c.toml", 14, 9, "routes[2].cache.ttl", "bad"}).format(),
            "c.toml:14:9: routes[2].cache.ttl: bad");
  EXPECT_EQ((ConfigError{"c.toml", 3, 0, "", "bad"}).format(), "c.toml:3: bad");
  EXPECT_EQ((ConfigError{"c.toml", 0, 0, "", "bad"}).format(), "c.toml: bad");
  EXPECT_EQ(formatErrors({ConfigError{"a", 1, 2, "k", "m"}, ConfigError{"b", 0, 0, "", "n"}}),
            "a:1:2: k: m\nb: n\n");
}

}  // namespace
}  // namespace courier::config
