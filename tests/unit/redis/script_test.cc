// evalScript (EVALSHA, with EVAL when the server does not know the script)
// and scriptSha1.
#include <string>

#include "proxy/redis/client.h"
#include "tests/unit/redis/redis_test_util.h"

namespace courier::redis {
namespace {

using namespace testing;

constexpr std::string_view kScript = "return {KEYS[1], ARGV[1], redis.call('INCR', KEYS[1])}";

class ScriptTest : public RedisTest {
 protected:
  Request* eval(Client& client, std::string_view script, ReplyHandler& handler) {
    std::string_view keys[] = {"calls"};
    std::string_view args[] = {"arg"};
    g_in_send = true;
    Request* r = client.evalScript(script, scriptSha1(script), keys, args, handler);
    g_in_send = false;
    return r;
  }
  // How often Redis ran a command, from INFO commandstats.
  static int calls(test::RedisServer& server, const std::string& command) {
    std::string info = server.command({"INFO", "commandstats"});
    auto at = info.find("cmdstat_" + command + ":calls=");
    if (at == std::string::npos) return 0;
    return std::stoi(info.substr(at + command.size() + 15));
  }
  Loop loop_;
};

TEST_F(ScriptTest, Sha1MatchesWhatRedisComputes) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  EXPECT_EQ(scriptSha1(kScript), server.command({"SCRIPT", "LOAD", std::string(kScript)}));
  EXPECT_EQ(scriptSha1(""), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  EXPECT_EQ(scriptSha1("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

TEST_F(ScriptTest, LoadsTheScriptOnceThenRunsItBySha) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  std::string sha = scriptSha1(kScript);
  ASSERT_EQ(server.command({"SCRIPT", "EXISTS", sha}), "[0]");

  Recorder first;
  ASSERT_NE(eval(client, kScript, first), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return first.done(); }));
  EXPECT_EQ(first.reply, "[calls, arg, 1]");  // NOSCRIPT was not seen
  EXPECT_EQ(first.calls, 1);
  EXPECT_EQ(server.command({"SCRIPT", "EXISTS", sha}), "[1]");
  EXPECT_EQ(calls(server, "eval"), 1);

  Recorder second;
  ASSERT_NE(eval(client, kScript, second), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return second.done(); }));
  EXPECT_EQ(second.reply, "[calls, arg, 2]");
  EXPECT_EQ(calls(server, "eval"), 1);  // the second ran by SHA only
  EXPECT_FALSE(first.called_inside_send || second.called_inside_send);

  ASSERT_EQ(server.command({"SCRIPT", "FLUSH"}), "OK");  // as after a restart
  Recorder third;
  eval(client, kScript, third);
  ASSERT_TRUE(loop_.runUntil([&] { return third.done(); }));
  EXPECT_EQ(third.reply, "[calls, arg, 3]");
  EXPECT_EQ(calls(server, "eval"), 2);
}

TEST_F(ScriptTest, ScriptErrorsAreReplyErrors) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  Recorder failed;
  eval(client, "return redis.error_reply('OOPS boom')", failed);
  ASSERT_TRUE(loop_.runUntil([&] { return failed.done(); }));
  EXPECT_EQ(failed.error, Error::Reply);
  EXPECT_EQ(failed.message, "OOPS boom");
}

TEST_F(ScriptTest, CancelHoldsAcrossTheEvalRetry) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  Client client(loop_.base(), configFor(server.port()), nullptr);
  ASSERT_TRUE(loop_.runUntil([&] { return client.connected(); }));
  // Replies are FIFO: when PING's reply arrives, EVALSHA's NOSCRIPT has been
  // read and the EVAL sent in its place. Cancel it right then.
  struct CancelOnReply : ReplyHandler {
    void onRedisReply(const Reply&) override { target->cancel(); }
    void onRedisError(Error, std::string_view) override { target->cancel(); }
    Request* target = nullptr;
  } canceller;
  Recorder cancelled, ping_done;
  Request* r = eval(client, kScript, cancelled);
  ASSERT_NE(r, nullptr);
  canceller.target = r;
  send(client, {"PING"}, canceller);
  send(client, {"PING"}, ping_done);
  ASSERT_TRUE(loop_.runUntil([&] { return ping_done.done(); }));
  loop_.runFor(50ms);  // the EVAL's reply comes back to nobody
  EXPECT_EQ(cancelled.calls, 0);
  EXPECT_EQ(calls(server, "eval"), 1);
  EXPECT_EQ(server.command({"GET", "calls"}), "1");
}

TEST_F(ScriptTest, EvalScriptFailsAtOnceWhileDisconnected) {
  test::RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  server.stop();
  Client client(loop_.base(), configFor(server.port()), nullptr);
  Recorder r;
  EXPECT_NE(eval(client, kScript, r), nullptr);  // a posted failure, still cancellable
  EXPECT_EQ(r.calls, 0);
  ASSERT_TRUE(loop_.runUntil([&] { return r.done(); }, 100ms));
  EXPECT_EQ(r.error, Error::Disconnected);
}

}  // namespace
}  // namespace courier::redis
