// redis::Subscriber against a real redis-server: messages, AUTH, and the
// re-subscription after Redis goes away, comes back or stops answering.
#include "proxy/redis/subscriber.h"

#include <memory>
#include <string>
#include <vector>

#include "proxy/stats/worker_stats.h"
#include "tests/unit/redis/redis_test_util.h"

namespace courier::redis {
namespace {

using namespace testing;

class SubscriberTest : public RedisTest {
 protected:
  std::unique_ptr<Subscriber> subscribe(const config::RedisConfig& config,
                                        std::string channel = "news") {
    return std::make_unique<Subscriber>(
        loop_.base(), config, std::move(channel),
        [this](std::string_view m) { messages_.emplace_back(m); }, [this] { ++resubscribed_; },
        &stats_);
  }
  uint64_t errors() const {
    return stats_.redisErrors(static_cast<size_t>(stats::RedisOp::Subscribe));
  }
  // Publishes until the subscriber hears it: a publish right after a
  // (re)subscription is not lost, but keeps the test independent of that.
  bool publishAndReceive(test::RedisServer& server, const std::string& payload,
                         const std::string& channel = "news") {
    size_t before = messages_.size();
    if (server.command({"PUBLISH", channel, payload}) != "1") return false;
    return loop_.runUntil([&] { return messages_.size() > before; }, 2000ms) &&
           messages_.back() == payload;
  }

  Loop loop_;
  stats::WorkerStats stats_{1, 0};
  std::vector<std::string> messages_;
  int resubscribed_ = 0;
};

TEST_F(SubscriberTest, ReceivesPublishedMessages) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  auto sub = subscribe(configFor(server.port()));
  EXPECT_FALSE(sub->subscribed());
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }));

  ASSERT_TRUE(publishAndReceive(server, "first"));
  std::string binary("a\0b c\r\n", 7);
  ASSERT_TRUE(publishAndReceive(server, binary));  // binary-safe
  ASSERT_TRUE(publishAndReceive(server, ""));
  EXPECT_EQ(server.command({"PUBLISH", "other", "x"}), "0");  // not subscribed there
  loop_.runFor(50ms);
  EXPECT_EQ(messages_, (std::vector<std::string>{"first", binary, ""}));
  EXPECT_EQ(resubscribed_, 0);
  EXPECT_EQ(errors(), 0u);
}

TEST_F(SubscriberTest, ResubscribesAfterRedisRestarts) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  auto sub = subscribe(configFor(server.port()));
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }));
  ASSERT_TRUE(publishAndReceive(server, "before"));

  server.stop();
  ASSERT_TRUE(loop_.runUntil([&] { return !sub->subscribed(); }));
  EXPECT_GE(errors(), 1u);
  EXPECT_EQ(resubscribed_, 0);
  loop_.runFor(300ms);  // a few failed attempts

  ASSERT_TRUE(server.start()) << server.error();
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }, 7000ms));
  EXPECT_EQ(resubscribed_, 1);
  ASSERT_TRUE(publishAndReceive(server, "after"));
  EXPECT_EQ(messages_, (std::vector<std::string>{"before", "after"}));

  // And again: each recovery is told.
  server.stop();
  ASSERT_TRUE(loop_.runUntil([&] { return !sub->subscribed(); }));
  ASSERT_TRUE(server.start()) << server.error();
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }, 7000ms));
  EXPECT_EQ(resubscribed_, 2);
  ASSERT_TRUE(publishAndReceive(server, "again"));
}

TEST_F(SubscriberTest, AuthenticatesAndSelects) {
  test::RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.ok()) << server.error();
  auto config = configFor(server.port());
  config.password = "s3cret";
  config.db = 2;  // pub/sub ignores the database, but SELECT must still pass
  auto sub = subscribe(config);
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }));
  ASSERT_TRUE(publishAndReceive(server, "secret news"));
  EXPECT_EQ(errors(), 0u);
  EXPECT_EQ(resubscribed_, 0);
}

TEST_F(SubscriberTest, WrongPasswordNeverSubscribesAndCountsErrors) {
  test::RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.ok()) << server.error();
  auto config = configFor(server.port());
  config.password = "wrong";
  auto sub = subscribe(config);
  bool ever = false;
  loop_.runUntil(
      [&] {
        ever |= sub->subscribed();
        return errors() >= 3;
      },
      3000ms);
  EXPECT_GE(errors(), 3u);
  EXPECT_FALSE(ever);
  EXPECT_EQ(resubscribed_, 0);
}

