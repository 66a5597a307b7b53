// AccessLog: JSON lines on a file descriptor, whole lines per write(2).
#include "proxy/server/access_log.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <limits.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace courier::server {
namespace {

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> lines;
  size_t start = 0;
  for (size_t nl; (nl = s.find('\n', start)) != std::string::npos; start = nl + 1)
    lines.push_back(s.substr(start, nl - start));
  EXPECT_EQ(start, s.size()) << "output does not end in a newline";
  return lines;
}

class AccessLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(pipe2(fds_, O_CLOEXEC), 0);
    // A reader thread keeps the pipe from filling up; it stops at EOF.
    reader_ = std::thread([this] {
      char buf[8192];
      ssize_t n;
      while ((n = read(fds_[0], buf, sizeof buf)) > 0) out_.append(buf, static_cast<size_t>(n));
    });
    route_.name = "chat";
    request_.method = "POST";
    request_.path = "/v1/chat?stream=1";
    request_.authority = "api.example:8080";
    info_.client_path = request_.path;
    info_.client_authority = request_.authority;
    info_.request_id = "rid-1";
    info_.downstream_address = "10.0.0.7";
    info_.start = std::chrono::steady_clock::now() - std::chrono::milliseconds(1500);
    info_.route = &route_;
    info_.response_code = 201;
    info_.request_body_bytes = 12;
    info_.response_body_bytes = 3456;
    info_.upstream_address = "10.1.1.1:9000";
  }
  void TearDown() override {
    if (base_) event_base_free(base_);
    closeWriter();
    close(fds_[0]);
  }
  // Ends the pipe and returns everything written to it.
  std::string finish() {
    closeWriter();
    return out_;
  }
  void closeWriter() {
    if (fds_[1] >= 0) close(fds_[1]);
    fds_[1] = -1;
    if (reader_.joinable()) reader_.join();
  }

  event_base* base_ = event_base_new();
  int fds_[2] = {-1, -1};
  std::thread reader_;
  std::string out_;
  config::RouteConfig route_;
  http::RequestHeaders request_;
  http::StreamInfo info_;
};

TEST_F(AccessLogTest, OneJsonLinePerRequest) {
  {
    AccessLog log(base_, config::AccessLogConfig{}, fds_[1]);
    log.log(&request_, info_);
    info_.request_id = "rid-2";
    info_.details = "upstream_timeout";
    log.log(&request_, info_);
    log.flush();
  }
  std::vector<std::string> lines = splitLines(finish());
  ASSERT_EQ(lines.size(), 2u);
  std::regex line_re(
      R"(\{"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","request_id":"rid-1","client":"10\.0\.0\.7",)"
      R"("method":"POST","authority":"api\.example:8080","path":"/v1/chat\?stream=1",)"
      R"("protocol":"HTTP/1\.1","status":201,"route":"chat","upstream":"10\.1\.1\.1:9000",)"
      R"("duration_ms":(\d+\.\d{3}),"bytes_in":12,"bytes_out":3456\})");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(lines[0], m, line_re)) << lines[0];
  double ms = std::stod(m[1]);
  EXPECT_GE(ms, 1500.0);
  EXPECT_LT(ms, 60000.0);
  EXPECT_NE(lines[1].find("\"request_id\":\"rid-2\""), std::string::npos) << lines[1];
  EXPECT_TRUE(
      std::string_view(lines[1]).ends_with(R"("bytes_out":3456,"details":"upstream_timeout"})"))
      << lines[1];
}

TEST_F(AccessLogTest, UnparsedRequestAndHttp2) {
  info_.client_path = {};  // nothing was parsed
  info_.client_authority = {};
  info_.downstream_http_major = 2;
  info_.route = nullptr;
  info_.response_code = 400;
  {
    AccessLog log(base_, config::AccessLogConfig{}, fds_[1]);
    log.log(nullptr, info_);
  }  // the destructor flushes
  std::vector<std::string> lines = splitLines(finish());
  ASSERT_EQ(lines.size(), 1u);
  const std::string& l = lines[0];
  EXPECT_NE(l.find(R"("method":"","authority":"","path":"","protocol":"HTTP/2","status":400,)"
                   R"("route":"",)"),
            std::string::npos)
      << l;
}

