// SIGTERM drain: /ready turns 503, listeners close, in-flight requests
// finish (up to drain_timeout), idle connections close, exit status 0.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "tests/integration/integration_support.h"

namespace courier::test {
namespace {

const std::string kConfig = configHead(2, "drain_timeout = \"{{DRAIN}}\"\n") + R"(
[[routes]]
name = "default"
match = { prefix = "/" }
cluster = "agent"
)";

// The drain checks poll every 5 ms (kPoll): they race a slow request.
constexpr Ms kPoll{5};

class DrainTest : public CourierTest {
 protected:
  void start(const std::string& drain) { startProxy(kConfig, {{"DRAIN", drain}}); }
  // Waits until the upstream has seen `path` (the request is in flight).
  bool waitInFlight(const std::string& path) {
    return pollUntil(
        Ms(3000), [&] { return up_.hits(path) >= 1; }, kPoll);
  }
};

TEST_F(DrainTest, SigtermFinishesInFlightRequestsThenExitsZero) {
  start("5s");
  HttpClient idle = courier_->client();
  ASSERT_EQ(idle.get("/bytes/1").status, 200);  // an idle keep-alive connection

  Response slow;
  std::thread t([&] { slow = courier_->client(Ms(5000)).get("/delay/800"); });
  ASSERT_TRUE(waitInFlight("/delay/800"));
  auto sigterm_at = Clock::now();
  courier_->process().signal(SIGTERM);

  // /ready turns 503 while the request is still in flight.
  HttpClient admin = courier_->adminClient(Ms(500));
  int ready = 0;
  EXPECT_TRUE(pollUntil(
      Ms(1000), [&] { return (ready = admin.get("/ready").status) == 503; }, kPoll))
      << "last /ready status " << ready;
  // New connections are refused once the listener is closed.
  EXPECT_TRUE(pollUntil(
      Ms(1000), [&] { return !HttpClient(courier_->port(), Ms(200)).connect(); }, kPoll))
      << "the listener still accepts connections during the drain";
  EXPECT_LT(msBetween(sigterm_at, Clock::now()), 700) << "checks ran past the slow request";
  // The idle keep-alive connection is closed rather than kept for the drain.
  EXPECT_TRUE(idle.isClosed(Ms(1000)));

  t.join();
  ASSERT_EQ(slow.status, 200) << slow.error;
  EXPECT_EQ(slow.body, R"({"delayed_ms":800})");
  EXPECT_EQ(slow.header("connection"), "close");

  std::optional<int> code = courier_->process().waitExit(Ms(3000));
  ASSERT_TRUE(code.has_value()) << "courier did not exit after its last request";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(msBetween(slow.done_at, Clock::now()), 1500);
}

TEST_F(DrainTest, DrainTimeoutCutsLongRequests) {
  start("300ms");
  Response slow;
  std::thread t([&] { slow = courier_->client(Ms(5000)).get("/delay/3000"); });
  ASSERT_TRUE(waitInFlight("/delay/3000"));
  auto sigterm_at = Clock::now();
  courier_->process().signal(SIGTERM);
  std::optional<int> code = courier_->process().waitExit(Ms(2500));
  int64_t took = msBetween(sigterm_at, Clock::now());
  t.join();
  ASSERT_TRUE(code.has_value()) << "courier ignored drain_timeout";
  EXPECT_EQ(*code, 0);
  EXPECT_GE(took, 250);
  EXPECT_LT(took, 1500);
  EXPECT_NE(slow.status, 200) << "the cut request still looked complete";
}

TEST_F(DrainTest, SigtermWhenIdleExitsAtOnce) {
  start("5s");
  ASSERT_EQ(courier_->client().get("/bytes/1").status, 200);
  auto sigterm_at = Clock::now();
  courier_->process().signal(SIGTERM);
  std::optional<int> code = courier_->process().waitExit(Ms(2000));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
  EXPECT_LT(msBetween(sigterm_at, Clock::now()), 500);
}

TEST_F(DrainTest, ResponsesStartedBeforeTheDrainAreComplete) {
  start("5s");
  // A body that streams for ~600 ms: all of it must arrive.
  Response r;
  std::thread t([&] { r = courier_->client(Ms(5000)).get("/slow-body?bytes=6000&rate=10000"); });
  ASSERT_TRUE(waitInFlight("/slow-body"));
  courier_->process().signal(SIGTERM);
  t.join();
  ASSERT_EQ(r.status, 200) << r.error;
  EXPECT_EQ(r.body.size(), 6000u);
  std::optional<int> code = courier_->process().waitExit(Ms(3000));
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace courier::test
