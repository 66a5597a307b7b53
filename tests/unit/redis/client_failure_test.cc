// redis::Client when Redis is absent, dies, stalls or is flooded: commands
// fail fast, time out, and the client reconnects by itself.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "proxy/redis/client.h"
#include "proxy/stats/worker_stats.h"
#include "tests/unit/redis/redis_test_util.h"

namespace courier::redis {
namespace {

using namespace testing;

class ClientFailureTest : public RedisTest {
 protected:
  uint64_t connectErrors() const {
    return stats_.redisErrors(static_cast<size_t>(stats::RedisOp::Connect));
  }
  Loop loop_;
  stats::WorkerStats stats_{1, 0};
};

TEST_F(ClientFailureTest, DeadAtStartupFailsAtOnceThenConnectsWhenRedisComes) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  server.stop();
  Client client(loop_.base(), configFor(server.port()), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return connectErrors() >= 1; }, 2000ms));
  EXPECT_FALSE(client.connected());

  Recorder early, gone;
  EXPECT_NE(send(client, {"PING"}, early), nullptr);  // a handle, even for a failure
  EXPECT_EQ(early.calls, 0);                          // posted, not called from inside send()
  // A caller that goes away in the same turn cancels the posted failure.
  send(client, {"PING"}, gone)->cancel();
  ASSERT_TRUE(loop_.runUntil([&] { return early.done(); }, 100ms));
  EXPECT_EQ(early.error, Error::Disconnected);
  EXPECT_FALSE(early.called_inside_send);
  loop_.runFor(20ms);
  EXPECT_EQ(gone.calls, 0);

  ASSERT_TRUE(server.start()) << server.error();
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }, 5000ms));
  EXPECT_EQ(client.connectCount(), 1u);
  Recorder ping;
  send(client, {"PING"}, ping);
  ASSERT_TRUE(loop_.runUntil([&] { return ping.done(); }));
  EXPECT_EQ(ping.reply, "PONG");
}

TEST_F(ClientFailureTest, KilledRedisFailsInFlightThenReconnects) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port(), 3000ms), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));

  ASSERT_TRUE(server.pause(5000ms));
  std::vector<Recorder> in_flight(5);
  for (auto& r : in_flight) ASSERT_NE(send(client, {"INCR", "n"}, r), nullptr);
  loop_.runFor(50ms);  // written and waiting
  server.stop();
  ASSERT_TRUE(loop_.runUntil([&] {
    for (auto& r : in_flight)
      if (!r.done()) return false;
    return true;
  }));
  for (auto& r : in_flight) {
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.error, Error::Disconnected);
  }
  EXPECT_FALSE(client.connected());
  EXPECT_GE(connectErrors(), 1u);

  ASSERT_TRUE(server.start()) << server.error();
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }, 5000ms));
  EXPECT_EQ(client.connectCount(), 2u);
  Recorder incr;
  send(client, {"INCR", "n"}, incr);
  ASSERT_TRUE(loop_.runUntil([&] { return incr.done(); }));
  EXPECT_EQ(incr.reply, "1");  // a fresh server: the killed one never ran them
}

TEST_F(ClientFailureTest, SlowRedisTimesOutAndTheLateReplyIsDropped) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port(), 25ms), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));

  ASSERT_TRUE(server.pause(300ms));
  Recorder slow;
  auto sent = Clock::now();
  ASSERT_NE(send(client, {"SET", "k", "late"}, slow), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return slow.done(); }, 2000ms));
  EXPECT_EQ(slow.error, Error::Timeout);
  EXPECT_GE(slow.at - sent, 24ms);
  EXPECT_LT(slow.at - sent, 500ms);

  // The paused SET runs and its reply comes back to nobody; the next
  // command gets its own reply, not that one.
  loop_.runFor(400ms);
  Recorder get;
  send(client, {"GET", "k"}, get);
  ASSERT_TRUE(loop_.runUntil([&] { return get.done(); }));
  EXPECT_EQ(get.reply, "late");
  EXPECT_EQ(slow.calls, 1);
  EXPECT_EQ(client.connectCount(), 1u);  // a slow reply is not a dead connection
  EXPECT_EQ(connectErrors(), 0u);
}

