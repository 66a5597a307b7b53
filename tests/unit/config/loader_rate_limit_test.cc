#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/dump.h"
#include "config/loader.h"
#include "filters/rate_limit/config.h"
#include "filters/registry.h"

namespace courier::config {
namespace {

using filters::rate_limit::KeyKind;
using filters::rate_limit::RateLimitConfig;
using filters::rate_limit::Scope;
using Errors = std::vector<std::string>;

// Two lines of cluster; a route's rate_limit value starts on line 7.
LoadResult load(const std::string& rate_limit, const std::string& head = "") {
  std::string text = head +
                     "[clusters.agent]\nendpoints = [\"127.0.0.1:9000\"]\n"
                     "[[routes]]\nname = \"r\"\ncluster = \"agent\"\n"
                     "rate_limit = " +
                     rate_limit + "\n";
  return loadConfigString(text, "courier.toml", filters::registry());
}

Errors errorsOf(const std::string& rate_limit, const std::string& head = "") {
  auto r = load(rate_limit, head);
  Errors out;
  if (!r.ok())
    for (const auto& e : r.error()) out.push_back(e.format());
  return out;
}

const RateLimitConfig& rateLimitOf(const Config& c) {
  return dynamic_cast<const RateLimitConfig&>(*c.routes.at(0).filters.at(0));
}

TEST(RateLimitConfig, ParsesEveryKeyKindAndDefaults) {
  auto r = load(R"([ { key = "client_ip", rate = 2.5 },
  { key = "header:X-Api-Key", rate = 100, per = "1m", burst = 7, skip_if_missing = true, max_keys = 5000 },
  { key = "route", rate = 1000, per = "1s", burst = 1000, scope = "redis" } ])",
                "[redis]\nurl = \"redis://127.0.0.1:6390/2\"\n");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  const auto& limits = rateLimitOf(**r).limits();
  ASSERT_EQ(limits.size(), 3u);

  EXPECT_EQ(limits[0].key_kind, KeyKind::ClientIp);
  EXPECT_EQ(limits[0].per, Duration(1000));
  EXPECT_EQ(limits[0].burst, 3u);  // ceil(rate)
  EXPECT_EQ(limits[0].scope, Scope::Local);
  EXPECT_EQ(limits[0].shape.interval_ns, 400'000'000);
  EXPECT_TRUE(limits[0].buckets->keyed());

  EXPECT_EQ(limits[1].key_kind, KeyKind::Header);
  EXPECT_EQ(limits[1].header, "x-api-key");
  EXPECT_EQ(limits[1].key_text, "header:x-api-key");
  EXPECT_TRUE(limits[1].skip_if_missing);
  EXPECT_EQ(limits[1].max_keys, 5000u);
  EXPECT_EQ(limits[1].shape.interval_ns, 600'000'000);  // 100 per minute
  EXPECT_EQ(limits[1].shape.capacity_ns, 7 * 600'000'000ll);

  EXPECT_EQ(limits[2].key_kind, KeyKind::Route);
  EXPECT_EQ(limits[2].scope, Scope::Redis);
  EXPECT_FALSE(limits[2].buckets->keyed());
  EXPECT_EQ(limits[2].interval_us, 1000);
  EXPECT_EQ(limits[2].redis_prefix, "courier:rl:r:route:1000/1000ms:");

  ASSERT_TRUE((*r)->redis.has_value());
  EXPECT_EQ((*r)->redis->port, 6390);
  EXPECT_EQ((*r)->redis->db, 2u);
  EXPECT_EQ((*r)->redis->timeout, Duration(25));
}

TEST(RateLimitConfig, ASingleTableIsAListOfOne) {
  auto r = load(R"({ key = "route", rate = 5 })");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ(rateLimitOf(**r).limits().size(), 1u);
}

TEST(RateLimitConfig, ReloadingTheSameLimitKeepsItsBuckets) {
  auto a = load(R"({ key = "client_ip", rate = 5 })");
  auto b = load(R"({ key = "client_ip", rate = 5 })");
  auto c = load(R"({ key = "client_ip", rate = 6 })");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(rateLimitOf(**a).limits()[0].buckets, rateLimitOf(**b).limits()[0].buckets);
  EXPECT_NE(rateLimitOf(**a).limits()[0].buckets, rateLimitOf(**c).limits()[0].buckets);
}

