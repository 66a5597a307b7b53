#include "config/address.h"

#include <arpa/inet.h>
#include <netdb.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <memory>

namespace courier::config {
namespace {

using AddressResult = Result<SocketAddress, std::string>;

struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { freeaddrinfo(ai); }
};

bool parsePort(std::string_view text, unsigned& port) {
  if (text.empty() || text.size() > 5) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
  return ec == std::errc() && end == text.data() + text.size() && port <= 65535;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

}  // namespace

Result<SocketAddress, std::string> resolveSocketAddress(std::string_view text, PortRule rule) {
  std::string_view host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return AddressResult::failure("expected \"[ipv6]:port\", got " + quoted(text));
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return AddressResult::failure("expected \"host:port\", got " + quoted(text) +
                                    " (the port is required)");
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return AddressResult::failure("an IPv6 address needs brackets, like \"[::1]:8080\"");
  }
  if (host.empty())
    return AddressResult::failure("missing host in " + quoted(text) +
                                  " (use \"0.0.0.0:port\" for every IPv4 address)");
  unsigned port = 0;
  if (!parsePort(port_text, port))
    return AddressResult::failure("bad port " + quoted(port_text) + " in " + quoted(text) +
                                  " (expected 0-65535)");
  if (port == 0 && rule == PortRule::RequireNonZero)
    return AddressResult::failure("port 0 is not a valid upstream port");

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* raw = nullptr;
  std::string host_str(host);
  std::string port_str(port_text);
  int rc = getaddrinfo(host_str.c_str(), port_str.c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrInfoDeleter> list(raw);
  if (rc != 0 || !list)
    return AddressResult::failure("cannot resolve " + quoted(host) + ": " +
                                  (rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc)));
  SocketAddress out;
  out.text = std::string(text);
  memcpy(&out.addr, list->ai_addr, list->ai_addrlen);
  out.len = list->ai_addrlen;
  return out;
}

std::string formatResolved(const SocketAddress& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address.addr.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address.addr);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (address.addr.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&address.addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return {};
}

Result<Cidr, std::string> parseCidr(std::string_view text) {
  using R = Result<Cidr, std::string>;
  const std::string kExpected =
      "expected an address or CIDR range like \"10.0.0.0/8\" or "
      "\"fd00::/8\", got " +
      quoted(text);
  size_t slash = text.find('/');
  std::string ip(text.substr(0, slash));
  unsigned char bytes[16] = {};
  int family = ip.find(':') == std::string::npos ? AF_INET : AF_INET6;
  if (inet_pton(family, ip.c_str(), bytes) != 1) return R::failure(kExpected);
  const unsigned max_bits = family == AF_INET ? 32 : 128;
  unsigned bits = max_bits;
  if (slash != std::string_view::npos) {
    std::string_view len = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
    if (len.empty() || ec != std::errc() || end != len.data() + len.size() || bits > max_bits)
      return R::failure("bad prefix length in " + quoted(text) + " (expected 0-" +
                        std::to_string(max_bits) + ")");
  }
  bool host_bits = false;
  for (unsigned i = bits; i < max_bits; ++i) {
    unsigned char mask = static_cast<unsigned char>(0x80u >> (i % 8));
    if (bytes[i / 8] & mask) {
      host_bits = true;
      bytes[i / 8] &= static_cast<unsigned char>(~mask);
    }
  }
  if (host_bits) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family, bytes, buf, sizeof buf);
    return R::failure(quoted(text) + " has host bits set (did you mean \"" + buf + "/" +
                      std::to_string(bits) + "\"?)");
  }
  Cidr cidr;
  cidr.text = std::string(text);
  cidr.family = family;
  memcpy(cidr.network, bytes, family == AF_INET ? 4 : 16);
  cidr.prefix_bits = bits;
  return cidr;
}

}  // namespace courier::config
