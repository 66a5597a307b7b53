// The shipped example configs must always load.
#include <gtest/gtest.h>

#include <string>

#include "config/loader.h"
#include "filters/registry.h"

namespace courier::config {
namespace {

LoadResult loadExample(const std::string& name) {
  return loadConfigFile(std::string(COURIER_SOURCE_DIR) + "/config/examples/" + name,
                        filters::registry());
}

TEST(Examples, QuickStartConfigLoads) {
  auto r = loadExample("courier.toml");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  const Config& c = **r;
  EXPECT_EQ(c.server.listen.text, "127.0.0.1:8080");
  EXPECT_EQ(c.server.admin.text, "127.0.0.1:9901");
  EXPECT_EQ(c.server.workers, 2u);
  ASSERT_EQ(c.clusters.size(), 1u);
  EXPECT_EQ(c.clusters[0].name, "agent");
  ASSERT_EQ(c.routes.size(), 4u);
  EXPECT_EQ(c.routes[0].name, "completions");
  EXPECT_EQ(c.routes[0].match.prefix, "/v1/completions");
  EXPECT_EQ(c.routes[0].match.methods, std::vector<std::string>{"POST"});
  EXPECT_EQ(c.routes[0].timeout, Duration(120'000));
  EXPECT_EQ(c.routes[1].name, "health");
  EXPECT_EQ(c.routes[1].match.path, "/healthz");
  EXPECT_EQ(c.routes[2].name, "models");
  ASSERT_EQ(c.routes[2].filters.size(), 1u);
  EXPECT_EQ(c.routes[2].filters[0]->name(), "cache");
  EXPECT_EQ(c.cache.memory_bytes, 64u << 20);
  EXPECT_EQ(c.routes[3].name, "default");
  EXPECT_EQ(c.routes[3].match.prefix, "/");
  ASSERT_EQ(c.routes[3].filters.size(), 1u);
  EXPECT_EQ(c.routes[3].filters[0]->name(), "headers");
}

TEST(Examples, MinimalConfigLoads) {
  auto r = loadExample("minimal.toml");
  ASSERT_TRUE(r.ok()) << formatErrors(r.error());
  EXPECT_EQ((*r)->routes.size(), 1u);
  EXPECT_EQ((*r)->clusters.size(), 1u);
}

}  // namespace
}  // namespace courier::config