TEST(RateLimitConfig, Errors) {
  EXPECT_EQ(errorsOf(R"({ key = "cookie:x", rate = 1 })"),
            (Errors{"courier.toml:6:22: routes[0].rate_limit.key: expected \"client_ip\", "
                    "\"route\" or \"header:<name>\", got \"cookie:x\""}));
  EXPECT_EQ(errorsOf(R"({ key = "route", rate = 0 })"),
            (Errors{"courier.toml:6:38: routes[0].rate_limit.rate: must be greater than 0"}));
  EXPECT_EQ(errorsOf(R"({ key = "route" })"),
            (Errors{"courier.toml:6:14: routes[0].rate_limit: missing required key 'rate'"}));
  EXPECT_EQ(errorsOf(R"({ key = "route", rate = 1, scope = "redis" })"),
            (Errors{"courier.toml:6:49: routes[0].rate_limit.scope: scope = \"redis\" needs a "
                    "[redis] section with the server's url"}));
  EXPECT_EQ(errorsOf(R"({ key = "client_ip", rate = 1, skip_if_missing = true })"),
            (Errors{"courier.toml:6:63: routes[0].rate_limit.skip_if_missing: only applies to "
                    "key = \"header:<name>\" (other keys are never missing)"}));
  EXPECT_EQ(errorsOf(R"({ key = "route", rate = 2000000 })"),
            (Errors{"courier.toml:6:38: routes[0].rate_limit.rate: more than 1000000 tokens "
                    "per second; courier's buckets count microseconds"}));
  EXPECT_EQ(errorsOf(R"({ key = "route", rate = 1, bursts = 3 })"),
            (Errors{"courier.toml:6:41: routes[0].rate_limit.bursts: unknown key 'bursts' "
                    "(did you mean 'burst'?)"}));
  EXPECT_EQ(errorsOf("[]"),
            (Errors{"courier.toml:6:14: routes[0].rate_limit: add at least one limit, or remove "
                    "rate_limit"}));
  std::string nine = "[";
  for (int i = 0; i < 9; ++i) nine += std::string(i ? "," : "") + R"({key="route",rate=1})";
  auto many = errorsOf(nine + "]");
  ASSERT_EQ(many.size(), 1u);
  EXPECT_NE(many[0].find("at most 8 limits per route"), std::string::npos) << many[0];
}

TEST(RedisConfig, UrlForms) {
  auto parse = [](const std::string& url) {
    return loadConfigString("[redis]\nurl = \"" + url +
                                "\"\n[clusters.a]\nendpoints = [\"127.0.0.1:1\"]\n"
                                "[[routes]]\nname = \"r\"\ncluster = \"a\"\n",
                            "courier.toml", filters::registry());
  };
  auto r = parse("redis://user:p%40ss@cache.internal:6380/3");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ((*r)->redis->host, "cache.internal");
  EXPECT_EQ((*r)->redis->port, 6380);
  EXPECT_EQ((*r)->redis->db, 3u);
  EXPECT_EQ((*r)->redis->username, "user");
  EXPECT_EQ((*r)->redis->password, "p@ss");  // percent-decoded, as in every Redis client
  // The dump never shows the password.
  std::string json = renderConfigJson(**r);
  EXPECT_EQ(json.find("p@ss"), std::string::npos) << json;
  EXPECT_NE(json.find(R"j("password":"(set)")j"), std::string::npos) << json;

  r = parse("redis://secret@[::1]");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ((*r)->redis->host, "::1");
  EXPECT_EQ((*r)->redis->port, 6379);
  EXPECT_EQ((*r)->redis->password, "secret");
  EXPECT_TRUE((*r)->redis->username.empty());

  for (const char* bad :
       {"http://127.0.0.1", "redis://:6379", "redis://h:0", "redis://h:1/x", "redis://[::1"}) {
    auto e = parse(bad);
    EXPECT_FALSE(e.ok()) << bad;
    if (!e.ok()) {
      EXPECT_EQ(e.error().size(), 1u) << bad;
      EXPECT_NE(e.error()[0].format().find("redis.url"), std::string::npos)
          << e.error()[0].format();
    }
  }
}

}  // namespace
}  // namespace courier::config
