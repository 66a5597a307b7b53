#include <arpa/inet.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <thread>

#include "config/address.h"
#include "config/loader.h"
#include "filters/registry.h"

namespace courier::config {
namespace {

constexpr const char* kTail = R"toml(
[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "a"
cluster = "agent"
)toml";

LoadResult load(const std::string& server_section, std::string_view file = "courier.toml") {
  return loadConfigString(server_section + kTail, file, filters::registry());
}

std::string firstError(const LoadResult& r) {
  if (r.ok() || r.error().empty()) return "loaded";
  return r.error()[0].format();
}

TEST(ServerConfig, DefaultsApplied) {
  auto r = load("");
  ASSERT_TRUE(r.ok()) << firstError(r);
  const ServerConfig& s = (*r)->server;
  EXPECT_EQ(s.listen.text, "0.0.0.0:8080");
  EXPECT_EQ(formatResolved(s.listen), "0.0.0.0:8080");
  EXPECT_EQ(s.admin.text, "127.0.0.1:9901");
  EXPECT_EQ(formatResolved(s.admin), "127.0.0.1:9901");
  EXPECT_GE(s.workers, 1u);
  EXPECT_EQ(s.max_connections, 20000u);
  EXPECT_EQ(s.header_timeout, Duration(10'000));
  EXPECT_EQ(s.idle_timeout, Duration(60'000));
  EXPECT_EQ(s.max_header_bytes, 65536u);
  EXPECT_EQ(s.max_body_bytes, 16ull << 20);
  EXPECT_EQ(s.drain_timeout, Duration(15'000));
  EXPECT_TRUE(s.trusted_proxies.empty());
  EXPECT_TRUE(s.admin_token_file.empty());
  EXPECT_TRUE(s.access_log.enabled);
  EXPECT_EQ(s.access_log.sample, 1.0);
  EXPECT_EQ((*r)->source_path, "courier.toml");
  EXPECT_EQ((*r)->source_text, kTail);
}

TEST(ServerConfig, WorkersZeroMeansOnePerCore) {
  auto r = load("[server]\nworkers = 0\n");
  ASSERT_TRUE(r.ok()) << firstError(r);
  unsigned cores = std::thread::hardware_concurrency();
  EXPECT_EQ((*r)->server.workers, cores == 0 ? 1u : std::min(cores, 256u));
  EXPECT_NE((*r)->server.workers, 0u);

  r = load("[server]\nworkers = 3\n");
  ASSERT_TRUE(r.ok()) << firstError(r);
  EXPECT_EQ((*r)->server.workers, 3u);

  EXPECT_EQ(firstError(load("[server]\nworkers = -1\n")),
            "courier.toml:2:11: server.workers: must be between 0 and 256, got -1");
  EXPECT_EQ(firstError(load("[server]\nworkers = 257\n")),
            "courier.toml:2:11: server.workers: must be between 0 and 256, got 257");
  EXPECT_EQ(firstError(load("[server]\nworkers = 2.0\n")),
            "courier.toml:2:11: server.workers: expected an integer, got a float");
}

TEST(ServerConfig, EveryKeyRead) {
  auto r = load(R"toml([server]
listen = "[::1]:0"
admin = "localhost:0"
workers = 4
max_connections = 100
header_timeout = "2s"
idle_timeout = "1.5m"
max_header_bytes = "8KiB"
max_body_bytes = 1048576
drain_timeout = "0s"
trusted_proxies = ["10.0.0.0/8", "fd00::/8", "192.168.1.7"]
access_log = "off"
access_log_sample = 0.25
)toml");
  ASSERT_TRUE(r.ok()) << firstError(r);
  const ServerConfig& s = (*r)->server;
  EXPECT_EQ(s.listen.text, "[::1]:0");
  EXPECT_EQ(s.listen.addr.ss_family, AF_INET6);
  EXPECT_EQ(s.listen.len, sizeof(sockaddr_in6));
  EXPECT_EQ(s.admin.text, "localhost:0");
  EXPECT_EQ(s.workers, 4u);
  EXPECT_EQ(s.max_connections, 100u);
  EXPECT_EQ(s.header_timeout, Duration(2'000));
  EXPECT_EQ(s.idle_timeout, Duration(90'000));
  EXPECT_EQ(s.max_header_bytes, 8192u);
  EXPECT_EQ(s.max_body_bytes, 1048576u);
  EXPECT_EQ(s.drain_timeout, Duration(0));
  std::vector<std::string> trusted;
  for (const auto& c : s.trusted_proxies) trusted.push_back(c.text);
  EXPECT_EQ(trusted, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8", "192.168.1.7"}));
  ASSERT_EQ(s.trusted_proxies.size(), 3u);
  EXPECT_EQ(s.trusted_proxies[0].family, AF_INET);
  EXPECT_EQ(s.trusted_proxies[0].prefix_bits, 8u);
  EXPECT_EQ(s.trusted_proxies[1].family, AF_INET6);
  EXPECT_EQ(s.trusted_proxies[2].prefix_bits, 32u);
  EXPECT_FALSE(s.access_log.enabled);
  EXPECT_EQ(s.access_log.sample, 0.25);
}

TEST(ServerConfig, HeaderBytesBounds) {
  EXPECT_TRUE(load("[server]\nmax_header_bytes = 1024\n").ok());
  EXPECT_TRUE(load("[server]\nmax_header_bytes = \"1MiB\"\n").ok());
  EXPECT_EQ(firstError(load("[server]\nmax_header_bytes = \"2MiB\"\n")),
            "courier.toml:2:20: server.max_header_bytes: must be at most 1048576 bytes, got "
            "2097152");
  EXPECT_EQ(firstError(load("[server]\nmax_body_bytes = \"16mib\"\n")),
            "courier.toml:2:18: server.max_body_bytes: expected a size like \"16MiB\" or a number "
            "of bytes; unknown unit \"mib\" (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
  EXPECT_EQ(firstError(load("[server]\nmax_body_bytes = -5\n")),
            "courier.toml:2:18: server.max_body_bytes: a size cannot be negative");
}

TEST(ServerConfig, Http2KeysAndStreamIdleTimeout) {
  auto defaults = load("");
  ASSERT_TRUE(defaults.ok()) << firstError(defaults);
  EXPECT_EQ((*defaults)->server.stream_idle_timeout, Duration(60'000));
  EXPECT_EQ((*defaults)->server.http2_max_concurrent_streams, 100u);
  EXPECT_EQ((*defaults)->server.http2_stream_window, 256u << 10);
  EXPECT_FALSE((*defaults)->routes[0].stream_idle_timeout);

  auto r = load(
      "[server]\nstream_idle_timeout = \"5s\"\nhttp2_max_concurrent_streams = 8\n"
      "http2_stream_window = \"1MiB\"\n");
  ASSERT_TRUE(r.ok()) << firstError(r);
  EXPECT_EQ((*r)->server.stream_idle_timeout, Duration(5'000));
  EXPECT_EQ((*r)->server.http2_max_concurrent_streams, 8u);
  EXPECT_EQ((*r)->server.http2_stream_window, 1u << 20);

  EXPECT_EQ(firstError(load("[server]\nhttp2_max_concurrent_streams = 0\n")),
            "courier.toml:2:32: server.http2_max_concurrent_streams: must be between 1 and "
            "100000, got 0");
  EXPECT_EQ(firstError(load("[server]\nhttp2_stream_window = 1000\n")),
            "courier.toml:2:23: server.http2_stream_window: must be at least 16384 bytes, got "
            "1000");
  EXPECT_EQ(firstError(load("[server]\nhttp2_stream_window = \"2GiB\"\n")),
            "courier.toml:2:23: server.http2_stream_window: must be at most 2147483647 bytes, got "
            "2147483648");
}

TEST(ServerConfig, RouteStreamIdleTimeoutOverridesTheServers) {
  auto r = loadConfigString(R"toml(
[clusters.agent]
endpoints = ["127.0.0.1:9000"]

[[routes]]
name = "slow"
cluster = "agent"
stream_idle_timeout = "10m"
)toml",
                            "courier.toml", filters::registry());
  ASSERT_TRUE(r.ok()) << firstError(r);
  ASSERT_TRUE((*r)->routes[0].stream_idle_timeout);
  EXPECT_EQ(*(*r)->routes[0].stream_idle_timeout, Duration(600'000));
}

TEST(ServerConfig, AddressErrors) {
  EXPECT_EQ(firstError(load("[server]\nlisten = \"::1:80\"\n")),
            "courier.toml:2:10: server.listen: an IPv6 address needs brackets, like "
            "\"[::1]:8080\"");
  EXPECT_EQ(firstError(load("[server]\nlisten = \"127.0.0.1:9901\"\n")),
            "courier.toml:2:10: server.listen: listen and admin must not be the same address");
  EXPECT_EQ(firstError(load("[server]\nlisten = \"127.0.0.1:7000\"\nadmin = \"127.0.0.1:7000\"\n")),
            "courier.toml:3:9: server.admin: listen and admin must not be the same address");
  // Port 0 twice is fine: the kernel picks two different ports.
  EXPECT_TRUE(load("[server]\nlisten = \"127.0.0.1:0\"\nadmin = \"127.0.0.1:0\"\n").ok());
  auto r = load("[server]\nadmin = \"no-such-host.invalid:9901\"\n");
  EXPECT_TRUE(
      firstError(r).starts_with("courier.toml:2:9: server.admin: cannot resolve "
                                "\"no-such-host.invalid\": "))
      << firstError(r);
}

class TokenFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/courier-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override {
    for (const auto& f : files_) unlink(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string write(const std::string& name, const std::string& content) {
    std::string path = dir_ + "/" + name;
    FILE* f = fopen(path.c_str(), "w");
    fputs(content.c_str(), f);
    fclose(f);
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(TokenFile, MustExistAndHoldAToken) {
  std::string token = write("token", "s3cret\n");
  auto r = load("[server]\nadmin_token_file = \"" + token + "\"\n");
  ASSERT_TRUE(r.ok()) << firstError(r);
  EXPECT_EQ((*r)->server.admin_token_file, token);

  std::string empty = write("empty", "");
  EXPECT_EQ(firstError(load("[server]\nadmin_token_file = \"" + empty + "\"\n")),
            "courier.toml:2:20: server.admin_token_file: token file \"" + empty + "\" is empty");
  EXPECT_EQ(firstError(load("[server]\nadmin_token_file = \"" + dir_ + "/missing\"\n")),
            "courier.toml:2:20: server.admin_token_file: cannot read token file \"" + dir_ +
                "/missing\": No such file or directory");
  EXPECT_EQ(firstError(load("[server]\nadmin_token_file = \"" + dir_ + "\"\n")),
            "courier.toml:2:20: server.admin_token_file: token file \"" + dir_ +
                "\" is not a regular file");
}

TEST_F(TokenFile, RelativePathsStartAtTheConfigFile) {
  write("token", "s3cret\n");
  auto r = load("[server]\nadmin_token_file = \"token\"\n", dir_ + "/courier.toml");
  ASSERT_TRUE(r.ok()) << firstError(r);
  EXPECT_EQ((*r)->server.admin_token_file, dir_ + "/token");
}

TEST(ServerConfig, LoadsFromAFile) {
  char path[] = "/tmp/courier-config-file-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  std::string text = std::string("[server]\nworkers = 2\n") + kTail;
  ASSERT_EQ(write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
  close(fd);
  auto r = loadConfigFile(path, filters::registry());
  unlink(path);
  ASSERT_TRUE(r.ok()) << firstError(r);
  EXPECT_EQ((*r)->source_path, path);
  EXPECT_EQ((*r)->source_text, text);
  EXPECT_EQ((*r)->server.workers, 2u);
}

}  // namespace
}  // namespace courier::config