TEST_F(AccessLogTest, LogsTheRequestAsTheClientSentIt) {
  request_.setPath("/rewritten");  // what a prefix_rewrite sends upstream
  request_.setAuthority("upstream.internal");
  {
    AccessLog log(base_, config::AccessLogConfig{}, fds_[1]);
    log.log(&request_, info_);
  }
  std::vector<std::string> lines = splitLines(finish());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("authority":"api.example:8080","path":"/v1/chat?stream=1")"),
            std::string::npos)
      << lines[0];
}

TEST_F(AccessLogTest, StringsAreEscaped) {
  request_.path = "/a\"b\\c";
  info_.client_path = request_.path;
  info_.request_id = "id\n";
  {
    AccessLog log(base_, config::AccessLogConfig{}, fds_[1]);
    log.log(&request_, info_);
  }
  std::vector<std::string> lines = splitLines(finish());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_NE(lines[0].find(R"("path":"/a\"b\\c")"), std::string::npos) << lines[0];
  EXPECT_NE(lines[0].find(R"("request_id":"id\n")"), std::string::npos) << lines[0];
}

TEST_F(AccessLogTest, SampleZeroLogsNothing) {
  {
    AccessLog log(base_, config::AccessLogConfig{true, 0.0}, fds_[1]);
    for (int i = 0; i < 200; ++i) log.log(&request_, info_);
    log.flush();
  }
  EXPECT_EQ(finish(), "");
}

TEST_F(AccessLogTest, OffLogsNothing) {
  {
    AccessLog log(base_, config::AccessLogConfig{false, 1.0}, fds_[1]);
    for (int i = 0; i < 200; ++i) log.log(&request_, info_);
    log.flush();
  }
  EXPECT_EQ(finish(), "");
}

TEST_F(AccessLogTest, SampleHalfLogsAboutHalf) {
  {
    AccessLog log(base_, config::AccessLogConfig{true, 0.5}, fds_[1]);
    for (int i = 0; i < 2000; ++i) log.log(&request_, info_);
  }
  size_t n = splitLines(finish()).size();
  EXPECT_GT(n, 800u);  // binomial(2000, 0.5): 1000 +- 22
  EXPECT_LT(n, 1200u);
}

TEST_F(AccessLogTest, QuietLogFlushesOnItsTimer) {
  AccessLog log(base_, config::AccessLogConfig{}, fds_[1]);
  log.log(&request_, info_);
  // The flush timer (50 ms) is the only event: one blocking loop pass runs it.
  event_base_loop(base_, EVLOOP_ONCE);
  closeWriter();
  EXPECT_EQ(splitLines(out_).size(), 1u);
}

// Every write(2) carries whole lines, at most PIPE_BUF bytes unless one line
// is longer; a SOCK_SEQPACKET socket keeps each write as one record.
TEST_F(AccessLogTest, WritesAreWholeLinesWithinPipeBuf) {
  int sp[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp), 0);
  std::string long_details(PIPE_BUF + 500, 'd');
  {
    AccessLog log(base_, config::AccessLogConfig{}, sp[0]);
    for (int i = 0; i < 120; ++i) {
      std::string id = "rid-" + std::to_string(i);  // request_id is a view
      info_.request_id = id;
      info_.details = i == 60 ? long_details : std::string(static_cast<size_t>(i % 7) * 40, 'x');
      log.log(&request_, info_);
    }
  }
  close(sp[0]);
  std::vector<std::string> records;
  std::vector<char> buf(1 << 20);
  ssize_t n;
  while ((n = recv(sp[1], buf.data(), buf.size(), 0)) > 0) records.emplace_back(buf.data(), n);
  close(sp[1]);
  ASSERT_GT(records.size(), 1u);
  std::string all;
  for (const auto& r : records) {
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(r.back(), '\n') << "a write ends mid-line";
    size_t lines_in_record = splitLines(r).size();
    if (lines_in_record > 1) {
      EXPECT_LE(r.size(), static_cast<size_t>(PIPE_BUF));
    }
    all += r;
  }
  std::vector<std::string> lines = splitLines(all);
  ASSERT_EQ(lines.size(), 120u);
  for (int i = 0; i < 120; ++i)
    EXPECT_NE(lines[i].find("\"request_id\":\"rid-" + std::to_string(i) + "\""), std::string::npos);
}

}  // namespace
}  // namespace courier::server
