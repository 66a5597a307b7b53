// Helpers to build configs and requests by hand for router tests.
#pragma once

#include <re2/re2.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "proxy/http/header_map.h"

namespace courier::router::testing {

inline std::shared_ptr<const re2::RE2> regex(const std::string& pattern) {
  return std::make_shared<const re2::RE2>(pattern);
}

// Appends a route named `name` to `config`, with `index` set.
inline config::RouteConfig& addRoute(config::Config& config, std::string name,
                                     config::RouteMatch match = {}) {
  config::RouteConfig r;
  r.name = std::move(name);
  r.index = config.routes.size();
  r.match = std::move(match);
  config.routes.push_back(std::move(r));
  return config.routes.back();
}

inline config::RouteMatch prefix(std::string p) {
  config::RouteMatch m;
  m.prefix = std::move(p);
  return m;
}

inline config::RouteMatch exactPath(std::string p) {
  config::RouteMatch m;
  m.path = std::move(p);
  return m;
}

inline config::HeaderMatcher headerExact(std::string name, std::string value) {
  config::HeaderMatcher h;
  h.name = std::move(name);
  h.exact = std::move(value);
  return h;
}

inline config::HeaderMatcher headerPresent(std::string name, bool present = true) {
  config::HeaderMatcher h;
  h.name = std::move(name);
  h.present = present;
  return h;
}

inline config::HeaderMatcher headerRegex(std::string name, const std::string& pattern) {
  config::HeaderMatcher h;
  h.name = std::move(name);
  h.regex = regex(pattern);
  return h;
}

// A request whose views point at string literals (or `keep`).
inline http::RequestHeaders request(std::string_view method, std::string_view path,
                                    std::string_view authority = "example.com") {
  http::RequestHeaders r;
  r.method = method;
  r.path = path;
  r.authority = authority;
  return r;
}

}  // namespace courier::router::testing
