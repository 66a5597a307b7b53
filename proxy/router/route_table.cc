#include "proxy/router/route_table.h"

#include <re2/re2.h>

#include "proxy/common/log.h"
#include "proxy/router/host.h"

namespace courier::router {
namespace {

// A private copy of a compiled regex (see the header for why), or null when
// the config has none. Sets `failed` if the copy does not compile, which
// only happens when memory runs out: the loader compiled the same pattern.
std::unique_ptr<re2::RE2> copyRegex(const std::shared_ptr<const re2::RE2>& regex, bool& failed) {
  if (!regex) return nullptr;
  auto copy = std::make_unique<re2::RE2>(regex->pattern(), regex->options());
  if (!copy->ok()) failed = true;
  return copy;
}

bool fullMatch(const re2::RE2& re, std::string_view text) {
  return re2::RE2::FullMatch(re2::StringPiece(text.data(), text.size()), re);
}

}  // namespace

RouteTable::RouteTable(const config::Config& config) {
  routes_.reserve(config.routes.size());
  for (const config::RouteConfig& route : config.routes) {
    CompiledRoute c;
    c.route = &route;
    c.regex = copyRegex(route.match.regex, c.unmatchable);
    for (const config::HeaderMatcher& h : route.match.headers) {
      CompiledHeader ch;
      ch.name = h.name;
      ch.exact = &h.exact;
      ch.regex = copyRegex(h.regex, c.unmatchable);
      ch.present = h.present;
      c.headers.push_back(std::move(ch));
    }
    if (c.unmatchable)
      LOG_ERROR("route %s: a regex did not compile; the route is off", route.name.c_str());
    routes_.push_back(std::move(c));
  }
}

RouteTable::~RouteTable() = default;
RouteTable::RouteTable(RouteTable&&) noexcept = default;
RouteTable& RouteTable::operator=(RouteTable&&) noexcept = default;

const config::RouteConfig* RouteTable::match(const http::RequestHeaders& request) const {
  std::string_view host = hostWithoutPort(request.authority);
  std::string_view path = request.pathOnly();
  for (const CompiledRoute& c : routes_)
    if (matches(c, request, host, path)) return c.route;
  return nullptr;
}

bool RouteTable::matches(const CompiledRoute& c, const http::RequestHeaders& request,
                         std::string_view host, std::string_view path) const {
  const config::RouteMatch& m = c.route->match;
  // Cheapest and most selective first: path, method, host, then regexes.
  if (c.unmatchable) return false;
  if (m.prefix && !path.starts_with(*m.prefix)) return false;
  if (m.path && path != *m.path) return false;
  if (!m.methods.empty()) {
    bool any = false;
    for (const std::string& method : m.methods) any = any || method == request.method;
    if (!any) return false;
  }
  if (!m.hosts.empty()) {
    bool any = false;
    for (const std::string& pattern : m.hosts) any = any || hostMatches(pattern, host);
    if (!any) return false;
  }
  if (c.regex && !fullMatch(*c.regex, path)) return false;
  for (const CompiledHeader& h : c.headers)
    if (!headerMatches(h, request)) return false;
  return true;
}

bool RouteTable::headerMatches(const CompiledHeader& h, const http::RequestHeaders& request) const {
  auto valueOk = [&h](std::string_view value) {
    if (h.exact->has_value()) return value == **h.exact;
    if (h.regex) return fullMatch(*h.regex, value);
    return true;
  };
  for (const http::HeaderField& f : request.headers.fields()) {
    if (f.name != h.name) continue;  // both lower-case
    if (!h.present) return false;
    if (valueOk(f.value)) return true;
  }
  return !h.present;
}

}  // namespace courier::router
