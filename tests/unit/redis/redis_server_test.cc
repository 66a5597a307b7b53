// The RedisServer test helper itself: restart on the same port, reply text,
// DEBUG allowed, password.
#include "tests/support/redis_server.h"

#include <gtest/gtest.h>

namespace courier::test {
namespace {

TEST(RedisServerHelper, RestartsOnTheSamePortAndFormatsReplies) {
  RedisServer server;
  ASSERT_TRUE(server.ok()) << server.error();
  uint16_t port = server.port();
  EXPECT_EQ(server.url(), "redis://127.0.0.1:" + std::to_string(port) + "/0");
  EXPECT_EQ(server.command({"SET", "k", "v"}), "OK");
  EXPECT_EQ(server.command({"RPUSH", "l", "a", "b"}), "2");
  EXPECT_EQ(server.command({"LRANGE", "l", "0", "-1"}), "[a, b]");
  EXPECT_EQ(server.command({"GET", "nope"}), "(nil)");
  EXPECT_EQ(server.command({"DEBUG", "SLEEP", "0"}), "OK");
  EXPECT_EQ(server.command({"NOSUCHCOMMAND"}).rfind("(error) ERR unknown command", 0), 0u);

  server.stop();
  EXPECT_FALSE(server.ok());
  EXPECT_EQ(server.command({"PING"}, std::chrono::milliseconds(200)).rfind("(connection error)", 0),
            0u);
  ASSERT_TRUE(server.start()) << server.error();
  EXPECT_EQ(server.port(), port);
  EXPECT_EQ(server.command({"GET", "k"}), "(nil)");  // no persistence
}

TEST(RedisServerHelper, AuthenticatesItsOwnCommands) {
  RedisServer server({"--requirepass", "pw"});
  ASSERT_TRUE(server.ok()) << server.error();
  EXPECT_EQ(server.command({"PING"}), "PONG");
  EXPECT_TRUE(server.pause(std::chrono::milliseconds(1)));
}

}  // namespace
}  // namespace courier::test
