#include "filters/cache/config.h"

#include <algorithm>

#include "config/json_writer.h"
#include "config/text.h"
#include "config/units.h"
#include "filters/cache/filter.h"
#include "filters/cache/runtime.h"

namespace courier::filters::cache {
namespace {

// Longest ttl or stale window: a year is already far past any use.
constexpr config::Duration kMaxWindow{365LL * 24 * 3600 * 1000};

bool readLayers(config::ParseContext& ctx, const toml::table& t, CacheConfig& c) {
  const toml::node* node = t.get("layers");
  if (!node) return true;
  auto scope = ctx.enter("layers");
  auto layers = ctx.stringArray(*node, false);
  if (!layers) return false;
  c.memory = c.redis = false;
  for (const auto& l : *layers) {
    if (l == "memory") {
      c.memory = true;
    } else if (l == "redis") {
      c.redis = true;
    } else {
      ctx.error(*node, "unknown layer \"" + l + "\" (expected \"memory\" or \"redis\")");
      return false;
    }
  }
  if (c.redis && !ctx.redisConfigured()) {
    ctx.error(*node, "the \"redis\" layer needs a [redis] section");
    return false;
  }
  return true;
}

bool readMethods(config::ParseContext& ctx, const toml::table& t, CacheConfig& c) {
  c.methods = {"GET", "HEAD"};
  const toml::node* node = t.get("methods");
  if (!node) return true;
  auto scope = ctx.enter("methods");
  auto methods = ctx.stringArray(*node, false);
  if (!methods) return false;
  c.methods.clear();
  for (const auto& m : *methods) {
    std::string upper = config::toUpper(m);
    if (upper != "GET" && upper != "HEAD" && upper != "POST") {
      ctx.error(*node, "cannot cache " + m + " (GET, HEAD and POST can be cached)");
      return false;
    }
    c.methods.push_back(upper);
  }
  // A HEAD is answered from the GET entry (SPEC: HEAD uses GET's key).
  if (c.cachesMethod("GET") && !c.cachesMethod("HEAD")) c.methods.push_back("HEAD");
  return true;
}

bool readKeyHeaders(config::ParseContext& ctx, const toml::table& t, CacheConfig& c) {
  const toml::node* node = t.get("key_headers");
  if (!node) return true;
  auto scope = ctx.enter("key_headers");
  auto names = ctx.stringArray(*node);
  if (!names) return false;
  for (const auto& n : *names) {
    std::string lower = config::toLower(n);
    if (!config::isToken(lower)) {
      ctx.error(*node, "\"" + n + "\" is not a valid header name");
      return false;
    }
    if (!c.hasKeyHeader(lower)) c.key_headers.push_back(lower);
  }
  return true;
}

bool readWindow(config::ParseContext& ctx, const toml::table& t, std::string_view key,
                int64_t& out_ms) {
  config::Duration d{out_ms};
  bool ok = ctx.readDuration(t, key, d, config::Duration::zero(), kMaxWindow);
  out_ms = d.count();
  return ok;
}

}  // namespace

bool CacheConfig::cachesMethod(std::string_view method) const {
  return std::find(methods.begin(), methods.end(), method) != methods.end();
}

bool CacheConfig::hasKeyHeader(std::string_view lower_name) const {
  return std::find(key_headers.begin(), key_headers.end(), lower_name) != key_headers.end();
}

std::unique_ptr<http::StreamFilter> CacheConfig::createFilter() const {
  return std::make_unique<CacheFilter>(*this);
}

std::string CacheConfig::renderJson() const {
  config::JsonWriter w;
  w.beginObject();
  w.key("layers").beginArray();
  if (memory) w.string("memory");
  if (redis) w.string("redis");
  w.endArray();
  w.key("ttl").string(config::formatDuration(config::Duration(policy.ttl_ms)));
  if (redis)
    w.key("redis_ttl")
        .string(redis_ttl_ms ? config::formatDuration(config::Duration(redis_ttl_ms))
                             : "(entry lifetime)");
  w.key("methods").beginArray();
  for (const auto& m : methods) w.string(m);
  w.endArray();
  w.key("key_headers").beginArray();
  for (const auto& h : key_headers) w.string(h);
  w.endArray();
  w.key("body_key").string(body_key == BodyKeyMode::Raw ? "raw" : "canonical_json");
  w.key("stale_while_revalidate")
      .string(config::formatDuration(config::Duration(policy.stale_while_revalidate_ms)));
  w.key("stale_if_error")
      .string(config::formatDuration(config::Duration(policy.stale_if_error_ms)));
  w.key("allow_set_cookie").boolean(policy.allow_set_cookie);
  w.key("coalesce").boolean(coalesce);
  w.key("coalesce_timeout").string(config::formatDuration(coalesce_timeout));
  w.key("max_object_bytes").integer(max_object_bytes);
  w.endObject();
  return w.take();
}

std::shared_ptr<const config::FilterConfig> parseCacheConfig(const toml::node& node,
                                                             config::ParseContext& ctx) {
  const toml::table* t = ctx.asTable(node);
  if (!t) return nullptr;
  if (!ctx.rejectUnknownKeys(*t, {"layers", "ttl", "redis_ttl", "methods", "key_headers",
                                  "body_key", "stale_while_revalidate", "stale_if_error",
                                  "allow_set_cookie", "coalesce", "coalesce_timeout"}))
    return nullptr;
  auto c = std::make_shared<CacheConfig>();
  c->route_name = ctx.routeName();
  c->max_object_bytes = ctx.cacheSettings().max_object_bytes;
  bool ok = readLayers(ctx, *t, *c);
  ok &= readWindow(ctx, *t, "ttl", c->policy.ttl_ms);
  ok &= readWindow(ctx, *t, "redis_ttl", c->redis_ttl_ms);
  if (t->get("redis_ttl") && !c->redis) {
    auto scope = ctx.enter("redis_ttl");
    ctx.error(*t->get("redis_ttl"), "needs \"redis\" in layers");
    ok = false;
  }
  ok &= readMethods(ctx, *t, *c);
  ok &= readKeyHeaders(ctx, *t, *c);
  if (const toml::node* b = t->get("body_key")) {
    auto scope = ctx.enter("body_key");
    auto mode = ctx.oneOf(*b, {"canonical_json", "raw"});
    ok &= mode.has_value();
    if (mode && *mode == "raw") c->body_key = BodyKeyMode::Raw;
  }
  ok &= readWindow(ctx, *t, "stale_while_revalidate", c->policy.stale_while_revalidate_ms);
  ok &= readWindow(ctx, *t, "stale_if_error", c->policy.stale_if_error_ms);
  ok &= ctx.readBool(*t, "allow_set_cookie", c->policy.allow_set_cookie);
  ok &= ctx.readBool(*t, "coalesce", c->coalesce);
  ok &= ctx.readDuration(*t, "coalesce_timeout", c->coalesce_timeout, config::Duration{1},
                         kMaxWindow);
  c->policy.authorization_in_key = c->hasKeyHeader("authorization");
  if (!ok) return nullptr;
  c->runtime = acquireCacheRuntime(ctx.cacheSettings());
  return c;
}

}  // namespace courier::filters::cache
