// RouteTable: picks the route for a request, first match wins, in config order.
//
// A route matches when every condition it sets holds:
//   host     hostMatches() against any of match.hosts, on the authority
//            without its port, ASCII case-insensitively (empty list = any)
//   path     exact, and/or prefix (a plain byte prefix, case-sensitive, as in
//            Envoy: "/v1" also matches "/v10"; write "/v1/" to mean the
//            folder), and/or RE2 full match; all on the path without query
//   methods  exact, case-sensitive (methods are case-sensitive tokens)
//   headers  each matcher: `present = false` -> no field of that name;
//            `exact` -> some field of that name equals it; `regex` -> some
//            field fully matches it; neither -> some field exists (any
//            value, even empty). Only HeaderMap fields are seen: the loader
//            rejects matchers on "host" and pseudo-headers (use match.hosts).
//
// match() does not allocate. Each table compiles its own copies of the
// route regexes: RE2 guards its DFA cache with a lock, so build one table
// per worker (cheap) and the workers share no cache lines on this path.
//
// Lifetime: the table points into the Config it was built from; that Config
// must outlive it (keep the table next to its shared_ptr<const Config>).
// Threads: match() is const and safe from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/http/header_map.h"

namespace re2 {
class RE2;
}

namespace courier::router {

class RouteTable {
 public:
  explicit RouteTable(const config::Config& config);
  ~RouteTable();
  RouteTable(RouteTable&&) noexcept;
  RouteTable& operator=(RouteTable&&) noexcept;

  // The first route that matches, or nullptr (the caller answers 404 no_route).
  const config::RouteConfig* match(const http::RequestHeaders& request) const;

  size_t size() const { return routes_.size(); }

 private:
  struct CompiledHeader {
    std::string_view name;                    // into the Config
    const std::optional<std::string>* exact;  // into the Config
    std::unique_ptr<re2::RE2> regex;          // this table's copy
    bool present = true;
  };
  struct CompiledRoute {
    const config::RouteConfig* route = nullptr;
    std::unique_ptr<re2::RE2> regex;  // this table's copy of match.regex
    std::vector<CompiledHeader> headers;
    bool unmatchable = false;  // a regex failed to compile; logged at build time
  };

  bool matches(const CompiledRoute& compiled, const http::RequestHeaders& request,
               std::string_view host, std::string_view path) const;
  bool headerMatches(const CompiledHeader& h, const http::RequestHeaders& request) const;

  std::vector<CompiledRoute> routes_;
};

}  // namespace courier::router
