#include "proxy/router/rewrite.h"

namespace courier::router {

std::string applyPrefixRewrite(const config::RouteConfig& route, std::string_view path) {
  const std::optional<std::string>& prefix = route.match.prefix;
  if (!route.prefix_rewrite || !prefix) return std::string(path);
  std::string_view path_only = path.substr(0, path.find('?'));
  if (!path_only.starts_with(*prefix)) return std::string(path);
  std::string out;
  out.reserve(route.prefix_rewrite->size() + path.size() - prefix->size());
  out += *route.prefix_rewrite;
  out += path.substr(prefix->size());
  return out;
}

}  // namespace courier::router
