// Shared pieces of the redis::Client tests: a real libevent loop that runs
// until a condition or a deadline, a handler that records what it hears, and
// a config pointing at a RedisServer.
#pragma once

#include <event2/event.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "proxy/redis/client.h"
#include "tests/support/redis_server.h"

namespace courier::redis::testing {

using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

class Loop {
 public:
  Loop() : base_(event_base_new()) {
    // A short persistent tick, so one loop turn never blocks for long and
    // runUntil() can check its condition and deadline.
    tick_ = event_new(
        base_, -1, EV_PERSIST, [](evutil_socket_t, short, void*) {}, nullptr);
    timeval tv{0, 1000};
    event_add(tick_, &tv);
  }
  ~Loop() {
    event_free(tick_);
    event_base_free(base_);
  }
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  event_base* base() const { return base_; }
  // Runs the loop until `done()` or `timeout`; returns done().
  bool runUntil(const std::function<bool()>& done, Ms timeout = 5000ms) {
    auto deadline = Clock::now() + timeout;
    while (!done()) {
      if (Clock::now() >= deadline) return done();
      event_base_loop(base_, EVLOOP_ONCE);
    }
    return true;
  }
  void runFor(Ms duration) {
    runUntil([] { return false; }, duration);
  }

 private:
  event_base* base_;
  event* tick_;
};

// A reply as text: strings as they are, integers in decimal, nil as "(nil)",
// arrays as "[a, b]".
inline std::string describe(const Reply& r) {
  if (r.isNil()) return "(nil)";
  if (r.isInteger()) return std::to_string(r.integer());
  if (r.isString() || r.isError()) return std::string(r.string());
  if (r.isArray()) {
    std::string out = "[";
    for (size_t i = 0; i < r.size(); ++i) out += (i ? ", " : "") + describe(r.element(i));
    return out + "]";
  }
  return "(?)";
}

// True while a test is inside Client::send/evalScript: handlers must never
// run then.
inline bool g_in_send = false;

struct Recorder : ReplyHandler {
  void onRedisReply(const Reply& r) override {
    record();
    reply = describe(r);
  }
  void onRedisError(Error e, std::string_view m) override {
    record();
    error = e;
    message = std::string(m);
  }
  void record() {
    ++calls;
    at = Clock::now();
    called_inside_send |= g_in_send;
  }
  bool done() const { return calls > 0; }

  int calls = 0;
  std::optional<std::string> reply;
  std::optional<Error> error;
  std::string message;
  Clock::time_point at;
  bool called_inside_send = false;
};

inline Request* send(Client& client, std::initializer_list<std::string_view> argv,
                     ReplyHandler& handler) {
  g_in_send = true;
  Request* r = client.send(std::span<const std::string_view>(argv.begin(), argv.size()), handler);
  g_in_send = false;
  return r;
}

inline config::RedisConfig configFor(uint16_t port, Ms timeout = 1000ms) {
  config::RedisConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.url = "redis://127.0.0.1:" + std::to_string(port) + "/0";
  c.timeout = timeout;
  c.connect_timeout = 1000ms;
  return c;
}

// Writes to a connection Redis closed must not kill the test (the proxy
// ignores SIGPIPE the same way).
class RedisTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { signal(SIGPIPE, SIG_IGN); }
};

}  // namespace courier::redis::testing
