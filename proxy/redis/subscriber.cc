// redis::Subscriber on hiredis. The connection's life follows Client's
// (client_impl.h lists the hiredis rules it relies on and the helpers it
// shares); after AUTH/SELECT it sends SUBSCRIBE instead of becoming ready.
//
// hiredis keeps a SUBSCRIBE's callback in its channel table, not in the
// reply queue: it hears the confirmation, every message and, when the
// context is freed, a NULL reply. Subscribing again to the same channel
// (the liveness check) only adds one more confirmation.
#include "proxy/redis/subscriber.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "proxy/common/log.h"
#include "proxy/event/timer.h"
#include "proxy/redis/client_impl.h"
#include "proxy/stats/worker_stats.h"

namespace courier::redis {

class Subscriber::Impl {
 public:
  Impl(event_base* base, const config::RedisConfig& config, std::string channel,
       std::function<void(std::string_view)> on_message, std::function<void()> on_resubscribed,
       stats::WorkerStats* stats);
  ~Impl();

  bool subscribed() const { return state_ == State::Subscribed; }
  void setStats(stats::WorkerStats* stats) { stats_ = stats; }

 private:
  enum class State {
    Connecting,   // TCP connect in progress
    Handshake,    // AUTH/SELECT sent
    Subscribing,  // SUBSCRIBE sent, not yet confirmed
    Subscribed,
    Backoff,  // waiting to reconnect
  };
  using Ms = std::chrono::milliseconds;

  void connect();
  void onTcpConnected();
  void subscribe();
  void onSubscribeReply(const redisReply* r);
  void onConfirmed();
  void onCheck();
  // The connection failed or is gone: back off and reconnect. free_context
  // is false when hiredis is already freeing the context.
  void connectionDown(const char* why, bool free_context);
  static void connectCallback(const redisAsyncContext* ac, int status);
  static void disconnectCallback(const redisAsyncContext* ac, int status);
  static void handshakeCallback(redisAsyncContext* ac, void* reply, void* privdata);
  static void subscribeCallback(redisAsyncContext* ac, void* reply, void* privdata);

  event_base* base_;
  const config::RedisConfig config_;
  const std::string channel_;
  const std::function<void(std::string_view)> on_message_;
  const std::function<void()> on_resubscribed_;
  stats::WorkerStats* stats_;
  const Ms check_every_;  // liveness check period, as Client's black-hole limit

