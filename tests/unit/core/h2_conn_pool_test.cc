// H2ConnPool without an origin: connect failures reach every waiter from
// the event loop (never from inside newStream), cancelled waiters hear
// nothing, and a connect that never completes times out. The loop runs in
// bounded non-blocking turns.
#include "proxy/upstream/h2_conn_pool.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <functional>
#include <string>
#include <thread>

#include "proxy/event/dispatcher.h"

namespace courier::upstream {
namespace {

class Requester : public H2PoolCallbacks {
 public:
  void onPoolReady(H2ClientConnection&) override { ++ready; }
  void onPoolFailure(std::string_view why, bool timed_out) override {
    ++failures;
    reason = why;
    timeout = timed_out;
  }
  int ready = 0;
  int failures = 0;
  std::string reason;
  bool timeout = false;
};

config::SocketAddress loopback(uint16_t port) {
  config::SocketAddress a;
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(port);
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::memcpy(&a.addr, &in, sizeof in);
  a.len = sizeof in;
  a.text = "127.0.0.1:" + std::to_string(port);
  return a;
}

// A loopback port bound but not listening (connects are refused), or with
// `listen_backlog` >= 0 listening but never accepting.
int boundSocket(uint16_t* port, int listen_backlog = -1) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) != 0) return -1;
  socklen_t len = sizeof in;
  getsockname(fd, reinterpret_cast<sockaddr*>(&in), &len);
  *port = ntohs(in.sin_port);
  if (listen_backlog >= 0) ::listen(fd, listen_backlog);
  return fd;
}

class H2ConnPoolTest : public ::testing::Test {
 protected:
  void TearDown() override {
    pool_.reset();
    d_.runDeferred();
    if (fd_ >= 0) ::close(fd_);
  }
  void makePool(int listen_backlog = -1) {
    uint16_t port = 0;
    fd_ = boundSocket(&port, listen_backlog);
    ASSERT_GE(fd_, 0);
    cluster_.connect_timeout = config::Duration{200};
    pool_ = std::make_unique<H2ConnPool>(d_, cluster_, loopback(port), 65536);
  }
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      event_base_loop(d_.base(), EVLOOP_NONBLOCK);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
  }

  event::Dispatcher d_;
  config::ClusterConfig cluster_;
  std::unique_ptr<H2ConnPool> pool_;
  int fd_ = -1;
};

TEST_F(H2ConnPoolTest, RefusedConnectFailsEveryWaiterFromTheLoop) {
  makePool();
  Requester a, b, c;
  EXPECT_NE(pool_->newStream(a), nullptr);
  EXPECT_NE(pool_->newStream(b), nullptr);
  H2ConnPool::Waiter* wc = pool_->newStream(c);
  ASSERT_NE(wc, nullptr);
  EXPECT_EQ(pool_->connectionCount(), 1u) << "one connect serves up to 100 waiters";
  EXPECT_EQ(a.failures + b.failures + c.failures, 0) << "no failure from inside newStream";
  pool_->cancel(wc);
  ASSERT_TRUE(runUntil([&] { return a.failures && b.failures; }, std::chrono::seconds(3)));
  EXPECT_FALSE(a.timeout);
  EXPECT_FALSE(a.reason.empty());
  EXPECT_EQ(c.failures, 0) << "a cancelled waiter hears nothing";
  EXPECT_EQ(a.ready + b.ready + c.ready, 0);
  EXPECT_EQ(pool_->connectionCount(), 0u);
}

TEST_F(H2ConnPoolTest, AConnectWithoutSettingsTimesOut) {
  // The kernel completes the TCP handshake, but nobody ever speaks HTTP/2.
  makePool(16);
  Requester a;
  ASSERT_NE(pool_->newStream(a), nullptr);
  auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(runUntil([&] { return a.failures > 0; }, std::chrono::seconds(3)));
  EXPECT_TRUE(a.timeout) << a.reason;
  EXPECT_GE(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(150));
  EXPECT_EQ(pool_->connectionCount(), 0u);
}

TEST_F(H2ConnPoolTest, ManyWaitersStartConnectionsByHundreds) {
  makePool(256);
  Requester r[250];
  for (auto& x : r) pool_->newStream(x);
  EXPECT_EQ(pool_->connectionCount(), 3u);
  pool_->closeIdle();  // connecting ones are not idle
  EXPECT_EQ(pool_->connectionCount(), 3u);
}

}  // namespace
}  // namespace courier::upstream
