#include "proxy/router/rewrite.h"

#include <gtest/gtest.h>

#include "tests/unit/router/route_fixture.h"

namespace courier::router {
namespace {

using namespace testing;

config::RouteConfig route(config::RouteMatch m, std::optional<std::string> rewrite) {
  config::RouteConfig r;
  r.match = std::move(m);
  r.prefix_rewrite = std::move(rewrite);
  return r;
}

TEST(Rewrite, NoRewriteKeepsPath) {
  EXPECT_EQ(applyPrefixRewrite(route(prefix("/api/"), std::nullopt), "/api/x?y"), "/api/x?y");
}

TEST(Rewrite, PrefixKeepsRestAndQuery) {
  auto r = route(prefix("/api/"), "/v2/");
  EXPECT_EQ(applyPrefixRewrite(r, "/api/x"), "/v2/x");
  EXPECT_EQ(applyPrefixRewrite(r, "/api/x/y?q=1&r=/api/"), "/v2/x/y?q=1&r=/api/");
  EXPECT_EQ(applyPrefixRewrite(r, "/api/"), "/v2/");
  EXPECT_EQ(applyPrefixRewrite(r, "/api/?a"), "/v2/?a");
}

TEST(Rewrite, PrefixToRoot) {
  auto r = route(prefix("/service/"), "/");
  EXPECT_EQ(applyPrefixRewrite(r, "/service/health?x"), "/health?x");
  auto loose = route(prefix("/service"), "/");  // no trailing slash: not normalised
  EXPECT_EQ(applyPrefixRewrite(loose, "/service/health"), "//health");
}

TEST(Rewrite, OnlyPrefixRoutesAreRewritten) {
  EXPECT_EQ(applyPrefixRewrite(route(exactPath("/old"), "/new"), "/old?x=1"), "/old?x=1");
  config::RouteMatch m;
  m.regex = regex("/a.*");
  EXPECT_EQ(applyPrefixRewrite(route(m, "/b"), "/abc?d"), "/abc?d");
  EXPECT_EQ(applyPrefixRewrite(route(config::RouteMatch{}, "/base"), "/x?y"), "/x?y");
}

TEST(Rewrite, PathNotUnderPrefixUnchanged) {
  EXPECT_EQ(applyPrefixRewrite(route(prefix("/api/"), "/v2/"), "/other?api/"), "/other?api/");
  EXPECT_EQ(applyPrefixRewrite(route(prefix("/api/"), "/v2/"), "/ap?i/"), "/ap?i/");
}

}  // namespace
}  // namespace courier::router
