#include "proxy/http/client_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace courier::http {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// The address part of "1.2.3.4", "1.2.3.4:80", "::1" or "[::1]:80".
std::string_view stripPort(std::string_view hop) {
  if (hop.starts_with('[')) {
    size_t close = hop.find(']');
    return close == std::string_view::npos ? hop : hop.substr(1, close - 1);
  }
  size_t colon = hop.find(':');
  // One colon: IPv4 with a port. More: a bare IPv6 address.
  if (colon != std::string_view::npos && hop.find(':', colon + 1) == std::string_view::npos)
    return hop.substr(0, colon);
  return hop;
}

struct ParsedAddress {
  int family = 0;
  uint8_t bytes[16] = {};
};

bool parseAddress(std::string_view text, ParsedAddress& out) {
  char buf[INET6_ADDRSTRLEN];
  if (text.empty() || text.size() >= sizeof buf) return false;
  memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out.bytes) == 1) {
    out.family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out.bytes) != 1) return false;
  out.family = AF_INET6;
  static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (memcmp(out.bytes, kMappedPrefix, 12) == 0) {  // ::ffff:a.b.c.d is an IPv4 peer
    memmove(out.bytes, out.bytes + 12, 4);
    out.family = AF_INET;
  }
  return true;
}

bool contains(std::span<const config::Cidr> ranges, const ParsedAddress& a) {
  for (const config::Cidr& c : ranges)
    if (c.contains(a.family, a.bytes)) return true;
  return false;
}

}  // namespace

bool inRanges(std::string_view address, std::span<const config::Cidr> ranges) {
  ParsedAddress a;
  return parseAddress(address, a) && contains(ranges, a);
}

std::string effectiveClientAddress(std::string_view peer, const HeaderMap& headers,
                                   std::span<const config::Cidr> trusted) {
  if (trusted.empty() || !inRanges(peer, trusted)) return std::string(peer);
  // Hops right to left: fields last to first, each split at its last comma.
  // The last hop visited is the left-most, the client if all are trusted.
  std::string_view leftmost;
  const auto& fields = headers.fields();
  for (auto f = fields.rbegin(); f != fields.rend(); ++f) {
    if (f->name != "x-forwarded-for") continue;
    std::string_view rest = f->value;
    while (!rest.empty()) {
      size_t comma = rest.rfind(',');
      std::string_view hop = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
      if (hop.empty()) continue;
      leftmost = hop;
      std::string_view address = stripPort(hop);
      ParsedAddress a;
      if (!parseAddress(address, a)) return std::string(hop);
      if (!contains(trusted, a)) return std::string(address);
    }
  }
  return std::string(leftmost.empty() ? peer : stripPort(leftmost));
}

}  // namespace courier::http
