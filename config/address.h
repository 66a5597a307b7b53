// Socket addresses and CIDR ranges as written in the config.
#pragma once

#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/common/result.h"

namespace courier::config {

enum class PortRule {
  AllowZero,       // listeners: port 0 asks the kernel for a free port (tests use it)
  RequireNonZero,  // upstream endpoints
};

// Splits "host:port" / "[v6]:port" and resolves the host with getaddrinfo
// (numeric addresses never touch DNS). Takes the first address the resolver
// returns. Blocking: call it at load time only, never on a worker.
Result<SocketAddress, std::string> resolveSocketAddress(std::string_view text, PortRule rule);

// The resolved address as "127.0.0.1:8080" or "[::1]:80".
std::string formatResolved(const SocketAddress& address);

// Checks "10.0.0.0/8", "fd00::/8" or a bare address (a single host). Host
// bits set below the prefix ("10.0.0.1/8") are an error: they are almost
// always a typo for another range, and the message suggests the network.
Result<Cidr, std::string> parseCidr(std::string_view text);

}  // namespace courier::config
