#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "config/loader.h"
#include "filters/headers/config.h"
#include "filters/headers/filter.h"
#include "filters/registry.h"

namespace courier::filters::headers {
namespace {

using config::LoadResult;

std::vector<std::pair<std::string, std::string>> fieldsOf(const http::HeaderMap& map) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : map.fields()) out.emplace_back(f.name, f.value);
  return out;
}

using Fields = std::vector<std::pair<std::string, std::string>>;

TEST(HeadersFilter, EditsRequestHeaders) {
  HeaderEdits request{{{"x-a", "new"}, {"x-c", "3"}}, {"x-b"}};
  HeaderEdits response;
  HeadersFilter filter(request, response);

  http::RequestHeaders req;
  req.method = "GET";
  req.path = "/";
  req.headers.add("x-a", "old1");
  req.headers.add("x-b", "gone");
  req.headers.add("x-keep", "k");
  req.headers.add("x-a", "old2");
  req.headers.add("X-B", "gone too");
  EXPECT_EQ(filter.decodeHeaders(req, true), http::FilterHeadersStatus::Continue);
  EXPECT_EQ(fieldsOf(req.headers), (Fields{{"x-keep", "k"}, {"x-a", "new"}, {"x-c", "3"}}));
}

TEST(HeadersFilter, EditsResponseHeadersAndSkipsBodies) {
  HeaderEdits request;
  HeaderEdits response{{{"x-served-by", "courier"}}, {"server"}};
  HeadersFilter filter(request, response);
  EXPECT_FALSE(filter.wantsDecodeBody());
  EXPECT_FALSE(filter.wantsEncodeBody());

  http::ResponseHeaders resp;
  resp.status = 200;
  resp.headers.add("server", "origin/1.0");
  resp.headers.add("content-type", "text/plain");
  EXPECT_EQ(filter.encodeHeaders(resp, false), http::FilterHeadersStatus::Continue);
  EXPECT_EQ(fieldsOf(resp.headers),
            (Fields{{"content-type", "text/plain"}, {"x-served-by", "courier"}}));

  // The request direction is untouched.
  http::RequestHeaders req;
  req.headers.add("server", "client");
  filter.decodeHeaders(req, true);
  EXPECT_EQ(fieldsOf(req.headers), (Fields{{"server", "client"}}));
}

constexpr const char* kPrefix = R"toml([clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "r"
cluster = "agent"
)toml";

LoadResult loadRoute(const std::string& headers_line) {
  return config::loadConfigString(std::string(kPrefix) + headers_line + "\n", "courier.toml",
                                  registry());
}

std::vector<std::string> errorsOf(const std::string& headers_line) {
  auto r = loadRoute(headers_line);
  std::vector<std::string> out;
  if (!r.ok())
    for (const auto& e : r.error()) out.push_back(e.format());
  return out;
}

TEST(HeadersConfig, ParsesEveryKey) {
  auto r = loadRoute(
      R"(headers = { request_add = { "X-A" = "v", "x-empty" = "" }, request_remove = ["X-B"], )"
      R"(response_add = { "x-served-by" = "courier" }, response_remove = ["server"] })");
  ASSERT_TRUE(r.ok()) << config::formatErrors(r.error());
  const auto& filters = (*r)->routes[0].filters;
  ASSERT_EQ(filters.size(), 1u);
  auto* cfg = dynamic_cast<const HeadersConfig*>(filters[0].get());
  ASSERT_NE(cfg, nullptr);
  EXPECT_EQ(cfg->name(), "headers");
  EXPECT_EQ(cfg->request().set, (Fields{{"x-a", "v"}, {"x-empty", ""}}));
  EXPECT_EQ(cfg->request().remove, std::vector<std::string>{"x-b"});
  EXPECT_EQ(cfg->response().set, (Fields{{"x-served-by", "courier"}}));
  EXPECT_EQ(cfg->response().remove, std::vector<std::string>{"server"});
  EXPECT_EQ(cfg->renderJson(),
            R"({"request_add":{"x-a":"v","x-empty":""},"request_remove":["x-b"],)"
            R"("response_add":{"x-served-by":"courier"},"response_remove":["server"]})");

  // The filter the config makes applies these edits.
  auto filter = cfg->createFilter();
  http::ResponseHeaders resp;
  resp.headers.add("server", "origin");
  filter->encodeHeaders(resp, true);
  EXPECT_EQ(fieldsOf(resp.headers), (Fields{{"x-served-by", "courier"}}));
}

