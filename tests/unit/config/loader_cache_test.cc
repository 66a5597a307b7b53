// [cache] and a route's `cache` key: defaults, every key, and errors that
// name file:line:column and the key path.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "filters/cache/config.h"
#include "filters/registry.h"

namespace courier::config {
namespace {

using filters::cache::BodyKeyMode;
using filters::cache::CacheConfig;
using Errors = std::vector<std::string>;

// `head` first, then a cluster and a route whose cache value is on the last line.
LoadResult load(const std::string& cache, const std::string& head = "") {
  std::string text = head +
                     "[clusters.agent]\nendpoints = [\"127.0.0.1:9000\"]\n"
                     "[[routes]]\nname = \"r\"\ncluster = \"agent\"\n"
                     "cache = " +
                     cache + "\n";
  return loadConfigString(text, "courier.toml", filters::registry());
}

Errors errorsOf(const std::string& cache, const std::string& head = "") {
  auto r = load(cache, head);
  Errors out;
  if (!r.ok())
    for (const auto& e : r.error()) out.push_back(e.format());
  return out;
}

const CacheConfig& cacheOf(const LoadResult& r) {
  return static_cast<const CacheConfig&>(*(*r)->routes[0].filters[0]);
}

TEST(LoaderCache, Defaults) {
  auto r = load("{}");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ((*r)->cache.memory_bytes, 256u << 20);
  EXPECT_EQ((*r)->cache.max_object_bytes, 8u << 20);
  const CacheConfig& c = cacheOf(r);
  EXPECT_TRUE(c.memory);
  EXPECT_FALSE(c.redis);
  EXPECT_EQ(c.policy.ttl_ms, 0);
  EXPECT_EQ(c.methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_TRUE(c.key_headers.empty());
  EXPECT_EQ(c.body_key, BodyKeyMode::CanonicalJson);
  EXPECT_TRUE(c.coalesce);
  EXPECT_EQ(c.coalesce_timeout, Duration(30'000));
  EXPECT_FALSE(c.policy.allow_set_cookie);
  EXPECT_NE(c.runtime, nullptr);
}

TEST(LoaderCache, EveryKey) {
  auto r = load(
      R"({ layers = ["memory", "redis"], ttl = "5m", redis_ttl = "1h", methods = ["post", "GET"],)"
      R"( key_headers = ["Authorization", "x-tenant"], body_key = "raw",)"
      R"( stale_while_revalidate = "30s", stale_if_error = "5m", allow_set_cookie = true,)"
      R"( coalesce = false, coalesce_timeout = "2s" })",
      "[redis]\nurl = \"redis://127.0.0.1:6379/0\"\n[cache]\nmemory_bytes = \"1MiB\"\n"
      "max_object_bytes = \"64KiB\"\n");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ((*r)->cache.memory_bytes, 1u << 20);
  const CacheConfig& c = cacheOf(r);
  EXPECT_TRUE(c.memory && c.redis);
  EXPECT_EQ(c.policy.ttl_ms, 300'000);
  EXPECT_EQ(c.redis_ttl_ms, 3'600'000);
  EXPECT_EQ(c.methods, (std::vector<std::string>{"POST", "GET", "HEAD"}));
  EXPECT_EQ(c.key_headers, (std::vector<std::string>{"authorization", "x-tenant"}));
  EXPECT_TRUE(c.policy.authorization_in_key);
  EXPECT_EQ(c.body_key, BodyKeyMode::Raw);
  EXPECT_EQ(c.policy.stale_while_revalidate_ms, 30'000);
  EXPECT_EQ(c.policy.stale_if_error_ms, 300'000);
  EXPECT_TRUE(c.policy.allow_set_cookie);
  EXPECT_FALSE(c.coalesce);
  EXPECT_EQ(c.coalesce_timeout, Duration(2'000));
  EXPECT_EQ(c.max_object_bytes, 64u << 10);
}

TEST(LoaderCache, Errors) {
  EXPECT_EQ(errorsOf(R"({ layers = ["redis"] })"),
            Errors{"courier.toml:6:20: routes[0].cache.layers: the \"redis\" layer needs a "
                   "[redis] section"});
  EXPECT_EQ(errorsOf(R"({ layers = ["disk"] })"),
            Errors{"courier.toml:6:20: routes[0].cache.layers: unknown layer \"disk\" (expected "
                   "\"memory\" or \"redis\")"});
  EXPECT_EQ(errorsOf(R"({ ttl = 30 })").size(), 1u);
  EXPECT_EQ(errorsOf(R"({ methods = ["DELETE"] })"),
            Errors{"courier.toml:6:21: routes[0].cache.methods: cannot cache DELETE (GET, HEAD "
                   "and POST can be cached)"});
  EXPECT_EQ(errorsOf(R"({ redis_ttl = "1h" })"),
            Errors{"courier.toml:6:23: routes[0].cache.redis_ttl: needs \"redis\" in layers"});
  EXPECT_EQ(errorsOf(R"({ body_key = "json" })").size(), 1u);
  EXPECT_EQ(errorsOf(R"({ key_headers = ["bad header"] })").size(), 1u);
  auto typo = errorsOf(R"({ tll = "5m" })");
  ASSERT_EQ(typo.size(), 1u);
  EXPECT_NE(typo[0].find("routes[0].cache.tll"), std::string::npos) << typo[0];
}

TEST(LoaderCache, CacheSectionErrors) {
  EXPECT_EQ(errorsOf("{}", "[cache]\nmemory_bytes = \"1KiB\"\n").size(), 1u);
  EXPECT_EQ(errorsOf("{}", "[cache]\nmemory_bytes = \"1MiB\"\nmax_object_bytes = \"2MiB\"\n"),
            Errors{"courier.toml:3:20: cache.max_object_bytes: must not be larger than "
                   "memory_bytes (1048576 bytes)"});
  EXPECT_EQ(errorsOf("{}", "[cache]\nsize = 1\n").size(), 1u);
  // A small memory_bytes caps the default object size.
  auto r = load("{}", "[cache]\nmemory_bytes = \"1MiB\"\n");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ((*r)->cache.max_object_bytes, 1u << 20);
}

}  // namespace
}  // namespace courier::config