TEST_F(ClientFailureTest, BlackHoledConnectionIsDroppedAndRemade) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  // Black-hole limit: max(1 s, 10 x timeout) = 1 s.
  Client client(loop_.base(), configFor(server.port(), 100ms), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));

  ASSERT_TRUE(server.pause(3000ms));
  auto start = Clock::now();
  Recorder first, second;
  send(client, {"PING"}, first);
  ASSERT_TRUE(loop_.runUntil([&] { return first.done(); }));
  EXPECT_EQ(first.error, Error::Timeout);
  loop_.runUntil([&] { return Clock::now() - start >= 950ms; });
  send(client, {"PING"}, second);  // still waiting when the connection goes
  ASSERT_TRUE(loop_.runUntil([&] { return second.done(); }, 2000ms));
  EXPECT_EQ(second.error, Error::Disconnected);
  EXPECT_EQ(first.calls, 1);
  EXPECT_GE(connectErrors(), 1u);
  // Redis accepts connections while paused, so a new one is made at once.
  ASSERT_TRUE(loop_.runUntil([&] { return client.connectCount() == 2; }, 3000ms));
}

TEST_F(ClientFailureTest, CancelledRequestsAreNeverAnswered) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port(), 50ms), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));

  ASSERT_TRUE(server.pause(150ms));
  Recorder before_reply, before_timeout, kept;
  Request* a = send(client, {"PING"}, before_reply);
  Request* b = send(client, {"PING"}, before_timeout);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  send(client, {"PING"}, kept);
  a->cancel();
  loop_.runFor(10ms);
  b->cancel();
  loop_.runFor(400ms);  // past the timeout and the late replies
  EXPECT_EQ(before_reply.calls, 0);
  EXPECT_EQ(before_timeout.calls, 0);
  EXPECT_EQ(kept.calls, 1);
  EXPECT_EQ(kept.error, Error::Timeout);

  Recorder now;  // a reply that does arrive, cancelled before it is read
  Request* c = send(client, {"PING"}, now);
  c->cancel();
  loop_.runFor(100ms);
  EXPECT_EQ(now.calls, 0);
}

TEST_F(ClientFailureTest, TooManyInFlightIsOverloaded) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port(), 3000ms), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));

  ASSERT_TRUE(server.pause(300ms));
  std::vector<Recorder> many(Client::kMaxInFlight);
  for (auto& r : many) ASSERT_NE(send(client, {"PING"}, r), nullptr);
  Recorder extra;
  EXPECT_NE(send(client, {"PING"}, extra), nullptr);
  EXPECT_EQ(extra.calls, 0);
  ASSERT_TRUE(loop_.runUntil([&] { return extra.done(); }, 100ms));
  EXPECT_EQ(extra.error, Error::Overloaded);

  ASSERT_TRUE(loop_.runUntil([&] { return many.back().done(); }, 3000ms));
  size_t pongs = 0;
  for (auto& r : many) pongs += r.reply == "PONG";
  EXPECT_EQ(pongs, many.size());
  Recorder after;  // room again
  ASSERT_NE(send(client, {"PING"}, after), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return after.done(); }));
  EXPECT_EQ(after.reply, "PONG");
}

