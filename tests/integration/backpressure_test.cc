// Back-pressure: courier streams bodies with bounded buffers, so a slow
// reader (or a stalled upstream) does not make it buffer the whole body.
// Memory is courier's VmRSS from /proc/PID/status.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <iostream>
#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(1, "max_body_bytes = \"128MiB\"\n") + R"(
[clusters.stalled]
endpoints = ["127.0.0.1:{{STALLED_PORT}}"]

[[routes]]
name = "stalled"
match = { prefix = "/stalled/" }
cluster = "stalled"

[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

constexpr size_t kMiB = 1 << 20;
// How much courier's RSS may grow during a transfer of 64 MiB that the
// other side does not take: far less than the transfer, so buffering it
// (even half of it) fails the test.
constexpr size_t kRssGrowthLimitKiB = 24 * 1024;

// ASan keeps freed memory in a quarantine and adds shadow memory: RSS then
// says nothing about courier's buffering.
#if defined(__SANITIZE_ADDRESS__)
#define SKIP_UNDER_ASAN() GTEST_SKIP() << "RSS is not meaningful under AddressSanitizer"
#else
#define SKIP_UNDER_ASAN() (void)0
#endif

size_t rssKiB(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  }
  return 0;
}

// A blocking-with-deadline TCP socket to 127.0.0.1:port with small kernel
// buffers, so the data in flight is not hidden in socket queues.
int connectSmall(uint16_t port, int sndbuf, int rcvbuf) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return fd;
}

class BackPressureTest : public CourierTest {
 protected:
  void SetUp() override {
    // An upstream that accepts (in the kernel) but never reads.
    uint16_t stalled = 0;
    stalled_fd_ = boundLoopbackSocket(&stalled, 64 * 1024);
    ASSERT_GE(stalled_fd_, 0);
    ASSERT_EQ(::listen(stalled_fd_, 16), 0);
    startProxy(kConfig, {{"STALLED_PORT", std::to_string(stalled)}});
  }
  void TearDown() override {
    if (stalled_fd_ >= 0) ::close(stalled_fd_);
    CourierTest::TearDown();
  }

  int stalled_fd_ = -1;
};

TEST_F(BackPressureTest, SlowReaderOfA64MiBDownloadKeepsRssBounded) {
  SKIP_UNDER_ASAN();
  const size_t total = 64 * kMiB;
  pid_t pid = courier_->process().pid();
  size_t baseline = rssKiB(pid);
  ASSERT_GT(baseline, 0u);

  int fd = connectSmall(courier_->port(), 64 * 1024, 64 * 1024);
  ASSERT_GE(fd, 0);
  std::string req = "GET /bytes/" + std::to_string(total) + " HTTP/1.1\r\nHost: a\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));

  std::string head;
  char buf[65536];
  size_t body = 0, mismatches = 0, peak = baseline;
  auto consume = [&](const char* p, size_t n) {
    for (size_t i = 0; i < n; ++i, ++body) {
      if (p[i] != static_cast<char>('a' + body % 26)) ++mismatches;
    }
  };
  while (head.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "no response head: " << strerror(errno);
    head.append(buf, n);
  }
  size_t head_end = head.find("\r\n\r\n") + 4;
  ASSERT_EQ(head.rfind("HTTP/1.1 200", 0), 0u) << head;
  ASSERT_NE(head.find("content-length: " + std::to_string(total)), std::string::npos) << head;
  consume(head.data() + head_end, head.size() - head_end);

  // Read 1 MiB, pause; eight times. Meanwhile the upstream could send all
  // 64 MiB at once: only back-pressure keeps it out of courier's memory.
  for (int round = 0; round < 8; ++round) {
    size_t goal = body + kMiB;
    while (body < goal) {
      ssize_t n = ::recv(fd, buf, std::min(sizeof buf, goal - body), 0);
      ASSERT_GT(n, 0) << "round " << round << ": " << strerror(errno);
      consume(buf, n);
    }
    std::this_thread::sleep_for(Ms(120));
    peak = std::max(peak, rssKiB(pid));
  }
  std::cout << "courier RSS: baseline " << baseline << " KiB, peak while paused " << peak
            << " KiB\n";
  EXPECT_LT(peak, baseline + kRssGrowthLimitKiB)
      << "courier RSS grew from " << baseline << " KiB to " << peak
      << " KiB while the client was paused";
  // Then the rest, at full speed; every byte must be there and in order.
  while (body < total) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0) << "at byte " << body << ": " << strerror(errno);
    consume(buf, n);
  }
  ::close(fd);
  EXPECT_EQ(body, total);
  EXPECT_EQ(mismatches, 0u);
  EXPECT_LT(rssKiB(pid), baseline + kRssGrowthLimitKiB);
}

TEST_F(BackPressureTest, UploadIntoAStalledUpstreamIsThrottled) {
  SKIP_UNDER_ASAN();
  const size_t total = 64 * kMiB;
  pid_t pid = courier_->process().pid();
  size_t baseline = rssKiB(pid);
  ASSERT_GT(baseline, 0u);
  int fd = connectSmall(courier_->port(), 64 * 1024, 64 * 1024);
  ASSERT_GE(fd, 0);
  std::string head =
      "POST /stalled/upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + std::to_string(total) +
      "\r\n\r\n";
  ASSERT_EQ(::send(fd, head.data(), head.size(), MSG_NOSIGNAL), static_cast<ssize_t>(head.size()));
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);

  std::string chunk(256 * 1024, 'u');
  size_t sent = 0, peak = 0;
  auto deadline = Clock::now() + Ms(1500);
  while (sent < total && Clock::now() < deadline) {
    pollfd p{fd, POLLOUT, 0};
    if (poll(&p, 1, 50) == 1 && (p.revents & POLLOUT)) {
      ssize_t n = ::send(fd, chunk.data(), std::min(chunk.size(), total - sent), MSG_NOSIGNAL);
      if (n > 0) sent += n;
      if (n < 0 && errno != EAGAIN) break;
    }
    peak = std::max(peak, rssKiB(pid));
  }
  ::close(fd);
  std::cout << "accepted " << sent / 1024 << " KiB of the upload in 1.5 s; courier RSS peak "
            << peak << " KiB\n";
  EXPECT_LT(sent, total * 3 / 4) << "courier read " << sent / kMiB
                                 << " MiB that its upstream never took";
  EXPECT_LT(peak, baseline + kRssGrowthLimitKiB)
      << "courier RSS grew from " << baseline << " KiB to " << peak << " KiB";
  EXPECT_TRUE(courier_->process().running());
  // Others are still served.
  EXPECT_EQ(courier_->client().get("/bytes/3").body, "abc");
}

}  // namespace
}  // namespace courier::test
