#include "filters/rate_limit/filter.h"

#include <charconv>
#include <chrono>
#include <string>

#include "filters/rate_limit/redis_script.h"
#include "proxy/stats/worker_stats.h"

namespace courier::filters::rate_limit {
namespace {

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Whole seconds, rounded up: "Retry-After: 0" would invite a retry that fails.
int64_t ceilSeconds(int64_t ns) {
  return ns <= 0 ? 0 : (ns + 999'999'999) / 1'000'000'000;
}

// The key value of `limit` for this request; nullopt if the keyed header is
// absent and the limit skips such requests.
std::optional<std::string_view> keyValue(const Limit& limit, const http::RequestHeaders& headers,
                                         const http::StreamInfo& info) {
  switch (limit.key_kind) {
    case KeyKind::ClientIp:
      return info.clientAddress();
    case KeyKind::Route:
      return std::string_view();
    case KeyKind::Header:
      if (const std::string_view* v = headers.headers.get(limit.header)) return *v;
      if (limit.skip_if_missing) return std::nullopt;
      return std::string_view();  // every request without it shares one bucket
  }
  return std::string_view();
}

// A number as header-value text, without a heap allocation.
struct NumberText {
  char buf[24] = {};
  size_t len = 0;
  NumberText() = default;
  explicit NumberText(int64_t v) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 24 bytes hold any 64-bit integer
    len = static_cast<size_t>(end - buf);
  }
  std::string_view view() const { return {buf, len}; }
};

void appendHex(std::string& out, uint64_t v) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int shift = 60; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 15];
}

}  // namespace

http::FilterHeadersStatus RateLimitFilter::decodeHeaders(http::RequestHeaders& headers, bool) {
  const http::StreamInfo& info = callbacks_->streamInfo();
  // courier's own requests (cache refreshes) spend no client's budget.
  if (info.internal) return http::FilterHeadersStatus::Continue;
  const auto& limits = config_.limits();
  bool any_redis = false;
  for (size_t i = 0; i < limits.size(); ++i) {
    std::optional<std::string_view> key = keyValue(limits[i], headers, info);
    Applied& a = applied_[i];
    a.applies = key.has_value();
    if (!a.applies) continue;
    a.key_hash = limits[i].key_kind == KeyKind::Route ? 0 : LocalBuckets::hashKey(*key);
    any_redis = any_redis || limits[i].scope == Scope::Redis;
  }
  if (!takeLocalTokens(Scope::Local)) {
    reject();
    return http::FilterHeadersStatus::StopIteration;
  }
  if (any_redis) {
    if (sendRedis()) return http::FilterHeadersStatus::StopIteration;
    fallBackToLocal(stats::RateLimitFallback::Disconnected);
    if (limited_) {
      reject();
      return http::FilterHeadersStatus::StopIteration;
    }
  }
  recordDecision(stats::RateLimitDecision::Allowed);
  return http::FilterHeadersStatus::Continue;
}

bool RateLimitFilter::takeLocalTokens(Scope scope) {
  int64_t now = nowNs();
  const auto& limits = config_.limits();
  for (size_t i = 0; i < limits.size(); ++i) {
    Applied& a = applied_[i];
    if (!a.applies || limits[i].scope != scope) continue;
    a.decision = limits[i].buckets->take(a.key_hash, now);
    a.took_local = a.decision.allowed;
    if (!a.decision.allowed) {
      limited_ = true;
      return false;
    }
  }
  return true;
}

bool RateLimitFilter::sendRedis() {
  redis::Client* client = callbacks_->workerServices().redis;
  if (client == nullptr || !client->connected()) return false;
  const auto& limits = config_.limits();
  // Keys and arguments live in this frame: the client copies them out.
  std::array<std::string, kMaxLimitsPerRoute> keys;
  std::array<NumberText, 2 * kMaxLimitsPerRoute> numbers;
  std::array<std::string_view, kMaxLimitsPerRoute> key_views;
  std::array<std::string_view, 2 * kMaxLimitsPerRoute> arg_views;
  size_t n = 0;
  for (size_t i = 0; i < limits.size(); ++i) {
    const Limit& limit = limits[i];
    if (!applied_[i].applies || limit.scope != Scope::Redis) continue;
    std::string& key = keys[n];
    key.reserve(limit.redis_prefix.size() + 16);
    key = limit.redis_prefix;
    if (limit.key_kind != KeyKind::Route) appendHex(key, applied_[i].key_hash);
    key_views[n] = key;
    numbers[2 * n] = NumberText(limit.interval_us);
    numbers[2 * n + 1] = NumberText(limit.capacity_us);
    arg_views[2 * n] = numbers[2 * n].view();
    arg_views[2 * n + 1] = numbers[2 * n + 1].view();
    ++n;
  }
  redis_request_ =
      client->evalScript(gcraScript(), gcraScriptSha1(), std::span(key_views.data(), n),
                         std::span(arg_views.data(), 2 * n), *this);
  return true;
}