TEST_F(ClientFailureTest, DestroyingTheClientCallsNoHandler) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Recorder in_flight, timed_out, posted, cancelled;
  {
    Client client(loop_.base(), configFor(server.port(), 20ms), &stats_);
    ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
    ASSERT_TRUE(server.pause(200ms));
    send(client, {"PING"}, timed_out);
    ASSERT_TRUE(loop_.runUntil([&] { return timed_out.done(); }));
    send(client, {"PING"}, in_flight);
    send(client, {"PING"}, cancelled)->cancel();
    EXPECT_NE(client.send({}, posted), nullptr);  // an empty command: refused, posted
  }
  loop_.runFor(300ms);  // the paused replies arrive at a closed socket
  EXPECT_EQ(timed_out.calls, 1);
  EXPECT_EQ(in_flight.calls, 0);
  EXPECT_EQ(posted.calls, 0);
  EXPECT_EQ(cancelled.calls, 0);
}

TEST_F(ClientFailureTest, DestroyingWhileConnectingOrBackingOff) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  uint16_t port = server.port();
  server.stop();
  { Client connecting(loop_.base(), configFor(port), &stats_); }
  {
    Client backing_off(loop_.base(), configFor(port), &stats_);
    loop_.runFor(20ms);
  }
  loop_.runFor(200ms);  // no timer of theirs may fire
  SUCCEED();
}

TEST_F(ClientFailureTest, HandlersMaySendFromTheirCallbacks) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  struct Chain : ReplyHandler {
    void onRedisReply(const Reply&) override { next(); }
    void onRedisError(Error, std::string_view) override { next(); }
    void next() {
      if (++count < 5) {
        std::string_view argv[] = {"INCR", "chain"};
        client->send(argv, *this);
      }
    }
    Client* client = nullptr;
    int count = 0;
  } chain;
  chain.client = &client;
  std::string_view argv[] = {"INCR", "chain"};
  client.send(argv, chain);
  ASSERT_TRUE(loop_.runUntil([&] { return chain.count == 5; }));
  EXPECT_EQ(server.command({"GET", "chain"}), "5");
}

}  // namespace
}  // namespace courier::redis

namespace courier::redis {
namespace {

using namespace testing;

// A loopback listener that never accepts. With a backlog of 0 and its queue
// filled, new connects hang in SYN-SENT; otherwise the kernel completes them
// and nothing ever answers.
class SilentListener {
 public:
  explicit SilentListener(bool fill_queue) {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    listen(fd_, fill_queue ? 0 : 16);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    for (int i = 0; fill_queue && i < 4; ++i) {  // fills the accept queue
      int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
      connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
      fillers_.push_back(c);
    }
    usleep(20'000);
  }
  ~SilentListener() {
    for (int c : fillers_) close(c);
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
  std::vector<int> fillers_;
};

TEST_F(ClientFailureTest, HangingConnectTimesOut) {
  SilentListener listener(true);
  auto config = configFor(listener.port());
  config.connect_timeout = 100ms;
  auto start = Clock::now();
  Client client(loop_.base(), config, &stats_);
  Recorder r;
  EXPECT_NE(send(client, {"PING"}, r), nullptr);  // connecting is not connected: posted
  ASSERT_TRUE(loop_.runUntil([&] { return connectErrors() >= 1; }, 2000ms));
  EXPECT_GE(Clock::now() - start, 90ms);
  EXPECT_EQ(r.error, Error::Disconnected);
  EXPECT_EQ(client.connectCount(), 0u);
}

TEST_F(ClientFailureTest, UnansweredAuthTimesOut) {
  SilentListener listener(false);
  auto config = configFor(listener.port());
  config.connect_timeout = 100ms;
  config.password = "pw";
  Client client(loop_.base(), config, &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return connectErrors() >= 2; }, 2000ms));
  EXPECT_EQ(client.connectCount(), 0u);
}

TEST_F(ClientFailureTest, DestroyingWhileTheConnectHangs) {
  SilentListener listener(true);
  {
    Client client(loop_.base(), configFor(listener.port()), &stats_);
    loop_.runFor(20ms);
  }
  loop_.runFor(50ms);
  EXPECT_EQ(connectErrors(), 0u);
}

}  // namespace
}  // namespace courier::redis
