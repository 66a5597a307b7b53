// redis::Subscriber: receives the messages published on one Redis channel
// (the cache's invalidations), on its own connection: a subscribed
// connection can send nothing else, so redis::Client refuses SUBSCRIBE.
//
// Behaviour:
// - Connects at construction, sends AUTH/SELECT from the config (as Client
//   does), then SUBSCRIBE, and calls on_message(payload) for each message
//   (the view is valid during the call only).
// - A lost connection is re-made with Client's backoff (100 ms doubling to
//   5 s, with jitter) and the channel subscribed again. Messages published
//   meanwhile are lost, so every subscription that follows a failure (a
//   lost connection, or failed attempts before the first subscription)
//   calls on_resubscribed(): the owner should drop what those messages
//   could have invalidated. The first subscription, made at once, does not.
// - An idle subscription is checked by subscribing again every
//   max(1 s, 10 x timeout); if that is not confirmed by the next check the
//   connection is taken for dead (black-holed) and re-made.
// - Connecting, AUTH/SELECT and SUBSCRIBE together must finish within
//   `connect_timeout`. Each failure counts
//   courier_redis_errors_total{op="subscribe"}.
//
// Threading: everything on the loop thread that owns `base`, which must
// outlive the subscriber. Callbacks run on that thread and must not destroy
// the Subscriber. The process must ignore SIGPIPE.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"

struct event_base;

namespace courier::stats {
class WorkerStats;
}

namespace courier::redis {

class Subscriber {
 public:
  // `stats` may be null (tests); it must outlive the subscriber, or be
  // replaced with setStats() first.
  Subscriber(event_base* base, const config::RedisConfig& config, std::string channel,
             std::function<void(std::string_view)> on_message,
             std::function<void()> on_resubscribed, stats::WorkerStats* stats);
  ~Subscriber();  // disconnects; no callback runs after
  Subscriber(const Subscriber&) = delete;
  Subscriber& operator=(const Subscriber&) = delete;

  // True once Redis confirmed the subscription, until the connection fails.
  bool subscribed() const;
  // Where failures are counted from now on (a config reload's new stats).
  void setStats(stats::WorkerStats* stats);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace courier::redis
