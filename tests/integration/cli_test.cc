// The command line: --version, --check-config exit codes and the exact
// `file:line:col: key.path: message` error format, and --config refusing to
// start on a bad file.
#include <gtest/gtest.h>

#include <regex>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

// Line 10, column 11 is the value of routes[0].timeout.
constexpr const char* kBadDuration = R"([server]
listen = "127.0.0.1:1"

[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "default"
cluster = "agent"
timeout = "soon"
)";

constexpr const char* kTwoErrors = R"([server]
timout = "1s"
workers = -1

[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "default"
cluster = "agnet"
)";

constexpr const char* kGood = R"([server]
listen = "127.0.0.1:1"
admin = "127.0.0.1:2"

[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

struct CliRun {
  std::optional<int> exit;
  std::string out, err;
};

CliRun runCourier(std::vector<std::string> args) {
  Process p(detail::courierBinary(), std::move(args));
  CliRun r;
  if (!p.started()) {
    r.err = p.error();
    return r;
  }
  r.exit = p.waitExit(Ms(10000));
  r.out = p.stdoutText();
  r.err = p.stderrText();
  return r;
}

TEST(CliTest, Version) {
  CliRun r = runCourier({"--version"});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_TRUE(std::regex_match(r.out, std::regex("courier [0-9]+\\.[0-9]+\\.[0-9]+\n"))) << r.out;
}

TEST(CliTest, CheckConfigAcceptsAGoodFile) {
  TempDir dir;
  std::string path = dir.file("good.toml");
  ASSERT_TRUE(writeFile(path, kGood));
  CliRun r = runCourier({"--check-config", path});
  EXPECT_EQ(r.exit, 0) << r.err;
  EXPECT_EQ(r.err, "");

  // And the shipped examples.
  for (const char* name : {"courier.toml", "minimal.toml"}) {
    std::string example = std::string(COURIER_SOURCE_DIR) + "/config/examples/" + name;
    r = runCourier({"--check-config", example});
    EXPECT_EQ(r.exit, 0) << example << ": " << r.err;
  }
}

TEST(CliTest, CheckConfigReportsFileLineColumnKeyAndMessage) {
  TempDir dir;
  std::string path = dir.file("bad.toml");
  ASSERT_TRUE(writeFile(path, kBadDuration));
  CliRun r = runCourier({"--check-config", path});
  EXPECT_EQ(r.exit, 1);
  EXPECT_EQ(r.err, path + ":10:11: routes[0].timeout: expected a duration like \"30s\"\n");
}

TEST(CliTest, CheckConfigReportsEveryErrorInOrder) {
  TempDir dir;
  std::string path = dir.file("two.toml");
  ASSERT_TRUE(writeFile(path, kTwoErrors));
  CliRun r = runCourier({"--check-config", path});
  EXPECT_EQ(r.exit, 1);
  std::vector<std::string> got = splitLines(r.err);
  ASSERT_EQ(got.size(), 3u) << r.err;
  EXPECT_EQ(got[0], path + ":2:1: server.timout: unknown key 'timout'");
  EXPECT_TRUE(got[1].starts_with(path + ":3:11: server.workers: ")) << got[1];
  EXPECT_TRUE(got[2].starts_with(path + ":10:11: routes[0].cluster: unknown cluster 'agnet'"))
      << got[2];
  // A did-you-mean for the near miss.
  EXPECT_NE(got[2].find("agent"), std::string::npos) << got[2];
}

TEST(CliTest, CheckConfigOnAMissingFileFails) {
  TempDir dir;
  CliRun r = runCourier({"--check-config", dir.file("missing.toml")});
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.err.find(dir.file("missing.toml")), std::string::npos) << r.err;
}

TEST(CliTest, RunRefusesABadConfig) {
  TempDir dir;
  std::string path = dir.file("bad.toml");
  ASSERT_TRUE(writeFile(path, kBadDuration));
  CliRun r = runCourier({"--config", path});
  EXPECT_EQ(r.exit, 1);
  EXPECT_NE(r.err.find(path + ":10:11: routes[0].timeout: "), std::string::npos) << r.err;
}

TEST(CliTest, UnknownFlagIsAUsageError) {
  CliRun r = runCourier({"--no-such-flag"});
  ASSERT_TRUE(r.exit.has_value());
  EXPECT_NE(*r.exit, 0);
  EXPECT_NE(r.err.find("usage"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace courier::test
