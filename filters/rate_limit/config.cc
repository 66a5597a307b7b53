#include "filters/rate_limit/config.h"

#include <cmath>

#include "config/json_writer.h"
#include "config/text.h"
#include "config/units.h"
#include "filters/rate_limit/bucket_registry.h"
#include "filters/rate_limit/filter.h"

namespace courier::filters::rate_limit {
namespace {

constexpr std::string_view kHeaderPrefix = "header:";
// Redis keeps TATs in microseconds, so a token may not come faster than that.
constexpr double kMaxRatePerSecond = 1'000'000;
// burst * interval must fit a signed 64-bit nanosecond count with room to add.
constexpr double kMaxCapacityNs = 4e18;

bool readKey(config::ParseContext& ctx, const toml::table& t, Limit& limit) {
  const toml::node* node = ctx.require(t, "key");
  if (!node) return false;
  auto scope = ctx.enter("key");
  auto text = ctx.string(*node);
  if (!text) return false;
  limit.key_text = *text;
  if (*text == "client_ip") {
    limit.key_kind = KeyKind::ClientIp;
  } else if (*text == "route") {
    limit.key_kind = KeyKind::Route;
  } else if (text->starts_with(kHeaderPrefix)) {
    limit.key_kind = KeyKind::Header;
    limit.header = config::toLower(std::string_view(*text).substr(kHeaderPrefix.size()));
    if (!config::isToken(limit.header)) {
      ctx.error(*node, "\"" + limit.header + "\" is not a valid header name");
      return false;
    }
    limit.key_text = std::string(kHeaderPrefix) + limit.header;
  } else {
    ctx.error(*node,
              "expected \"client_ip\", \"route\" or \"header:<name>\", got \"" + *text + "\"");
    return false;
  }
  return true;
}

// rate, per and burst, and the bucket shape they make.
bool readShape(config::ParseContext& ctx, const toml::table& t, Limit& limit) {
  const toml::node* rate = ctx.require(t, "rate");
  if (!rate) return false;
  {
    auto scope = ctx.enter("rate");
    auto v = ctx.number(*rate, 0, 1e15);
    if (!v) return false;
    if (*v <= 0) {
      ctx.error(*rate, "must be greater than 0");
      return false;
    }
    limit.rate = *v;
  }
  if (!ctx.readDuration(t, "per", limit.per, config::Duration{1})) return false;
  double per_ns = static_cast<double>(limit.per.count()) * 1e6;
  double interval_ns = per_ns / limit.rate;
  if (limit.rate / (per_ns / 1e9) > kMaxRatePerSecond) {
    auto scope = ctx.enter("rate");
    ctx.error(*rate, "more than 1000000 tokens per second; courier's buckets count microseconds");
    return false;
  }
  int64_t burst = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(limit.rate)));
  if (!ctx.readInteger(t, "burst", burst, 1, UINT32_MAX)) return false;
  limit.burst = static_cast<uint32_t>(burst);
  if (interval_ns * static_cast<double>(burst) > kMaxCapacityNs) {
    auto scope = ctx.enter("burst");
    ctx.error(t.get("burst") ? *t.get("burst") : *rate,
              "burst x per / rate is longer than a century; use a smaller burst or per");
    return false;
  }
  limit.shape.interval_ns = std::max<int64_t>(1, std::llround(interval_ns));
  limit.shape.burst = limit.burst;
  limit.shape.capacity_ns = limit.shape.interval_ns * burst;
  limit.interval_us = std::max<int64_t>(1, std::llround(interval_ns / 1000));
  limit.capacity_us = limit.interval_us * burst;
  return true;
}