  redisAsyncContext* ctx_ = nullptr;
  State state_ = State::Backoff;
  int handshake_pending_ = 0;
  bool missed_ = false;         // a failure since the last subscription
  bool check_pending_ = false;  // a check's confirmation is owed
  uint64_t failures_in_row_ = 0;
  ReconnectBackoff backoff_;
  event::Timer connect_timer_;    // connect + AUTH/SELECT + SUBSCRIBE deadline
  event::Timer reconnect_timer_;  // end of backoff
  event::Timer check_timer_;      // next liveness check
};

Subscriber::Subscriber(event_base* base, const config::RedisConfig& config, std::string channel,
                       std::function<void(std::string_view)> on_message,
                       std::function<void()> on_resubscribed, stats::WorkerStats* stats)
    : impl_(std::make_unique<Impl>(base, config, std::move(channel), std::move(on_message),
                                   std::move(on_resubscribed), stats)) {}
Subscriber::~Subscriber() = default;

bool Subscriber::subscribed() const {
  return impl_->subscribed();
}
void Subscriber::setStats(stats::WorkerStats* stats) {
  impl_->setStats(stats);
}

Subscriber::Impl::Impl(event_base* base, const config::RedisConfig& config, std::string channel,
                       std::function<void(std::string_view)> on_message,
                       std::function<void()> on_resubscribed, stats::WorkerStats* stats)
    : base_(base),
      config_(config),
      channel_(std::move(channel)),
      on_message_(std::move(on_message)),
      on_resubscribed_(std::move(on_resubscribed)),
      stats_(stats),
      check_every_(std::max(Ms(1'000), 10 * std::max(config.timeout, Ms(1)))),
      connect_timer_(
          base,
          [this] {
            connectionDown(
                state_ == State::Subscribing ? "SUBSCRIBE timed out" : "connect timed out", true);
          }),
      reconnect_timer_(base, [this] { connect(); }),
      check_timer_(base, [this] { onCheck(); }) {
  connect();
}

Subscriber::Impl::~Impl() {
  // Freeing runs the callbacks with NULL replies: with data cleared they
  // return at once, so no user callback runs.
  if (ctx_) {
    ctx_->data = nullptr;
    redisAsyncFree(std::exchange(ctx_, nullptr));
  }
}

void Subscriber::Impl::connect() {
  state_ = State::Connecting;
  std::string error;
  ctx_ = openContext(base_, config_, this, &connectCallback, &disconnectCallback, error);
  if (ctx_ == nullptr) {
    connectionDown(error.c_str(), false);
    return;
  }
  connect_timer_.arm(std::max(config_.connect_timeout, Ms(1)));
}

void Subscriber::Impl::connectCallback(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;
  // On failure hiredis frees the context once this returns.
  if (status != REDIS_OK) {
    self->connectionDown(ac->c.errstr[0] ? ac->c.errstr : "connect failed", false);
  } else {
    self->onTcpConnected();
  }
}

void Subscriber::Impl::disconnectCallback(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;  // a context we dropped ourselves
  self->connectionDown(status == REDIS_OK || !ac->errstr ? "connection closed" : ac->errstr, false);
}

// SUBSCRIBE waits for AUTH/SELECT to succeed: pipelined behind a failing
// AUTH its error reply would reach no callback.
void Subscriber::Impl::onTcpConnected() {
  state_ = State::Handshake;
  handshake_pending_ = queueHandshake(ctx_, config_, &Impl::handshakeCallback);
  if (handshake_pending_ == 0) subscribe();
}

void Subscriber::Impl::handshakeCallback(redisAsyncContext* ac, void* reply, void* privdata) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;
  if (reply == nullptr) {  // hiredis is freeing the context
    self->connectionDown(ac->err ? ac->errstr : "connection lost during AUTH/SELECT", false);
    return;
  }
  if (const char* failure =
          handshakeFailure(self->config_, static_cast<const char*>(privdata), reply)) {
    // Inside a reply callback: hiredis frees the context when it returns.
    self->connectionDown(failure, true);
    return;
  }
  if (--self->handshake_pending_ == 0) self->subscribe();
}

// Cannot fail on a live context; if it did, the connect timer or the next
// check would find the confirmation missing and drop the connection.
void Subscriber::Impl::subscribe() {
  if (state_ != State::Subscribed) state_ = State::Subscribing;
  const char* argv[] = {"SUBSCRIBE", channel_.data()};
  size_t lens[] = {9, channel_.size()};
  redisAsyncCommandArgv(ctx_, &Impl::subscribeCallback, nullptr, 2, argv, lens);
}

void Subscriber::Impl::subscribeCallback(redisAsyncContext* ac, void* reply, void*) {
  auto* self = static_cast<Impl*>(ac->data);
  if (self == nullptr) return;
  // NULL: hiredis is freeing the context (EOF, I/O error, or an error reply
  // to SUBSCRIBE such as an ACL refusal, which hiredis treats as fatal).
  if (reply == nullptr) {
    self->connectionDown(ac->err ? ac->errstr : "connection lost", false);
    return;
  }
  self->onSubscribeReply(static_cast<const redisReply*>(reply));
}

// Pushed replies are arrays: {"subscribe", channel, count} or
// {"message", channel, payload}.
void Subscriber::Impl::onSubscribeReply(const redisReply* r) {
  if (r->type != REDIS_REPLY_ARRAY || r->elements < 3) return;
  const redisReply* kind = r->element[0];
  if (kind->type != REDIS_REPLY_STRING) return;
  std::string_view name(kind->str, kind->len);
  if (name == "message") {
    const redisReply* payload = r->element[2];
    if (payload->type == REDIS_REPLY_STRING && on_message_)
      on_message_(std::string_view(payload->str, payload->len));
  } else if (name == "subscribe") {
    onConfirmed();
  }
}

void Subscriber::Impl::onConfirmed() {
  check_pending_ = false;
  if (state_ == State::Subscribed) return;  // a liveness check passed
  connect_timer_.cancel();
  state_ = State::Subscribed;
  backoff_.reset();
  check_timer_.arm(check_every_);
  if (failures_in_row_ > 0) {
    LOG_INFO("redis %s:%u: subscribed to %s after %llu failed attempts", config_.host.c_str(),
             config_.port, channel_.c_str(), static_cast<unsigned long long>(failures_in_row_));
  } else {
    LOG_DEBUG("redis %s:%u: subscribed to %s", config_.host.c_str(), config_.port,
              channel_.c_str());
  }
  failures_in_row_ = 0;
  // Last: the owner may do anything but destroy this.
  if (std::exchange(missed_, false) && on_resubscribed_) on_resubscribed_();
}

// A quiet subscription looks the same as a black-holed one: subscribe again
// and expect the confirmation before the next check.
void Subscriber::Impl::onCheck() {
  if (check_pending_) {
    connectionDown("subscription check not confirmed", true);
    return;
  }
  check_pending_ = true;
  subscribe();
  check_timer_.arm(check_every_);
}

void Subscriber::Impl::connectionDown(const char* why, bool free_context) {
  redisAsyncContext* ac = std::exchange(ctx_, nullptr);
  if (ac) ac->data = nullptr;
  bool was_subscribed = state_ == State::Subscribed;
  state_ = State::Backoff;
  handshake_pending_ = 0;
  check_pending_ = false;
  missed_ = true;
  connect_timer_.cancel();
  check_timer_.cancel();
  if (stats_) stats_->recordRedisError(stats::RedisOp::Subscribe);
  if (was_subscribed || failures_in_row_ == 0) {
    LOG_WARN("redis %s:%u: subscription to %s: %s: %s; reconnecting", config_.host.c_str(),
             config_.port, channel_.c_str(), was_subscribed ? "connection lost" : "cannot connect",
             why);
  } else {
    LOG_DEBUG("redis %s:%u: subscription to %s: cannot connect: %s", config_.host.c_str(),
              config_.port, channel_.c_str(), why);
  }
  ++failures_in_row_;
  reconnect_timer_.arm(backoff_.next());
  if (free_context && ac) redisAsyncFree(ac);
}

}  // namespace courier::redis
