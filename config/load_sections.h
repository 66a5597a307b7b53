// Internal to the loader: one function per top-level section. Each reads
// its part of the document into `config`, reporting through `ctx`, and keeps
// going after errors so that one run shows every problem.
#pragma once

#include <toml++/toml.h>

#include <optional>
#include <span>

#include "config/address.h"
#include "config/config.h"
#include "config/filter_factory.h"
#include "config/parse_context.h"

namespace courier::config {

// [server]; fills defaults for absent keys (including listen/admin).
void loadServer(ParseContext& ctx, const toml::table& root, ServerConfig& server);
// [redis]; leaves `out` empty when the section is absent.
void loadRedis(ParseContext& ctx, const toml::table& root, std::optional<RedisConfig>& out);
// [cache]; defaults for absent keys.
void loadCache(ParseContext& ctx, const toml::table& root, CacheSettings& out);
// [clusters.<name>]; a cluster with errors is still added, so routes that
// name it do not report a second, misleading "unknown cluster".
void loadClusters(ParseContext& ctx, const toml::table& root, std::vector<ClusterConfig>& out);
// [[routes]]; needs the clusters loaded first.
void loadRoutes(ParseContext& ctx, const toml::table& root, std::span<const FilterFactory> filters,
                Config& config);
// routes[i].match
void loadRouteMatch(ParseContext& ctx, const toml::node& node, RouteMatch& match);

// A "host:port" string at `node`, resolved; errors at the node.
std::optional<SocketAddress> readSocketAddress(ParseContext& ctx, const toml::node& node,
                                               PortRule rule);

}  // namespace courier::config
