#include "proxy/router/host.h"

namespace courier::router {
namespace {

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

}  // namespace

std::string_view hostWithoutPort(std::string_view authority) {
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    // IPv6 literal: the port, if any, follows the closing bracket.
    size_t close = host.find(']');
    if (close != std::string_view::npos) return host.substr(0, close + 1);
    return host;
  }
  size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) host = host.substr(0, colon);
  if (host.size() > 1 && host.back() == '.') host.remove_suffix(1);
  return host;
}

bool hostEquals(std::string_view lower_pattern, std::string_view host) {
  if (lower_pattern.size() != host.size()) return false;
  for (size_t i = 0; i < host.size(); ++i)
    if (lower(host[i]) != lower_pattern[i]) return false;
  return true;
}

bool hostMatches(std::string_view lower_pattern, std::string_view host) {
  if (lower_pattern.size() >= 2 && lower_pattern[0] == '*' && lower_pattern[1] == '.') {
    std::string_view suffix = lower_pattern.substr(1);  // ".example.com"
    // At least one character before the suffix: the bare domain is not a subdomain.
    return host.size() > suffix.size() &&
           hostEquals(suffix, host.substr(host.size() - suffix.size()));
  }
  if (lower_pattern == "*") return true;
  return hostEquals(lower_pattern, host);
}

}  // namespace courier::router
