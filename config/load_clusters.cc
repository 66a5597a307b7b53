#include <algorithm>
#include <cstring>

#include "config/load_sections.h"

namespace courier::config {
namespace {

// Names appear as metric labels and in logs; keep them plain.
bool isPlainName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

void readEndpoints(ParseContext& ctx, const toml::table& t, ClusterConfig& cluster) {
  const toml::node* node = ctx.require(t, "endpoints");
  if (!node) return;
  auto scope = ctx.enter("endpoints");
  const toml::array* arr = ctx.asArray(*node);
  if (!arr) return;
  if (arr->empty()) {
    ctx.error(*node, "a cluster needs at least one endpoint");
    return;
  }
  for (size_t i = 0; i < arr->size(); ++i) {
    auto item_scope = ctx.enter(i);
    auto address = readSocketAddress(ctx, (*arr)[i], PortRule::RequireNonZero);
    if (!address) continue;
    bool duplicate = std::any_of(cluster.endpoints.begin(), cluster.endpoints.end(),
                                 [&](const SocketAddress& e) { return e.text == address->text; });
    if (duplicate) {
      ctx.error((*arr)[i], "endpoint \"" + address->text + "\" is listed twice");
      continue;
    }
    cluster.endpoints.push_back(std::move(*address));
  }
}

void loadCluster(ParseContext& ctx, const toml::key& name, const toml::node& node,
                 ClusterConfig& cluster) {
  cluster.name = std::string(name.str());
  if (!isPlainName(cluster.name))
    ctx.error(name.source(), ctx.path(),
              "cluster names may only use letters, digits, '_', '-' and '.'");
  const toml::table* t = ctx.asTable(node);
  if (!t) return;
  ctx.rejectUnknownKeys(
      *t,
      {"endpoints", "protocol", "lb", "connect_timeout", "idle_timeout", "max_idle_per_endpoint"},
      {"max_connections", "max_pending", "max_requests", "max_retries", "breaker", "health_check"});
  readEndpoints(ctx, *t, cluster);
  if (const toml::node* p = t->get("protocol")) {
    auto scope = ctx.enter("protocol");
    if (auto protocol = ctx.oneOf(*p, {"http1", "h2c"}))
      cluster.protocol = *protocol == "h2c" ? UpstreamProtocol::H2c : UpstreamProtocol::Http1;
  }
  if (const toml::node* lb = t->get("lb")) {
    auto scope = ctx.enter("lb");
    if (auto policy = ctx.oneOf(*lb, {"round_robin", "least_request"}))
      cluster.lb = *policy == "round_robin" ? LoadBalancerPolicy::RoundRobin
                                            : LoadBalancerPolicy::LeastRequest;
  }
  ctx.readDuration(*t, "connect_timeout", cluster.connect_timeout, Duration{1});
  ctx.readDuration(*t, "idle_timeout", cluster.idle_timeout, Duration{1});
  // 0 turns pooling off: every request gets a fresh upstream connection.
  ctx.readInteger(*t, "max_idle_per_endpoint", cluster.max_idle_per_endpoint, 0, 65535);
}

}  // namespace

void loadClusters(ParseContext& ctx, const toml::table& root, std::vector<ClusterConfig>& out) {
  const toml::node* node = root.get("clusters");
  if (!node) return;
  auto scope = ctx.enter("clusters");
  const toml::table* clusters = ctx.asTable(*node);
  if (!clusters) return;
  // toml::table iterates in key order, so cluster indexes are alphabetical
  // and stable across reloads of an unchanged file.
  for (auto&& [name, cluster_node] : *clusters) {
    auto cluster_scope = ctx.enter(name.str());
    loadCluster(ctx, name, cluster_node, out.emplace_back());
  }
}

}  // namespace courier::config
