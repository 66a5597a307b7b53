// redis::Client's connection life: connect, AUTH/SELECT, drops and the
// reconnect backoff (the pieces Subscriber shares first). Commands are in
// commands.cc.
#include "proxy/redis/client.h"

#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <string>
#include <utility>

#include "proxy/common/log.h"
#include "proxy/redis/client_impl.h"
#include "proxy/stats/worker_stats.h"

namespace courier::redis {

std::chrono::milliseconds ReconnectBackoff::next() {
  auto half = static_cast<uint64_t>(delay_.count()) / 2;
  std::chrono::milliseconds delay(half + random_.next() % (half + 1));
  delay_ = std::min(delay_ * 2, kMax);
  return delay;
}

void ReconnectBackoff::reset() {
  delay_ = kFirst;
}

// redisAsyncConnect resolves a host name with a blocking getaddrinfo; the
// config normally holds an address, for which that returns at once.
redisAsyncContext* openContext(event_base* base, const config::RedisConfig& config, void* data,
                               ConnectCallback* on_connect, ConnectCallback* on_disconnect,
                               std::string& error) {
  redisAsyncContext* ac = redisAsyncConnect(config.host.c_str(), config.port);
  if (ac == nullptr) {
    error = "out of memory";
    return nullptr;
  }
  if (ac->err) {  // e.g. refused at once on loopback
    error = ac->errstr;
    redisAsyncFree(ac);  // no callbacks or events are attached yet
    return nullptr;
  }
  ac->data = data;
  redisLibeventAttach(ac, base);
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  return ac;
}

// A command cannot fail to queue here (the context is not disconnecting);
// if one did, it stays pending for ever and the caller's connect timer
// drops the connection.
int queueHandshake(redisAsyncContext* ac, const config::RedisConfig& config,
                   ReplyCallback* callback) {
  int queued = 0;
  auto queue = [&](const char* name, std::span<const std::string_view> args) {
    const char* av[3] = {name};
    size_t lens[3] = {std::char_traits<char>::length(name)};
    for (size_t i = 0; i < args.size(); ++i) {
      av[i + 1] = args[i].data();
      lens[i + 1] = args[i].size();
    }
    redisAsyncCommandArgv(ac, callback, const_cast<char*>(name), static_cast<int>(args.size() + 1),
                          av, lens);
    ++queued;
  };
  if (!config.password.empty()) {
    std::string_view with_user[] = {config.username, config.password};
    // Without a user name, the pre-ACL form (the "default" user).
    queue("AUTH", config.username.empty() ? std::span<const std::string_view>(with_user).last(1)
                                          : std::span<const std::string_view>(with_user));
  }
  if (config.db != 0) {
    std::string db = std::to_string(config.db);
    std::string_view args[] = {db};
    queue("SELECT", args);
  }
  return queued;
}

const char* handshakeFailure(const config::RedisConfig& config, const char* command,
                             const void* reply) {
  auto* r = static_cast<const redisReply*>(reply);
  if (r->type != REDIS_REPLY_ERROR) return nullptr;
  LOG_ERROR("redis %s:%u: %s failed: %.*s", config.host.c_str(), config.port, command,
            static_cast<int>(r->len), r->str);
  return command[0] == 'A' ? "AUTH failed" : "SELECT failed";
}

void Client::Impl::ErrorCounter::count() {
  if (impl_->stats_) impl_->stats_->recordRedisError(op_);
}

Client::Client(event_base* base, const config::RedisConfig& config, stats::WorkerStats* stats)
    : impl_(std::make_unique<Impl>(base, config, stats)) {}
Client::~Client() = default;

Request* Client::send(std::span<const std::string_view> argv, ReplyHandler& handler) {
  return impl_->send(argv, handler);
}
Request* Client::evalScript(std::string_view script, std::string_view sha1_hex,
                            std::span<const std::string_view> keys,
                            std::span<const std::string_view> args, ReplyHandler& handler) {
  return impl_->evalScript(script, sha1_hex, keys, args, handler);
}
bool Client::connected() const {
  return impl_->connected();
}
void Client::setStats(stats::WorkerStats* stats) {
  impl_->setStats(stats);
}
ReplyHandler& Client::errorCounter(stats::RedisOp op) {
  return impl_->errorCounter(op);
}
uint64_t Client::connectCount() const {
  return impl_->connectCount();
}

Client::Impl::Impl(event_base* base, const config::RedisConfig& config, stats::WorkerStats* stats)
    : base_(base),
      config_(config),
      stats_(stats),
      timeout_(std::max(config.timeout, Ms(1))),
      blackhole_(std::max(Ms(1'000), 10 * timeout_)),
      connect_timer_(base, [this] { onConnectTimeout(); }),
      reconnect_timer_(base, [this] { connect(); }),
      deadline_timer_(base, [this] { onDeadline(); }),
      post_timer_(base, [this] { drainPosted(); }) {
  for (size_t i = 0; i < error_counters_.size(); ++i)
    error_counters_[i].init(this, static_cast<stats::RedisOp>(i));
  connect();
}

Client::Impl::~Impl() {
  // Freeing runs the pending callbacks with NULL replies: with data cleared
  // they only delete their requests. No handler is called.
  if (ctx_) {
    ctx_->data = nullptr;
    redisAsyncFree(std::exchange(ctx_, nullptr));
  }
}

void Client::Impl::connect() {
  state_ = State::Connecting;
  std::string error;
  ctx_ = openContext(base_, config_, this, &connectCallback, &disconnectCallback, error);
  if (ctx_ == nullptr) {
    connectionDown(error.c_str(), false);
    return;
  }
  connect_timer_.arm(std::max(config_.connect_timeout, Ms(1)));
}

// The timer covers the TCP connect and AUTH/SELECT; it never fires inside
// a hiredis callback, so the context can be freed at once.
void Client::Impl::onConnectTimeout() {
  connectionDown(state_ == State::Handshake ? "AUTH/SELECT timed out" : "connect timed out", true);
}

void Client::Impl::connectCallback(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;
  // On failure hiredis frees the context once this returns.
  if (status != REDIS_OK) {
    self->connectionDown(ac->c.errstr[0] ? ac->c.errstr : "connect failed", false);
  } else {
    self->onTcpConnected();
  }
}

void Client::Impl::disconnectCallback(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;  // a context we dropped ourselves
  // hiredis is freeing the context (EOF or an I/O error).
  self->connectionDown(status == REDIS_OK || !ac->errstr ? "connection closed" : ac->errstr, false);
}

void Client::Impl::onTcpConnected() {
  state_ = State::Handshake;
  // Queued ahead of any user command; connect_timer_ stays armed until both
  // are answered.
  handshake_pending_ = queueHandshake(ctx_, config_, &Impl::handshakeCallback);
  if (handshake_pending_ == 0) becomeReady();
}

void Client::Impl::handshakeCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;
  if (reply == nullptr) {  // hiredis is freeing the context
    self->connectionDown(ac->err ? ac->errstr : "connection lost during AUTH/SELECT", false);
    return;
  }
  self->onHandshakeReply(static_cast<const char*>(privdata), reply);
}

void Client::Impl::onHandshakeReply(const char* command, const void* reply) {
  if (const char* failure = handshakeFailure(config_, command, reply)) {
    // Inside a reply callback: hiredis frees the context when it returns.
    connectionDown(failure, true);
    return;
  }
  if (--handshake_pending_ == 0) becomeReady();
}

void Client::Impl::becomeReady() {
  connect_timer_.cancel();
  state_ = State::Ready;
  ++connect_count_;
  backoff_.reset();
  if (failures_in_row_ > 0) {
    LOG_INFO("redis %s:%u: connected after %llu failed attempts", config_.host.c_str(),
             config_.port, static_cast<unsigned long long>(failures_in_row_));
  } else {
    LOG_DEBUG("redis %s:%u: connected", config_.host.c_str(), config_.port);
  }
  failures_in_row_ = 0;
}

void Client::Impl::connectionDown(const char* why, bool free_context) {
  redisAsyncContext* ac = std::exchange(ctx_, nullptr);
  if (ac) ac->data = nullptr;
  bool was_ready = state_ == State::Ready;
  state_ = State::Backoff;  // before any handler runs: their sends fail at once
  handshake_pending_ = 0;
  connect_timer_.cancel();
  deadline_timer_.cancel();
  if (stats_) stats_->recordRedisError(stats::RedisOp::Connect);
  if (was_ready || failures_in_row_ == 0) {
    LOG_WARN("redis %s:%u: %s: %s; reconnecting", config_.host.c_str(), config_.port,
             was_ready ? "connection lost" : "cannot connect", why);
  } else {
    LOG_DEBUG("redis %s:%u: cannot connect: %s", config_.host.c_str(), config_.port, why);
  }
  ++failures_in_row_;
  scheduleReconnect();
  failOutstanding();
  if (free_context && ac) redisAsyncFree(ac);
}

void Client::Impl::scheduleReconnect() {
  reconnect_timer_.arm(backoff_.next());
}

}  // namespace courier::redis
