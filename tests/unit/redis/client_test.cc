// redis::Client against a real redis-server: commands, replies, AUTH and
// SELECT.
#include "proxy/redis/client.h"

#include <memory>

#include "proxy/stats/worker_stats.h"
#include "tests/unit/redis/redis_test_util.h"

namespace courier::redis {
namespace {

using namespace testing;

class ClientTest : public RedisTest {
 protected:
  Loop loop_;
  stats::WorkerStats stats_{1, 0};
  uint64_t connectErrors() const {
    return stats_.redisErrors(static_cast<size_t>(stats::RedisOp::Connect));
  }
};

TEST_F(ClientTest, RunsCommandsAndReadsEveryReplyType) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  EXPECT_EQ(client.connectCount(), 1u);

  Recorder set, get, incr, nil, push, range, bad;
  ASSERT_NE(send(client, {"SET", "greeting", std::string_view("hi\0there", 8)}, set), nullptr);
  ASSERT_NE(send(client, {"GET", "greeting"}, get), nullptr);
  ASSERT_NE(send(client, {"INCR", "counter"}, incr), nullptr);
  ASSERT_NE(send(client, {"GET", "missing"}, nil), nullptr);
  ASSERT_NE(send(client, {"RPUSH", "list", "a", "b", "c"}, push), nullptr);
  ASSERT_NE(send(client, {"LRANGE", "list", "0", "-1"}, range), nullptr);
  ASSERT_NE(send(client, {"INCR", "greeting"}, bad), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return bad.done(); }));

  EXPECT_EQ(set.reply, "OK");
  EXPECT_EQ(get.reply, std::string("hi\0there", 8));  // binary-safe both ways
  EXPECT_EQ(incr.reply, "1");
  EXPECT_EQ(nil.reply, "(nil)");
  EXPECT_EQ(push.reply, "3");
  EXPECT_EQ(range.reply, "[a, b, c]");
  EXPECT_EQ(bad.error, Error::Reply);
  EXPECT_EQ(bad.message, "ERR value is not an integer or out of range");
  for (Recorder* r : {&set, &get, &incr, &nil, &push, &range, &bad}) {
    EXPECT_EQ(r->calls, 1);
    EXPECT_FALSE(r->called_inside_send);
  }
  EXPECT_EQ(connectErrors(), 0u);
}

TEST_F(ClientTest, ReplyAccessorsMatchTheType) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));

  struct Check : ReplyHandler {
    void onRedisReply(const Reply& r) override {
      ok = r.isArray() && r.size() == 3 && !r.isString() && r.integer() == 0 &&
           r.string().empty() && r.element(0).isInteger() && r.element(0).integer() == 7 &&
           r.element(1).isString() && r.element(1).string() == "x" && r.element(1).size() == 0 &&
           r.element(2).isArray() && r.element(2).size() == 0 && !r.element(2).isNil();
      done = true;
    }
    void onRedisError(Error, std::string_view) override { done = true; }
    bool ok = false, done = false;
  } check;
  std::string_view argv[] = {"EVAL", "return {7, 'x', {}}", "0"};
  client.send(argv, check);
  ASSERT_TRUE(loop_.runUntil([&] { return check.done; }));
  EXPECT_TRUE(check.ok);
}

TEST_F(ClientTest, AuthenticatesWithThePassword) {
  test::RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.ok()) << server.error();
  auto config = configFor(server.port());
  config.password = "s3cret";
  Client client(loop_.base(), config, &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  Recorder ping;
  send(client, {"PING"}, ping);
  ASSERT_TRUE(loop_.runUntil([&] { return ping.done(); }));
  EXPECT_EQ(ping.reply, "PONG");
  EXPECT_EQ(connectErrors(), 0u);
}

TEST_F(ClientTest, AuthenticatesAsAnAclUser) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  ASSERT_EQ(server.command({"ACL", "SETUSER", "courier", "on", ">pw", "~*", "+@all"}), "OK");
  ASSERT_EQ(server.command({"ACL", "SETUSER", "default", "off"}), "OK");
  auto config = configFor(server.port());
  config.username = "courier";
  config.password = "pw";
  Client client(loop_.base(), config, &stats_);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  Recorder who;
  send(client, {"ACL", "WHOAMI"}, who);
  ASSERT_TRUE(loop_.runUntil([&] { return who.done(); }));
  EXPECT_EQ(who.reply, "courier");
}

TEST_F(ClientTest, WrongPasswordNeverConnectsAndCountsConnectErrors) {
  test::RedisServer server({"--requirepass", "s3cret"});
  ASSERT_TRUE(server.ok()) << server.error();
  auto config = configFor(server.port());
  config.password = "wrong";
  Client client(loop_.base(), config, &stats_);
  // Backoff starts at 50-100 ms: a few attempts fit in half a second.
  bool ever_connected = false;
  loop_.runUntil(
      [&] {
        ever_connected |= client.connected();
        return connectErrors() >= 3;
      },
      3000ms);
  EXPECT_GE(connectErrors(), 3u);
  EXPECT_FALSE(ever_connected);
  EXPECT_EQ(client.connectCount(), 0u);
}

TEST_F(ClientTest, SelectsTheConfiguredDatabase) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  auto config = configFor(server.port());
  config.db = 3;
  Client client(loop_.base(), config, nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  Recorder set;
  send(client, {"SET", "where", "three"}, set);
  ASSERT_TRUE(loop_.runUntil([&] { return set.done(); }));
  ASSERT_EQ(set.reply, "OK");
  EXPECT_EQ(server.command({"GET", "where"}), "(nil)");  // not in db 0
  EXPECT_EQ(
      server.command({"EVAL", "redis.call('SELECT', 3) return redis.call('GET', 'where')", "0"}),
      "three");
}

TEST_F(ClientTest, BadDatabaseIsAConnectFailure) {
  test::RedisServer server({"--databases", "2"});
  ASSERT_TRUE(server.ok()) << server.error();
  auto config = configFor(server.port());
  config.db = 5;
  Client client(loop_.base(), config, &stats_);
  loop_.runUntil([&] { return connectErrors() >= 2; }, 3000ms);
  EXPECT_GE(connectErrors(), 2u);
  EXPECT_EQ(client.connectCount(), 0u);
}

TEST_F(ClientTest, PubSubCommandsAreRefused) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  Recorder sub;
  EXPECT_NE(send(client, {"subscribe", "news"}, sub), nullptr);
  EXPECT_EQ(sub.calls, 0);
  ASSERT_TRUE(loop_.runUntil([&] { return sub.done(); }));
  EXPECT_EQ(sub.error, Error::Reply);
  Recorder ping;  // the connection is still in step
  send(client, {"PING"}, ping);
  ASSERT_TRUE(loop_.runUntil([&] { return ping.done(); }));
  EXPECT_EQ(ping.reply, "PONG");
}

TEST(RedisErrorName, NamesEveryError) {
  EXPECT_EQ(errorName(Error::Disconnected), "disconnected");
  EXPECT_EQ(errorName(Error::Timeout), "timeout");
  EXPECT_EQ(errorName(Error::Overloaded), "overloaded");
  EXPECT_EQ(errorName(Error::Reply), "reply");
}

}  // namespace
}  // namespace courier::redis
