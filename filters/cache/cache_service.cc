#include "filters/cache/cache_service.h"

#include <simdjson.h>

#include <algorithm>

#include "filters/cache/runtime.h"
#include "proxy/common/json.h"
#include "proxy/common/log.h"
#include "proxy/stats/cache_gauges.h"
#include "proxy/stats/worker_stats.h"

namespace courier::filters::cache {
namespace {

// Purges may scan Redis (a prefix); give them longer than a request's
// lookup, which must stay within [redis] timeout.
constexpr config::Duration kAdminRedisTimeout{5'000};

// "http://host:8080/v1/x?a=1" -> "/v1/x?a=1"; a path stays as it is.
std::string pathOf(std::string_view url) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (url.size() >= scheme.size() &&
        std::equal(scheme.begin(), scheme.end(), url.begin(), [](char a, char b) {
          return a == std::tolower(static_cast<unsigned char>(b));
        })) {
      url.remove_prefix(scheme.size());
      size_t slash = url.find('/');
      return slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
    }
  }
  return std::string(url);
}

size_t purgeMemory(PurgeKind kind, std::string_view value) {
  auto runtime = currentCacheRuntime();
  if (!runtime) return 0;
  switch (kind) {
    case PurgeKind::Path:
      return runtime->memory.purgePath(value);
    case PurgeKind::Prefix:
      return runtime->memory.purgePrefix(value);
    case PurgeKind::Tag:
      return runtime->memory.purgeTag(value);
  }
  return 0;
}

std::string purgedJson(size_t memory, const int64_t* redis) {
  std::string out = "{\"purged\":{\"memory\":" + std::to_string(memory);
  if (redis) out += ",\"redis\":" + std::to_string(*redis);
  out += "}}\n";
  return out;
}

}  // namespace

std::optional<PurgeRequest> parsePurgeRequest(std::string_view body, std::string* error) {
  simdjson::dom::parser parser;
  simdjson::padded_string padded(body);
  simdjson::dom::element doc;
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    *error = "the body must be a JSON object such as {\"url\": \"/v1/models\"}";
    return std::nullopt;
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj) != simdjson::SUCCESS || obj.size() != 1) {
    *error = "expected an object with exactly one of \"url\", \"prefix\" or \"tag\"";
    return std::nullopt;
  }
  auto [key, value] = *obj.begin();
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS || text.empty()) {
    *error = "\"" + std::string(key) + "\" must be a non-empty string";
    return std::nullopt;
  }
  PurgeRequest out;
  if (key == "url") {
    out.kind = PurgeKind::Path;
    out.value = pathOf(text);
  } else if (key == "prefix") {
    out.kind = PurgeKind::Prefix;
    out.value = pathOf(text);
  } else if (key == "tag") {
    out.kind = PurgeKind::Tag;
    out.value = std::string(text);
  } else {
    *error = "unknown key \"" + std::string(key) + "\" (expected \"url\", \"prefix\" or \"tag\")";
    return std::nullopt;
  }
  return out;
}

// One purge waiting for Redis. Owned by the service; freed when Redis
// answers or the service shuts down (the client drops its handlers).
class CacheService::PendingPurge : public redis::ReplyHandler {
 public:
  PendingPurge(CacheService& service, PurgeRequest request, size_t memory, Done done)
      : service_(service), request_(std::move(request)), memory_(memory), done_(std::move(done)) {}

  void onRedisReply(const redis::Reply& reply) override {
    if (!reply.isInteger()) {
      onRedisError(redis::Error::Reply, reply.string());
      return;
    }
    int64_t redis = reply.integer();
    publish();
    std::string body = purgedJson(memory_, &redis);
    Done done = std::move(done_);
    service_.finished(this);  // deletes this
    done(200, body);
  }
  void onRedisError(redis::Error error, std::string_view message) override {
    if (service_.stats_) service_.stats_->recordRedisError(stats::RedisOp::Purge);
    // Other replicas can still drop their memory copies.
    publish();
    std::string body = "{\"error\":\"upstream_unavailable\",\"message\":";
    json::appendString(body, "redis: " + std::string(redis::errorName(error)) +
                                 (message.empty() ? "" : ": " + std::string(message)));
    body += ",\"purged\":{\"memory\":" + std::to_string(memory_) + "}}\n";
    Done done = std::move(done_);
    service_.finished(this);
    done(503, body);
  }

