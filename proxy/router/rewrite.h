// Path rewriting for the upstream request.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"

namespace courier::router {

// The path to send upstream for a request that `route` matched: with
// route.prefix_rewrite set, the route's match.prefix is replaced by it and
// the rest, query included, is kept:
//   prefix "/api/" -> "/v2/":  "/api/x?y=1" -> "/v2/x?y=1"
// Slashes are not normalised ("/api" -> "/" turns "/api/x" into "//x"; write
// the prefix with its trailing slash). Without prefix_rewrite or a prefix
// match (the loader requires one), or when the path does not start with the
// prefix, `path` comes back unchanged.
std::string applyPrefixRewrite(const config::RouteConfig& route, std::string_view path);

}  // namespace courier::router