bool readOptions(config::ParseContext& ctx, const toml::table& t, Limit& limit) {
  bool ok = true;
  if (const toml::node* node = t.get("scope")) {
    auto scope = ctx.enter("scope");
    auto v = ctx.oneOf(*node, {"local", "redis"});
    if (!v) return false;
    limit.scope = *v == "redis" ? Scope::Redis : Scope::Local;
    if (limit.scope == Scope::Redis && !ctx.redisConfigured()) {
      ctx.error(*node, "scope = \"redis\" needs a [redis] section with the server's url");
      ok = false;
    }
  }
  if (const toml::node* node = t.get("skip_if_missing")) {
    ok = ctx.readBool(t, "skip_if_missing", limit.skip_if_missing) && ok;
    if (limit.key_kind != KeyKind::Header) {
      auto scope = ctx.enter("skip_if_missing");
      ctx.error(*node, "only applies to key = \"header:<name>\" (other keys are never missing)");
      ok = false;
    }
  }
  if (const toml::node* node = t.get("max_keys")) {
    ok = ctx.readInteger(t, "max_keys", limit.max_keys, 1, 1'000'000'000) && ok;
    if (limit.key_kind == KeyKind::Route) {
      auto scope = ctx.enter("max_keys");
      ctx.error(*node, "key = \"route\" has a single bucket; max_keys does not apply");
      ok = false;
    }
  }
  return ok;
}

std::string numberText(double v) {
  std::string s = std::to_string(v);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

// Everything that makes two limits the same bucket: a reload that keeps it
// keeps the buckets, and replicas with the same config share Redis keys.
std::string identity(const std::string& route, const Limit& limit) {
  return route + ":" + limit.key_text + ":" + numberText(limit.rate) + "/" +
         std::to_string(limit.per.count()) + "ms";
}

std::optional<Limit> readLimit(config::ParseContext& ctx, const toml::node& node) {
  const toml::table* t = ctx.asTable(node);
  if (!t) return std::nullopt;
  if (!ctx.rejectUnknownKeys(
          *t, {"key", "rate", "per", "burst", "scope", "skip_if_missing", "max_keys"}))
    return std::nullopt;
  Limit limit;
  bool ok = readKey(ctx, *t, limit);
  ok = readShape(ctx, *t, limit) && ok;
  ok = ok && readOptions(ctx, *t, limit);
  if (!ok) return std::nullopt;
  std::string id = identity(ctx.routeName(), limit);
  limit.redis_prefix = "courier:rl:" + id + ":";
  // The burst, scope and cap are part of the local identity too: a change to
  // any of them starts fresh buckets.
  std::string local_id = id + ":" + std::to_string(limit.burst) + ":" +
                         (limit.scope == Scope::Redis ? "redis" : "local") + ":" +
                         std::to_string(limit.max_keys);
  limit.buckets =
      sharedBuckets(local_id, limit.shape, limit.key_kind != KeyKind::Route, limit.max_keys);
  return limit;
}

}  // namespace

std::unique_ptr<http::StreamFilter> RateLimitConfig::createFilter() const {
  return std::make_unique<RateLimitFilter>(*this);
}

std::string RateLimitConfig::renderJson() const {
  config::JsonWriter w;
  w.beginObject();
  w.key("limits").beginArray();
  for (const Limit& l : limits_) {
    w.beginObject();
    w.key("key").string(l.key_text);
    w.key("rate").number(l.rate);
    w.key("per").string(config::formatDuration(l.per));
    w.key("burst").integer(l.burst);
    w.key("scope").string(l.scope == Scope::Redis ? "redis" : "local");
    if (l.key_kind == KeyKind::Header) w.key("skip_if_missing").boolean(l.skip_if_missing);
    if (l.key_kind != KeyKind::Route) w.key("max_keys").integer(l.max_keys);
    w.endObject();
  }
  w.endArray();
  w.endObject();
  return w.take();
}

std::shared_ptr<const config::FilterConfig> parseRateLimitConfig(const toml::node& node,
                                                                 config::ParseContext& ctx) {
  std::vector<Limit> limits;
  bool ok = true;
  if (node.is_table()) {
    auto limit = readLimit(ctx, node);
    ok = limit.has_value();
    if (limit) limits.push_back(std::move(*limit));
  } else {
    const toml::array* arr = ctx.asArray(node);
    if (!arr) return nullptr;
    if (arr->empty()) {
      ctx.error(node, "add at least one limit, or remove rate_limit");
      return nullptr;
    }
    if (arr->size() > kMaxLimitsPerRoute) {
      ctx.error(node, "at most " + std::to_string(kMaxLimitsPerRoute) + " limits per route");
      return nullptr;
    }
    for (size_t i = 0; i < arr->size(); ++i) {
      auto scope = ctx.enter(i);
      auto limit = readLimit(ctx, (*arr)[i]);
      if (limit)
        limits.push_back(std::move(*limit));
      else
        ok = false;
    }
  }
  if (!ok) return nullptr;
  return std::make_shared<RateLimitConfig>(std::move(limits));
}

}  // namespace courier::filters::rate_limit