 private:
  void publish() {
    auto runtime = currentCacheRuntime();
    if (service_.redis_ && runtime)
      redisPublishInvalidation(*service_.redis_, runtime->instance_id, request_.kind,
                               request_.value);
  }

  CacheService& service_;
  PurgeRequest request_;
  size_t memory_;
  Done done_;
};

CacheService::CacheService() {
  stats::setCacheGaugeSource([] {
    stats::CacheGauges g;
    if (auto runtime = currentCacheRuntime()) {
      g.memory_bytes = runtime->memory.bytes();
      g.memory_entries = runtime->memory.entries();
      g.memory_capacity = runtime->memory.capacity();
      g.evictions = runtime->memory.evictions();
      g.expirations = runtime->memory.expirations();
    }
    return g;
  });
}

CacheService::~CacheService() {
  shutdown();
  stats::setCacheGaugeSource({});
}

void CacheService::configure(event_base* main_base, const config::Config& config,
                             stats::WorkerStats* stats) {
  stats_ = stats;
  auto runtime = currentCacheRuntime();
  if (runtime)
    runtime->memory.setCapacity(config.cache.memory_bytes, config.cache.max_object_bytes);
  if (redis_config_ == config.redis && (redis_ != nullptr) == (runtime && config.redis)) {
    if (redis_) redis_->setStats(stats);
    if (subscriber_) subscriber_->setStats(stats);
    return;
  }
  shutdown();
  redis_config_ = config.redis;
  // Without a cache there is nothing to purge or keep in step.
  if (!runtime || !config.redis) return;
  config::RedisConfig admin = *config.redis;
  admin.timeout = std::max(admin.timeout, kAdminRedisTimeout);
  redis_ = std::make_unique<redis::Client>(main_base, admin, stats);
  subscriber_ = std::make_unique<redis::Subscriber>(
      main_base, *config.redis, std::string(kInvalidationChannel),
      [this](std::string_view m) { onInvalidation(m); }, [this] { onResubscribed(); }, stats);
}

void CacheService::shutdown() {
  subscriber_.reset();
  redis_.reset();  // drops its handlers without calling them
  for (PendingPurge* p : pending_) delete p;
  pending_.clear();
  redis_config_.reset();
}

void CacheService::finished(PendingPurge* p) {
  pending_.erase(p);
  delete p;
}

void CacheService::purge(std::string_view body, Done done) {
  std::string error;
  auto request = parsePurgeRequest(body, &error);
  if (!request) {
    std::string out = "{\"error\":\"bad_request\",\"message\":";
    json::appendString(out, error);
    out += "}\n";
    done(400, out);
    return;
  }
  size_t memory = purgeMemory(request->kind, request->value);
  if (!redis_) {
    done(200, purgedJson(memory, nullptr));
    return;
  }
  auto* pending = new PendingPurge(*this, *request, memory, std::move(done));
  pending_.insert(pending);
  redisPurge(*redis_, request->kind, request->value, *pending);
}

void CacheService::onInvalidation(std::string_view message) {
  auto inv = parseInvalidation(message);
  auto runtime = currentCacheRuntime();
  if (!inv || !runtime || inv->instance_id == runtime->instance_id) return;
  size_t n = purgeMemory(inv->kind, inv->value);
  LOG_DEBUG("invalidation from %s: %zu memory entries dropped", inv->instance_id.c_str(), n);
}

void CacheService::onResubscribed() {
  auto runtime = currentCacheRuntime();
  if (!runtime) return;
  size_t n = runtime->memory.clear();
  LOG_WARN("cache invalidation channel was down; dropped %zu memory entries to stay correct", n);
}

}  // namespace courier::filters::cache