void RateLimitFilter::onRedisReply(const redis::Reply& reply) {
  redis_request_ = nullptr;
  const auto& limits = config_.limits();
  std::array<RedisLimitResult, kMaxLimitsPerRoute> results;
  size_t n = 0;
  for (size_t i = 0; i < limits.size(); ++i)
    if (applied_[i].applies && limits[i].scope == Scope::Redis) ++n;
  std::optional<bool> allowed = parseGcraReply(reply, n, results.data());
  if (!allowed) {
    callbacks_->workerServices().stats->recordRedisError(stats::RedisOp::RateLimit);
    fallBackToLocal(stats::RateLimitFallback::Error);
  } else {
    size_t j = 0;
    for (size_t i = 0; i < limits.size(); ++i) {
      Applied& a = applied_[i];
      if (!a.applies || limits[i].scope != Scope::Redis) continue;
      const RedisLimitResult& r = results[j++];
      a.decision.allowed = r.retry_after_ns == 0 && *allowed;
      a.decision.remaining = r.remaining;
      a.decision.reset_ns = r.reset_ns;
      a.decision.retry_after_ns = r.retry_after_ns;
      if (r.retry_after_ns > 0) limited_ = true;
    }
  }
  resume();
}

void RateLimitFilter::onRedisError(redis::Error error, std::string_view) {
  redis_request_ = nullptr;
  stats::RateLimitFallback why = stats::RateLimitFallback::Error;
  if (error == redis::Error::Timeout) why = stats::RateLimitFallback::Timeout;
  if (error == redis::Error::Disconnected) why = stats::RateLimitFallback::Disconnected;
  // Disconnects are counted by the client under op="connect".
  if (error != redis::Error::Disconnected)
    callbacks_->workerServices().stats->recordRedisError(stats::RedisOp::RateLimit);
  fallBackToLocal(why);
  resume();
}

void RateLimitFilter::resume() {
  if (limited_) {
    reject();
    return;
  }
  recordDecision(stats::RateLimitDecision::Allowed);
  callbacks_->continueDecoding();
}

void RateLimitFilter::fallBackToLocal(stats::RateLimitFallback why) {
  const http::WorkerServices& services = callbacks_->workerServices();
  services.stats->recordRateLimitFallback(services.route_stats_index, why);
  takeLocalTokens(Scope::Redis);
}

void RateLimitFilter::reject() {
  int64_t now = nowNs();
  const auto& limits = config_.limits();
  // The refusing limit that frees up last is the one the client waits for.
  for (size_t i = 0; i < limits.size(); ++i) {
    Applied& a = applied_[i];
    if (!a.applies) continue;
    if (a.took_local) {  // a refused request costs no tokens from the others
      limits[i].buckets->refund(a.key_hash, now);
      a.took_local = false;
    }
    if (!a.decision.allowed &&
        a.decision.retry_after_ns > applied_[refused_index_].decision.retry_after_ns)
      refused_index_ = i;
  }
  recordDecision(stats::RateLimitDecision::Limited);
  int64_t retry = retryAfterSeconds();
  std::string message = "rate limit exceeded for " + limits[refused_index_].key_text +
                        "; retry in " + std::to_string(retry) + "s";
  // The fields come back through onLocalReply().
  callbacks_->sendLocalReply(429, "rate_limited", message, "rate_limited");
}

int64_t RateLimitFilter::retryAfterSeconds() const {
  return std::max<int64_t>(1, ceilSeconds(applied_[refused_index_].decision.retry_after_ns));
}

std::optional<size_t> RateLimitFilter::tightest() const {
  std::optional<size_t> best;
  for (size_t i = 0; i < config_.limits().size(); ++i) {
    const Decision& d = applied_[i].decision;
    if (!applied_[i].applies) continue;
    const Decision* b = best ? &applied_[*best].decision : nullptr;
    if (!b || d.remaining < b->remaining ||
        (d.remaining == b->remaining && d.reset_ns > b->reset_ns))
      best = i;
  }
  return best;
}

void RateLimitFilter::addRateLimitFields(http::HeaderMap& headers) {
  std::optional<size_t> index = limited_ ? std::optional<size_t>(refused_index_) : tightest();
  if (!index) return;
  const Decision& d = applied_[*index].decision;
  // Views into this filter (see field_values_): no copy, no arena block.
  char* p = field_values_;
  char* const end = p + sizeof field_values_;
  auto add = [&](std::string_view name, int64_t value) {
    auto [next, ec] = std::to_chars(p, end, value);
    (void)ec;  // room for four numbers below 2^64
    headers.addView(name, std::string_view(p, static_cast<size_t>(next - p)));
    p = next;
  };
  if (limited_) add("retry-after", retryAfterSeconds());
  add("ratelimit-limit", config_.limits()[*index].burst);
  add("ratelimit-remaining", limited_ ? 0 : d.remaining);
  add("ratelimit-reset", ceilSeconds(d.reset_ns));
}

http::FilterHeadersStatus RateLimitFilter::encodeHeaders(http::ResponseHeaders& headers, bool) {
  addRateLimitFields(headers.headers);
  return http::FilterHeadersStatus::Continue;
}

void RateLimitFilter::onLocalReply(http::ResponseHeaders& headers) {
  // Our own 429, or another reply on this route; a request still waiting
  // for Redis has no decision to report.
  if (redis_request_ == nullptr) addRateLimitFields(headers.headers);
}

void RateLimitFilter::onDestroy() {
  if (redis_request_) {
    redis_request_->cancel();
    redis_request_ = nullptr;
  }
}

void RateLimitFilter::recordDecision(stats::RateLimitDecision d) {
  const http::WorkerServices& services = callbacks_->workerServices();
  services.stats->recordRateLimit(services.route_stats_index, d);
}

}  // namespace courier::filters::rate_limit
