// RouteTable::match() against a 20-route table shaped like a real sidecar
// config: host-scoped routes, method filters, header matchers, one regex,
// and a catch-all last.
#include <benchmark/benchmark.h>
#include <re2/re2.h>

#include <memory>
#include <string>

#include "proxy/router/route_table.h"

namespace {

using courier::config::Config;
using courier::config::RouteConfig;
using courier::config::RouteMatch;

RouteConfig& add(Config& c, std::string name, RouteMatch m) {
  RouteConfig r;
  r.name = std::move(name);
  r.index = c.routes.size();
  r.match = std::move(m);
  c.routes.push_back(std::move(r));
  return c.routes.back();
}

const Config& benchConfig() {
  static const Config config = [] {
    Config c;
    for (int i = 0; i < 8; ++i) {  // 8 tenant-scoped prefixes
      RouteMatch m;
      m.prefix = "/tenant" + std::to_string(i) + "/";
      m.hosts = {"*.tenant" + std::to_string(i) + ".example.com"};
      add(c, "tenant" + std::to_string(i), m);
    }
    for (int i = 0; i < 6; ++i) {  // 6 POST-only API paths
      RouteMatch m;
      m.path = "/v1/api" + std::to_string(i);
      m.methods = {"POST"};
      add(c, "api" + std::to_string(i), m);
    }
    {
      RouteMatch m;
      m.prefix = "/admin/";
      courier::config::HeaderMatcher h;
      h.name = "x-admin-key";
      add(c, "admin", m).match.headers.push_back(h);
    }
    {
      RouteMatch m;
      m.prefix = "/v1/";
      courier::config::HeaderMatcher h;
      h.name = "x-canary";
      h.exact = "1";
      add(c, "canary", m).match.headers.push_back(h);
    }
    {
      RouteMatch m;  // index 16: the regex route
      m.regex = std::make_shared<const re2::RE2>("/v1/models/[a-z0-9-]+/versions/[0-9]+");
      add(c, "model_version", m);
    }
    {
      RouteMatch m;  // index 17: a plain prefix route
      m.prefix = "/v1/completions";
      add(c, "completions", m);
    }
    {
      RouteMatch m;
      m.path = "/v1/embed";
      m.methods = {"POST"};
      add(c, "embed", m);
    }
    {
      RouteMatch m;  // index 19: catch-all
      m.prefix = "/";
      add(c, "default", m);
    }
    return c;
  }();
  return config;
}

void runMatch(benchmark::State& state, const char* method, const char* path, const char* expect) {
  courier::router::RouteTable table(benchConfig());
  courier::http::RequestHeaders req;
  req.method = method;
  req.path = path;
  req.authority = "api.example.com:8080";
  req.headers.add("user-agent", "bench");
  req.headers.add("content-type", "application/json");
  req.headers.add("x-request-id", "0123456789abcdef");
  const RouteConfig* hit = table.match(req);
  if (hit == nullptr || hit->name != expect) {
    state.SkipWithError("unexpected route");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(table.match(req));
  state.SetItemsProcessed(state.iterations());
}

void BM_MatchLastRoute(benchmark::State& s) {
  runMatch(s, "GET", "/static/app.js?v=3", "default");
}
void BM_MatchPrefixRoute(benchmark::State& s) {
  runMatch(s, "POST", "/v1/completions?stream=true", "completions");
}
void BM_MatchRegexRoute(benchmark::State& s) {
  runMatch(s, "GET", "/v1/models/llama-3-8b/versions/12", "model_version");
}
BENCHMARK(BM_MatchLastRoute);
BENCHMARK(BM_MatchPrefixRoute);
BENCHMARK(BM_MatchRegexRoute);

}  // namespace
