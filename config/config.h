// Typed, immutable configuration. The loader (loader.h) builds it from TOML;
// everything else only reads it through std::shared_ptr<const Config>.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace re2 {
class RE2;
}
namespace courier::http {
class StreamFilter;
}

namespace courier::config {

using Duration = std::chrono::milliseconds;

// A resolved socket address ("127.0.0.1:9000", "[::1]:80", "localhost:9000").
struct SocketAddress {
  std::string text;  // as written in the config
  sockaddr_storage addr{};
  socklen_t len = 0;
};

// An address range from the config ("10.0.0.0/8", "fd00::/8", or one host).
struct Cidr {
  std::string text;          // as written
  int family = 0;            // AF_INET or AF_INET6
  uint8_t network[16] = {};  // host bits zero; the first 4 bytes for AF_INET
  unsigned prefix_bits = 0;
  // `addr` is 4 (AF_INET) or 16 (AF_INET6) bytes in network order.
  bool contains(int addr_family, const uint8_t* addr) const {
    if (addr_family != family) return false;
    unsigned full = prefix_bits / 8, rest = prefix_bits % 8;
    for (unsigned i = 0; i < full; ++i)
      if (addr[i] != network[i]) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff00u >> rest);
    return (addr[full] & mask) == network[full];
  }
};

struct AccessLogConfig {
  bool enabled = true;  // [server] access_log = "stdout" | "off"
  double sample = 1.0;  // [server] access_log_sample, fraction of requests logged
};

struct ServerConfig {
  SocketAddress listen;  // default 0.0.0.0:8080
  SocketAddress admin;   // default 127.0.0.1:9901
  unsigned workers = 0;  // 0 = one per core (resolved by the loader: never 0 after load)
  uint32_t max_connections = 20000;
  Duration header_timeout{10'000};
  Duration idle_timeout{60'000};
  uint32_t max_header_bytes = 65536;
  uint64_t max_body_bytes = 16ull << 20;
  Duration drain_timeout{15'000};
  // A stream that moves no bytes either way this long is ended: 408 before
  // the response began, else reset. Waiting for the upstream's response
  // head is not idleness (the route's timeout bounds that). Routes may
  // override it.
  Duration stream_idle_timeout{60'000};
  // HTTP/2 downstream: streams a client may have open at once, and each
  // stream's receive window (what a client may send ahead of courier
  // forwarding it; bounds what one stalled upload can make courier buffer).
  uint32_t http2_max_concurrent_streams = 100;
  uint32_t http2_stream_window = 256 << 10;
  std::vector<Cidr> trusted_proxies;  // peers whose x-forwarded-for is believed
  std::string admin_token_file;       // optional bearer token for mutating admin calls
  AccessLogConfig access_log;
};

enum class UpstreamProtocol { Http1, H2c };
enum class LoadBalancerPolicy { RoundRobin, LeastRequest };

struct ClusterConfig {
  std::string name;
  std::vector<SocketAddress> endpoints;  // resolved at load time
  UpstreamProtocol protocol = UpstreamProtocol::Http1;
  LoadBalancerPolicy lb = LoadBalancerPolicy::RoundRobin;
  Duration connect_timeout{1'000};
  Duration idle_timeout{60'000};  // pooled keep-alive connection idle time
  // Idle keep-alive connections kept per endpoint per worker. High by
  // default: closing connections that the load just needed makes every
  // later burst pay a connect (and leaves TIME_WAIT sockets that slow
  // connect() down); idle_timeout reaps the ones that stay unused.
  uint32_t max_idle_per_endpoint = 16384;
};

struct HeaderMatcher {
  std::string name;                       // lower-case
  std::optional<std::string> exact;       // value must equal this
  std::shared_ptr<const re2::RE2> regex;  // value must fully match this
  bool present = true;                    // false: the header must be absent
};

struct RouteMatch {
  std::vector<std::string> hosts;   // lower-case; "api.example.com" or "*.example.com"; empty = any
  std::optional<std::string> path;  // exact path (query excluded)
  std::optional<std::string> prefix;      // path prefix
  std::shared_ptr<const re2::RE2> regex;  // full match on the path
  std::string regex_text;
  std::vector<std::string> methods;  // upper-case; empty = any
  std::vector<HeaderMatcher> headers;
};

// A filter's parsed, immutable per-route config; it also makes the filter.
// Each filter under filters/ derives from this (see filters/registry.h).
class FilterConfig {
 public:
  virtual ~FilterConfig() = default;
  virtual std::string_view name() const = 0;
  // One light filter object per stream; called on a worker thread.
  virtual std::unique_ptr<http::StreamFilter> createFilter() const = 0;
  // The effective settings as one serialised JSON value (an object), for the
  // admin /config endpoint (config/dump.h); config/json_writer.h helps.
  virtual std::string renderJson() const { return "{}"; }
};

struct RouteConfig {
  std::string name;
  size_t index = 0;  // position in Config::routes (stats are indexed by it)
  RouteMatch match;
  std::string cluster;  // name; cluster_index resolves it
  size_t cluster_index = 0;
  Duration timeout{300'000};                    // whole upstream exchange -> 504
  std::optional<Duration> stream_idle_timeout;  // else [server] stream_idle_timeout
  std::optional<std::string> prefix_rewrite;
  std::optional<std::string> host_rewrite;  // otherwise the client's Host is kept
  // Filters in chain order (the router is not listed; it always ends the chain).
  std::vector<std::shared_ptr<const FilterConfig>> filters;
};

// [redis]: the shared store behind scope = "redis" limits (and the cache's
// L2). Parsed from url = "redis://[[user]:password@]host[:port][/db]".
struct RedisConfig {
  std::string url;   // as written (the password is masked in /config)
  std::string host;  // name or address; resolved when connecting
  uint16_t port = 6379;
  unsigned db = 0;
  std::string username;  // Redis 6 ACL user; empty = AUTH with the password only
  std::string password;  // empty = no AUTH
  Duration timeout{25};  // per command: after this the caller falls back
  Duration connect_timeout{1'000};

  bool operator==(const RedisConfig&) const = default;
};

// [cache]: the memory layer shared by every route with a cache.
struct CacheSettings {
  uint64_t memory_bytes = 256ull << 20;    // L1 bound: keys, headers and bodies
  uint64_t max_object_bytes = 8ull << 20;  // larger responses stream through uncached

  bool operator==(const CacheSettings&) const = default;
};

struct Config {
  std::string source_path;  // file it was loaded from
  std::string source_text;  // the file's text (admin /config shows it)
  ServerConfig server;
  std::optional<RedisConfig> redis;  // absent without a [redis] section
  CacheSettings cache;               // defaults without a [cache] section
  std::vector<ClusterConfig> clusters;
  std::vector<RouteConfig> routes;

  const ClusterConfig* findCluster(std::string_view name) const {
    for (const auto& c : clusters)
      if (c.name == name) return &c;
    return nullptr;
  }
};

}  // namespace courier::config
