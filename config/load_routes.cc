#include <algorithm>
#include <map>

#include "config/load_sections.h"
#include "config/suggest.h"
#include "config/text.h"

namespace courier::config {
namespace {

constexpr std::string_view kRouteKeys[] = {
    "name", "match", "cluster", "timeout", "stream_idle_timeout", "prefix_rewrite", "host_rewrite"};
// SPEC route keys whose features arrive in later builds.
constexpr std::string_view kUnsupportedRouteKeys[] = {
    "compression",
    "batch",
    "retry",
    "idempotency",
};

bool contains(std::span<const std::string_view> list, std::string_view key) {
  return std::find(list.begin(), list.end(), key) != list.end();
}

const FilterFactory* findFactory(std::span<const FilterFactory> filters, std::string_view key) {
  for (const auto& f : filters)
    if (f.route_key == key) return &f;
  return nullptr;
}

void resolveCluster(ParseContext& ctx, const toml::table& t, const Config& config,
                    RouteConfig& route) {
  const toml::node* node = ctx.require(t, "cluster");
  if (!node) return;
  auto scope = ctx.enter("cluster");
  auto name = ctx.nonEmptyString(*node);
  if (!name) return;
  route.cluster = *name;
  for (size_t i = 0; i < config.clusters.size(); ++i) {
    if (config.clusters[i].name == *name) {
      route.cluster_index = i;
      return;
    }
  }
  if (config.clusters.empty()) {
    ctx.error(*node, "unknown cluster '" + *name + "' (no [clusters] are defined)");
    return;
  }
  std::vector<std::string_view> names;
  for (const auto& c : config.clusters) names.push_back(c.name);
  ctx.error(*node, "unknown cluster '" + *name + "'" + didYouMean(*name, names));
}

void readRewrites(ParseContext& ctx, const toml::table& t, RouteConfig& route) {
  if (const toml::node* node = t.get("prefix_rewrite")) {
    auto scope = ctx.enter("prefix_rewrite");
    auto text = ctx.string(*node);
    // Look at what was written, so an invalid prefix is not reported twice.
    const toml::node* match = t.get("match");
    bool has_prefix = match && match->is_table() && match->as_table()->contains("prefix");
    if (text && !has_prefix)
      ctx.error(*node, "prefix_rewrite needs a prefix match (match.prefix)");
    else if (text && (text->empty() || text->front() != '/'))
      ctx.error(*node, "must start with \"/\"");
    else if (text)
      route.prefix_rewrite = std::move(*text);
  }
  if (const toml::node* node = t.get("host_rewrite")) {
    auto scope = ctx.enter("host_rewrite");
    auto text = ctx.nonEmptyString(*node);
    // host[:port]; brackets for IPv6 literals.
    bool ok = text && std::all_of(text->begin(), text->end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       std::string_view("-_.:[]").find(c) != std::string_view::npos;
              });
    if (text && !ok)
      ctx.error(*node, "\"" + *text + "\" is not a valid host[:port]");
    else if (text)
      route.host_rewrite = std::move(*text);
  }
}

// Keys that are neither built in nor claimed by a factory.
void rejectRouteKey(ParseContext& ctx, const toml::key& key,
                    std::span<const FilterFactory> filters) {
  if (contains(kUnsupportedRouteKeys, key.str())) {
    ctx.unsupportedKey(key);
    return;
  }
  std::vector<std::string_view> candidates(std::begin(kRouteKeys), std::end(kRouteKeys));
  for (const auto& f : filters) candidates.push_back(f.route_key);
  candidates.insert(candidates.end(), std::begin(kUnsupportedRouteKeys),
                    std::end(kUnsupportedRouteKeys));
  ctx.unknownKey(key, candidates);
}

void loadFilters(ParseContext& ctx, const toml::table& t, std::span<const FilterFactory> filters,
                 RouteConfig& route) {
  std::vector<std::pair<int, std::shared_ptr<const FilterConfig>>> parsed;
  for (auto&& [key, node] : t) {
    if (contains(kRouteKeys, key.str())) continue;
    const FilterFactory* factory = findFactory(filters, key.str());
    if (!factory) {
      rejectRouteKey(ctx, key, filters);
      continue;
    }
    auto scope = ctx.enter(key.str());
    if (auto filter = factory->parse(node, ctx)) parsed.emplace_back(factory->chain_order, filter);
  }
  std::stable_sort(parsed.begin(), parsed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [order, filter] : parsed) route.filters.push_back(std::move(filter));
}

struct SeenName {
  int line;
};

void loadRoute(ParseContext& ctx, const toml::table& t, std::span<const FilterFactory> filters,
               const Config& config, std::map<std::string, SeenName>& seen, RouteConfig& route) {
  if (const toml::node* node = ctx.require(t, "name")) {
    auto scope = ctx.enter("name");
    if (auto name = ctx.nonEmptyString(*node)) {
      auto [it, inserted] =
          seen.emplace(*name, SeenName{static_cast<int>(node->source().begin.line)});
      if (!inserted)
        ctx.error(*node, "duplicate route name '" + *name + "' (first used on line " +
                             std::to_string(it->second.line) + ")");
      route.name = std::move(*name);
    }
  }
  // No match table matches every request, like an empty one.
  if (const toml::node* node = t.get("match")) {
    auto scope = ctx.enter("match");
    loadRouteMatch(ctx, *node, route.match);
  }
  resolveCluster(ctx, t, config, route);
  ctx.readDuration(t, "timeout", route.timeout, Duration{1});
  if (t.get("stream_idle_timeout")) {
    Duration idle{};
    if (ctx.readDuration(t, "stream_idle_timeout", idle, Duration{1}))
      route.stream_idle_timeout = idle;
  }
  readRewrites(ctx, t, route);
  ctx.setRouteName(route.name);
  loadFilters(ctx, t, filters, route);
}

}  // namespace

void loadRoutes(ParseContext& ctx, const toml::table& root, std::span<const FilterFactory> filters,
                Config& config) {
  const toml::node* node = root.get("routes");
  if (!node) {
    ctx.error(toml::source_region{}, "routes",
              "no routes: add at least one [[routes]] table (a proxy without routes answers "
              "every request with 404)");
    return;
  }
  auto scope = ctx.enter("routes");
  const toml::array* routes = node->as_array();
  if (!routes) {
    ctx.error(*node, "expected [[routes]] tables, got " + std::string(describeType(*node)));
    return;
  }
  if (routes->empty()) {
    ctx.error(*node, "add at least one [[routes]] table");
    return;
  }
  std::map<std::string, SeenName> seen;
  for (size_t i = 0; i < routes->size(); ++i) {
    auto route_scope = ctx.enter(i);
    RouteConfig& route = config.routes.emplace_back();
    route.index = i;
    if (const toml::table* t = ctx.asTable((*routes)[i]))
      loadRoute(ctx, *t, filters, config, seen, route);
  }
}

}  // namespace courier::config
