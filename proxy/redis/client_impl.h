// Client::Impl, the state behind redis::Client. client.cc holds the
// connection's life (connect, AUTH/SELECT, drops, backoff); commands.cc the
// commands (send, evalScript, replies, timeouts, posted failures).
//
// hiredis rules this code relies on (0.14):
// - A context is freed either by us (redisAsyncFree) or by hiredis itself
//   after a connect failure, a read/write error or EOF. Freeing runs every
//   pending reply callback with a NULL reply, then the disconnect callback
//   (only if the TCP connection had been made).
// - redisAsyncFree inside a reply callback is deferred by hiredis until the
//   callback returns; inside the connect or disconnect callback it is not
//   safe, so we never call it there.
// - ac->data points at the Impl while the context is ours; it is cleared
//   before we drop a context, so every later callback for that context
//   (including those run while it is freed) knows not to touch the Impl.
#pragma once

#include <array>
#include <chrono>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/common/random.h"
#include "proxy/event/timer.h"
#include "proxy/redis/client.h"
#include "proxy/redis/request_list.h"

struct redisAsyncContext;

namespace courier::redis {

// --- Shared with Subscriber, which keeps its own connection the same way. ---

// Reconnect delays: 100 ms doubling to 5 s, with equal jitter (half fixed,
// half random) so workers that lost Redis together do not reconnect together.
class ReconnectBackoff {
 public:
  std::chrono::milliseconds next();  // the delay before the next attempt
  void reset();                      // after a successful connection

 private:
  std::chrono::milliseconds delay_ = kFirst;
  FastRandom random_;
  static constexpr std::chrono::milliseconds kFirst{100};
  static constexpr std::chrono::milliseconds kMax{5'000};
};

using ConnectCallback = void(const redisAsyncContext*, int status);
using ReplyCallback = void(redisAsyncContext*, void* reply, void* privdata);

// Starts connecting to config's host:port on `base`, with `data` and both
// callbacks set. nullptr, with `error` set, if it failed at once.
redisAsyncContext* openContext(event_base* base, const config::RedisConfig& config, void* data,
                               ConnectCallback* on_connect, ConnectCallback* on_disconnect,
                               std::string& error);
// Queues AUTH and SELECT as `config` asks (privdata: the command's name, a
// static string); returns how many were queued.
int queueHandshake(redisAsyncContext* ac, const config::RedisConfig& config,
                   ReplyCallback* callback);
// nullptr if an AUTH/SELECT reply is a success; else the failure (logged).
const char* handshakeFailure(const config::RedisConfig& config, const char* command,
                             const void* reply);

class Client::Impl {
 public:
  Impl(event_base* base, const config::RedisConfig& config, stats::WorkerStats* stats);
  ~Impl();

  Request* send(std::span<const std::string_view> argv, ReplyHandler& handler);
  Request* evalScript(std::string_view script, std::string_view sha1_hex,
                      std::span<const std::string_view> keys,
                      std::span<const std::string_view> args, ReplyHandler& handler);
  bool connected() const { return state_ == State::Ready; }
  void setStats(stats::WorkerStats* stats) { stats_ = stats; }
  ReplyHandler& errorCounter(stats::RedisOp op) { return error_counters_[static_cast<size_t>(op)]; }
  uint64_t connectCount() const { return connect_count_; }

 private:
  enum class State {
    Connecting,  // TCP connect in progress; commands fail at once
    Handshake,   // AUTH/SELECT sent; commands queue behind them
    Ready,
    Backoff,  // waiting to reconnect; commands fail at once
  };
  using Ms = std::chrono::milliseconds;

  // client.cc
  void connect();
  void onConnectTimeout();
  void onTcpConnected();
  void onHandshakeReply(const char* command, const void* reply);
  void becomeReady();
  // The connection failed or is gone: fail what waits, back off, reconnect.
  // free_context is false when hiredis is already freeing the context.
  void connectionDown(const char* why, bool free_context);
  void scheduleReconnect();
  static void connectCallback(const redisAsyncContext* ac, int status);
  static void disconnectCallback(const redisAsyncContext* ac, int status);
  static void handshakeCallback(redisAsyncContext* ac, void* reply, void* privdata);

  // commands.cc
  // nullptr if the command may be sent; else the posted failure's request.
  Request* admit(ReplyHandler& handler);
  Request* start(std::span<const std::string_view> argv, ReplyHandler& handler,
                 std::unique_ptr<std::vector<std::string>> eval_argv,
                 std::string_view eval_script = {});
  bool issue(PendingRequest* request, std::span<const std::string_view> argv);
  Request* post(ReplyHandler& handler, Error error, std::string_view message = {});
  void drainPosted();
  void onReply(PendingRequest* request, const void* reply);
  void watch(Clock::time_point deadline);
  void onDeadline();
  void failOutstanding();
  static void replyCallback(redisAsyncContext* ac, void* reply, void* privdata);

  event_base* base_;
  const config::RedisConfig config_;
  stats::WorkerStats* stats_;
  // Client::errorCounter: one per op, counting into whatever stats_ is now.
  class ErrorCounter : public ReplyHandler {
   public:
    void init(Impl* impl, stats::RedisOp op) {
      impl_ = impl;
      op_ = op;
    }
    void onRedisReply(const Reply& reply) override {
      if (reply.isError()) count();
    }
    // Without a connection the cause is already counted, as op="connect".
    void onRedisError(Error e, std::string_view) override {
      if (e != Error::Disconnected) count();
    }

   private:
    void count();
    Impl* impl_ = nullptr;
    stats::RedisOp op_ = stats::RedisOp::Connect;
  };
  std::array<ErrorCounter, stats::kRedisOpCount> error_counters_;
  const Ms timeout_;
  const Ms blackhole_;  // oldest reply this late: the connection is dead

  redisAsyncContext* ctx_ = nullptr;
  State state_ = State::Backoff;
  int handshake_pending_ = 0;
  uint64_t connect_count_ = 0;
  uint64_t failures_in_row_ = 0;
  ReconnectBackoff backoff_;
  event::Timer connect_timer_;    // connect + AUTH/SELECT deadline
  event::Timer reconnect_timer_;  // end of backoff

  RequestList waiting_;  // sent, not yet answered or timed out; FIFO by deadline
  RequestList expired_;  // timed out, reply still owed by Redis
  event::Timer deadline_timer_;
  Clock::time_point deadline_armed_for_;

  // Failures told on the next loop turn. The request is ours (never given
  // to hiredis) and is returned to the caller, so it can still be cancelled.
  struct Posted {
    std::unique_ptr<PendingRequest> request;
    Error error;
    std::string_view message;  // static text only
  };
  std::vector<Posted> posted_, draining_;
  event::Timer post_timer_;
};

}  // namespace courier::redis