TEST(HeadersConfig, RejectsHeadersCourierManages) {
  EXPECT_EQ(
      errorsOf(R"(headers = { request_add = { Connection = "close", ":path" = "/x", host = "h" }, )"
               R"(response_remove = ["Transfer-Encoding", "content-length"] })"),
      (std::vector<std::string>{
          "courier.toml:7:29: routes[0].headers.request_add.Connection: 'connection' is a "
          "hop-by-hop header; courier manages it",
          "courier.toml:7:51: routes[0].headers.request_add.\":path\": pseudo-header ':path' "
          "cannot be edited",
          "courier.toml:7:67: routes[0].headers.request_add.host: 'host' cannot be edited here; "
          "use the route's host_rewrite",
          "courier.toml:7:100: routes[0].headers.response_remove[0]: 'transfer-encoding' is a "
          "hop-by-hop header; courier manages it",
          "courier.toml:7:121: routes[0].headers.response_remove[1]: 'content-length' describes "
          "the message framing; courier manages it",
      }));
}

TEST(HeadersConfig, RejectsBadNamesValuesAndConflicts) {
  EXPECT_EQ(
      errorsOf(R"(headers = { request_add = { "x a" = "1", "x-b" = "line\nbreak", "x-c" = 1 }, )"
               R"(request_remove = ["x-c", "X-D", "x-d"], response_add = ["x"], bogus = 1 })"),
      (std::vector<std::string>{
          "courier.toml:7:29: routes[0].headers.request_add.\"x a\": \"x a\" is not a valid "
          "header name",
          "courier.toml:7:50: routes[0].headers.request_add.x-b: header values cannot contain "
          "control characters (CR, LF, NUL ...)",
          "courier.toml:7:73: routes[0].headers.request_add.x-c: expected a string, got an "
          "integer",
          "courier.toml:7:110: routes[0].headers.request_remove[2]: header 'x-d' is both added "
          "and removed, or removed twice",
          "courier.toml:7:133: routes[0].headers.response_add: expected a table, got an array",
          "courier.toml:7:140: routes[0].headers.bogus: unknown key 'bogus'",
      }));
  EXPECT_EQ(errorsOf(R"(headers = { request_add = { "x-a" = "1" }, request_remove = ["x-a"] })"),
            std::vector<std::string>{"courier.toml:7:62: routes[0].headers.request_remove[0]: "
                                     "header 'x-a' is both added and removed, or removed twice"});
  EXPECT_EQ(errorsOf(R"(headers = ["x-a"])"),
            std::vector<std::string>{
                "courier.toml:7:11: routes[0].headers: expected a table, got an array"});
}

TEST(Registry, ListsEveryFilterInChainOrder) {
  auto factories = registry();
  ASSERT_EQ(factories.size(), 3u);
  EXPECT_EQ(factories[0].route_key, "rate_limit");
  EXPECT_EQ(factories[0].chain_order, kRateLimitOrder);
  EXPECT_EQ(factories[1].route_key, "cache");
  EXPECT_EQ(factories[1].chain_order, kCacheOrder);
  EXPECT_EQ(factories[2].route_key, "headers");
  EXPECT_EQ(factories[2].chain_order, kHeadersOrder);
  for (const auto& f : factories) EXPECT_NE(f.parse, nullptr);
}

}  // namespace
}  // namespace courier::filters::headers
