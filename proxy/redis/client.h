// redis::Client: one asynchronous Redis connection on one worker's event
// loop (hiredis with its libevent adapter). Filters use it for shared state
// (scope = "redis" rate limits; later the cache's L2) and must never wait
// on it longer than the configured `timeout`.
//
// Behaviour:
// - Connects at construction, sends AUTH/SELECT from the config first, and
//   reconnects with exponential backoff (100 ms doubling to 5 s, with
//   jitter) whenever the connection fails or drops.
// - While disconnected, send() fails at once (Error::Disconnected): callers
//   fall back without adding latency. Once TCP is up, commands queue behind
//   AUTH/SELECT (connected() turns true when those are answered); if AUTH or
//   SELECT fails they get Error::Disconnected.
// - Each command gets an answer or an error within `timeout`
//   (Error::Timeout). Replies are FIFO on one connection, so one timer
//   watches the oldest command. A late reply to a timed-out command is
//   dropped. If the oldest command stays unanswered for much longer than
//   the timeout (a black-holed connection), the connection is dropped and
//   re-made.
// - At most kMaxInFlight commands wait at once; more fail at once
//   (Error::Overloaded) so a stalled Redis cannot grow memory.
// - Connection failures count in courier_redis_errors_total{op="connect"};
//   command errors are counted by the caller under its own op.
// - Pub/sub commands (SUBSCRIBE, MONITOR, ...) are refused (Error::Reply):
//   their replies do not pair with commands.
//
// Threading: everything on the loop thread that owns `base`. Callbacks run
// on that thread, never from inside send() itself. A handler may send or
// cancel, but must not destroy the Client. `base` must outlive the client,
// and the process must ignore SIGPIPE (hiredis writes with write(2)).
// A host name (rather than an address) is resolved with a blocking
// getaddrinfo inside hiredis at each connect attempt.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/stats/feature_stats.h"

struct event_base;
struct redisReply;

namespace courier::stats {
class WorkerStats;
}

namespace courier::redis {

enum class Error {
  Disconnected,  // no connection (yet, or any more)
  Timeout,       // no reply within the configured timeout
  Overloaded,    // too many commands already waiting
  Reply,         // Redis answered with an error reply (message in Reply::error)
};
std::string_view errorName(Error e);

// A reply, valid only during the callback that receives it.
class Reply {
 public:
  explicit Reply(const redisReply* r) : r_(r) {}
  bool isError() const;
  bool isNil() const;
  bool isInteger() const;
  bool isString() const;  // bulk or status string
  bool isArray() const;
  int64_t integer() const;          // 0 unless isInteger()
  std::string_view string() const;  // bulk/status/error text, else empty
  size_t size() const;              // array length, else 0
  Reply element(size_t i) const;    // i < size()
  const redisReply* raw() const { return r_; }

 private:
  const redisReply* r_;
};

// Receives the outcome of one command: exactly one of the two calls, once,
// on the loop thread, unless the request was cancelled first.
class ReplyHandler {
 public:
  virtual ~ReplyHandler() = default;
  virtual void onRedisReply(const Reply& reply) = 0;
  // For Error::Reply, `message` is Redis's error text; otherwise empty.
  virtual void onRedisError(Error error, std::string_view message) = 0;
};

// A command in flight. Owned by the Client; the caller may only cancel it,
// and only before its handler was called.
class Request {
 public:
  virtual ~Request() = default;
  // The handler will not be called. Safe to call once, before completion.
  virtual void cancel() = 0;
};

class Client {
 public:
  static constexpr size_t kMaxInFlight = 4096;

  // `stats` may be null (tests); it must outlive the client.
  Client(event_base* base, const config::RedisConfig& config, stats::WorkerStats* stats);
  ~Client();  // pending handlers are not called
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends one command given as binary-safe arguments (argv[0] is the command
  // name). Always returns the request, so the caller can cancel it; an
  // immediate failure (Disconnected, Overloaded) reaches `handler` through a
  // call posted to the loop, never from inside send() itself.
  Request* send(std::span<const std::string_view> argv, ReplyHandler& handler);

  // Runs a Lua script by SHA (EVALSHA) and, if Redis answers NOSCRIPT (a
  // restarted or flushed server), loads it with EVAL in the same call, so
  // the caller sees one reply. `keys` and `args` as in EVAL (copied);
  // `script` is not copied and must outlive the request (scripts are static
  // text). The EVAL gets a fresh `timeout`: at worst the caller waits twice
  // as long.
  Request* evalScript(std::string_view script, std::string_view sha1_hex,
                      std::span<const std::string_view> keys,
                      std::span<const std::string_view> args, ReplyHandler& handler);

  bool connected() const;
  // Where connection errors are counted from now on (a config reload that
  // keeps the same [redis] hands the connection to the new stats store).
  void setStats(stats::WorkerStats* stats);
  // A handler for fire-and-forget commands, owned by the client: it ignores
  // replies and counts errors (not Disconnected: that is op="connect") as
  // `op` in the client's current stats, so it never points at the stats of
  // a config that is gone.
  ReplyHandler& errorCounter(stats::RedisOp op);
  // Connections made so far (1 after the first success): for tests/metrics.
  uint64_t connectCount() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// SHA1 of a script as 40 lower-case hex digits (what EVALSHA takes).
std::string scriptSha1(std::string_view script);

}  // namespace courier::redis
