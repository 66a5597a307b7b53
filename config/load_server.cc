#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "config/load_sections.h"

namespace courier::config {
namespace {

constexpr unsigned kMaxWorkers = 256;
constexpr char kDefaultListen[] = "0.0.0.0:8080";
constexpr char kDefaultAdmin[] = "127.0.0.1:9901";

SocketAddress defaultAddress(std::string_view text) {
  // Numeric literals: resolution cannot fail.
  auto r = resolveSocketAddress(text, PortRule::AllowZero);
  return r ? std::move(*r) : SocketAddress{};
}

bool sameEndpoint(const SocketAddress& a, const SocketAddress& b) {
  return a.len == b.len && a.len > 0 && memcmp(&a.addr, &b.addr, a.len) == 0;
}

bool hasNonZeroPort(const SocketAddress& a) {
  if (a.addr.ss_family == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_port != 0;
  if (a.addr.ss_family == AF_INET6)
    return reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_port != 0;
  return false;
}

// Relative paths are taken from the config file's directory, so the result
// does not depend on the directory courier was started from.
std::string resolveRelative(const std::string& config_file, const std::string& path) {
  if (path.empty() || path.front() == '/') return path;
  size_t slash = config_file.rfind('/');
  if (slash == std::string::npos) return path;
  return config_file.substr(0, slash + 1) + path;
}

// The admin listener reads the token when it starts and on reload; checking
// here makes --check-config catch a wrong path before a deploy does.
void checkTokenFile(ParseContext& ctx, const toml::node& node, const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    ctx.error(node, "cannot read token file \"" + path + "\": " + strerror(errno));
    return;
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
    ctx.error(node, "token file \"" + path + "\" is not a regular file");
  else if (st.st_size == 0)
    ctx.error(node, "token file \"" + path + "\" is empty");
  close(fd);
}

void readAddress(ParseContext& ctx, const toml::table& t, std::string_view key,
                 SocketAddress& out) {
  const toml::node* node = t.get(key);
  if (!node) return;
  auto scope = ctx.enter(key);
  if (auto a = readSocketAddress(ctx, *node, PortRule::AllowZero)) out = std::move(*a);
}

void readTrustedProxies(ParseContext& ctx, const toml::table& t, ServerConfig& server) {
  const toml::node* node = t.get("trusted_proxies");
  if (!node) return;
  auto scope = ctx.enter("trusted_proxies");
  const toml::array* arr = ctx.asArray(*node);
  if (!arr) return;
  for (size_t i = 0; i < arr->size(); ++i) {
    auto item_scope = ctx.enter(i);
    auto text = ctx.string((*arr)[i]);
    if (!text) continue;
    auto cidr = parseCidr(*text);
    if (cidr)
      server.trusted_proxies.push_back(std::move(*cidr));
    else
      ctx.error((*arr)[i], cidr.error());
  }
}

}  // namespace

std::optional<SocketAddress> readSocketAddress(ParseContext& ctx, const toml::node& node,
                                               PortRule rule) {
  auto text = ctx.string(node);
  if (!text) return std::nullopt;
  auto resolved = resolveSocketAddress(*text, rule);
  if (!resolved) {
    ctx.error(node, resolved.error());
    return std::nullopt;
  }
  return std::move(*resolved);
}

void loadServer(ParseContext& ctx, const toml::table& root, ServerConfig& server) {
  server.listen = defaultAddress(kDefaultListen);
  server.admin = defaultAddress(kDefaultAdmin);
  unsigned workers = 0;

  const toml::node* node = root.get("server");
  const toml::table* t = nullptr;
  if (node) {
    auto scope = ctx.enter("server");
    t = ctx.asTable(*node);
  }
  if (t) {
    auto scope = ctx.enter("server");
    ctx.rejectUnknownKeys(
        *t, {"listen", "admin", "workers", "max_connections", "header_timeout", "idle_timeout",
             "max_header_bytes", "max_body_bytes", "drain_timeout", "trusted_proxies",
             "admin_token_file", "access_log", "access_log_sample", "stream_idle_timeout",
             "http2_max_concurrent_streams", "http2_stream_window"});
    readAddress(ctx, *t, "listen", server.listen);
    readAddress(ctx, *t, "admin", server.admin);
    if (sameEndpoint(server.listen, server.admin) && hasNonZeroPort(server.admin)) {
      // The defaults differ, so at least one of the two was written.
      std::string_view key = t->get("admin") ? "admin" : "listen";
      auto clash_scope = ctx.enter(key);
      ctx.error(*t->get(key), "listen and admin must not be the same address");
    }
    ctx.readInteger(*t, "workers", workers, 0, kMaxWorkers);
    ctx.readInteger(*t, "max_connections", server.max_connections, 1, 10'000'000);
    ctx.readDuration(*t, "header_timeout", server.header_timeout, Duration{1});
    ctx.readDuration(*t, "idle_timeout", server.idle_timeout, Duration{1});
    uint64_t header_bytes = server.max_header_bytes;
    if (ctx.readSize(*t, "max_header_bytes", header_bytes, 1024, 1u << 20))
      server.max_header_bytes = static_cast<uint32_t>(header_bytes);
    ctx.readSize(*t, "max_body_bytes", server.max_body_bytes);
    // 0 is allowed: drain means "close now" then.
    ctx.readDuration(*t, "drain_timeout", server.drain_timeout);
    ctx.readDuration(*t, "stream_idle_timeout", server.stream_idle_timeout, Duration{1});
    ctx.readInteger(*t, "http2_max_concurrent_streams", server.http2_max_concurrent_streams, 1,
                    100'000);
    // RFC 9113 §6.9.2: a window is at most 2^31-1; below 16 KiB a full DATA
    // frame could never be sent.
    uint64_t window = server.http2_stream_window;
    if (ctx.readSize(*t, "http2_stream_window", window, 16 << 10, (1u << 31) - 1))
      server.http2_stream_window = static_cast<uint32_t>(window);
    readTrustedProxies(ctx, *t, server);
    if (const toml::node* token = t->get("admin_token_file")) {
      auto token_scope = ctx.enter("admin_token_file");
      if (auto path = ctx.nonEmptyString(*token)) {
        server.admin_token_file = resolveRelative(ctx.file(), *path);
        checkTokenFile(ctx, *token, server.admin_token_file);
      }
    }
    if (const toml::node* log = t->get("access_log")) {
      auto log_scope = ctx.enter("access_log");
      if (auto mode = ctx.oneOf(*log, {"stdout", "off"}))
        server.access_log.enabled = *mode != "off";
    }
    if (const toml::node* sample = t->get("access_log_sample")) {
      auto sample_scope = ctx.enter("access_log_sample");
      if (auto v = ctx.number(*sample, 0.0, 1.0)) server.access_log.sample = *v;
    }
  }

  if (workers == 0) {
    // hardware_concurrency() may return 0 when it cannot tell.
    workers = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxWorkers);
  }
  server.workers = workers;
}

}  // namespace courier::config
