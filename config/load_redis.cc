#include <charconv>

#include "config/load_sections.h"
#include "config/text.h"

namespace courier::config {
namespace {

constexpr std::string_view kScheme = "redis://";

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// "p%40ss" -> "p@ss": passwords with URL-special characters are written
// percent-encoded. A '%' not followed by two hex digits is kept as is.
std::string percentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

// "redis://[[user]:password@]host[:port][/db]"; nullopt and *error on a bad URL.
std::optional<RedisConfig> parseRedisUrl(std::string_view url, std::string* error) {
  RedisConfig out;
  out.url = std::string(url);
  if (!url.starts_with(kScheme)) {
    *error = "expected a URL like \"redis://127.0.0.1:6379/0\" (only redis:// is supported)";
    return std::nullopt;
  }
  std::string_view rest = url.substr(kScheme.size());
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    rest = rest.substr(at + 1);
    size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      // "redis://secret@host": redis-cli and most clients read a lone
      // userinfo as the password.
      out.password = percentDecode(userinfo);
    } else {
      out.username = percentDecode(userinfo.substr(0, colon));
      out.password = percentDecode(userinfo.substr(colon + 1));
    }
  }
  std::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      auto [end, ec] = std::from_chars(db.data(), db.data() + db.size(), out.db);
      if (ec != std::errc() || end != db.data() + db.size() || out.db > 65535) {
        *error = "the database after '/' must be a number, got \"" + std::string(db) + "\"";
        return std::nullopt;
      }
    }
  }
  std::string_view host = hostport;
  if (hostport.starts_with('[')) {  // [v6]:port
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) {
      *error = "unterminated '[' in the host";
      return std::nullopt;
    }
    host = hostport.substr(1, close - 1);
    hostport = hostport.substr(close + 1);
    if (!hostport.empty() && hostport.front() != ':') {
      *error = "expected ':port' after ']'";
      return std::nullopt;
    }
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    host = hostport.substr(0, colon);
    hostport = hostport.substr(colon);
  } else {
    hostport = {};
  }
  if (hostport.starts_with(':')) {
    std::string_view port = hostport.substr(1);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      *error = "bad port \"" + std::string(port) + "\" (expected 1-65535)";
      return std::nullopt;
    }
    out.port = static_cast<uint16_t>(value);
  }
  if (host.empty()) {
    *error = "the URL has no host";
    return std::nullopt;
  }
  out.host = std::string(host);
  return out;
}

}  // namespace

void loadRedis(ParseContext& ctx, const toml::table& root, std::optional<RedisConfig>& out) {
  const toml::node* node = root.get("redis");
  if (!node) return;
  auto scope = ctx.enter("redis");
  const toml::table* t = ctx.asTable(*node);
  if (!t) return;
  ctx.rejectUnknownKeys(*t, {"url", "timeout", "connect_timeout"});
  const toml::node* url = ctx.require(*t, "url");
  if (!url) return;
  std::optional<RedisConfig> redis;
  {
    auto url_scope = ctx.enter("url");
    auto text = ctx.string(*url);
    if (!text) return;
    std::string error;
    redis = parseRedisUrl(*text, &error);
    if (!redis) {
      ctx.error(*url, std::move(error));
      return;
    }
  }
  ctx.readDuration(*t, "timeout", redis->timeout, Duration{1}, Duration{60'000});
  ctx.readDuration(*t, "connect_timeout", redis->connect_timeout, Duration{1}, Duration{60'000});
  out = std::move(redis);
}

}  // namespace courier::config