TEST_F(SubscriberTest, ChannelRefusedByAclIsAFailure) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(server.command({"ACL", "SETUSER", "courier", "on", ">pw", "~*", "+@all",
                            "resetchannels", "&allowed"}),
            "OK");
  auto config = configFor(server.port());
  config.username = "courier";
  config.password = "pw";
  auto refused = subscribe(config, "news");
  loop_.runUntil([&] { return errors() >= 2; }, 3000ms);
  EXPECT_GE(errors(), 2u);
  EXPECT_FALSE(refused->subscribed());

  auto allowed = subscribe(config, "allowed");
  ASSERT_TRUE(loop_.runUntil([&] { return allowed->subscribed(); }));
  ASSERT_TRUE(publishAndReceive(server, "ok", "allowed"));
}

TEST_F(SubscriberTest, DeadAtStartThenRedisComes) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  server.stop();
  auto sub = subscribe(configFor(server.port()));
  ASSERT_TRUE(loop_.runUntil([&] { return errors() >= 2; }, 2000ms));
  EXPECT_FALSE(sub->subscribed());

  ASSERT_TRUE(server.start()) << server.error();
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }, 7000ms));
  // Messages may have been published before the subscription was made.
  EXPECT_EQ(resubscribed_, 1);
  ASSERT_TRUE(publishAndReceive(server, "hello"));
}

TEST_F(SubscriberTest, SilentConnectionIsDetectedAndRemade) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  // Checks every max(1 s, 10 x timeout) = 1 s.
  auto sub = subscribe(configFor(server.port(), 50ms));
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }));

  // Quiet but alive: the checks pass.
  loop_.runFor(2200ms);
  EXPECT_TRUE(sub->subscribed());
  EXPECT_EQ(errors(), 0u);

  // Paused, Redis answers nothing (but still accepts connections).
  auto start = Clock::now();
  ASSERT_TRUE(server.pause(2500ms));
  ASSERT_TRUE(loop_.runUntil([&] { return !sub->subscribed(); }, 3000ms));
  EXPECT_LT(Clock::now() - start, 2500ms);  // found within two checks
  EXPECT_GE(errors(), 1u);
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }, 5000ms));
  EXPECT_EQ(resubscribed_, 1);
  ASSERT_TRUE(publishAndReceive(server, "awake"));
}

TEST_F(SubscriberTest, DestroyedWhileSubscribedHearsNothingMore) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  auto sub = subscribe(configFor(server.port()));
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }));
  sub.reset();
  EXPECT_EQ(server.command({"PUBLISH", "news", "late"}), "0");  // the connection is gone
  server.stop();
  loop_.runFor(200ms);
  EXPECT_TRUE(messages_.empty());
  EXPECT_EQ(resubscribed_, 0);
  EXPECT_EQ(errors(), 0u);
}

TEST_F(SubscriberTest, DestroyedWhileReconnectingHearsNothingMore) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  auto sub = subscribe(configFor(server.port()));
  ASSERT_TRUE(loop_.runUntil([&] { return sub->subscribed(); }));
  server.stop();
  ASSERT_TRUE(loop_.runUntil([&] { return !sub->subscribed(); }));
  loop_.runFor(120ms);  // in backoff or mid-attempt
  sub.reset();
  uint64_t errors_then = errors();
  ASSERT_TRUE(server.start()) << server.error();
  loop_.runFor(500ms);
  EXPECT_EQ(resubscribed_, 0);
  EXPECT_EQ(errors(), errors_then);
  EXPECT_EQ(server.command({"PUBLISH", "news", "late"}), "0");  // it never came back
}

TEST_F(SubscriberTest, DestroyedWhileConnectingOrBeforeConfirmation) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  // Destroyed before the loop ever ran: the connect is still in progress.
  subscribe(configFor(server.port())).reset();
  // Destroyed with SUBSCRIBE sent and unanswered (Redis paused).
  ASSERT_TRUE(server.pause(300ms));
  auto sub = subscribe(configFor(server.port()));
  loop_.runFor(50ms);
  EXPECT_FALSE(sub->subscribed());
  sub.reset();
  loop_.runFor(400ms);
  EXPECT_EQ(server.command({"PUBLISH", "news", "late"}), "0");
  EXPECT_TRUE(messages_.empty());
  EXPECT_EQ(resubscribed_, 0);
  EXPECT_EQ(errors(), 0u);
}

}  // namespace
}  // namespace courier::redis
