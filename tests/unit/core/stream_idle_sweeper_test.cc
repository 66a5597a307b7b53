// StreamIdleSweeper on a real event loop: quiet streams time out after
// their timeout (within one tick), active ones never do, and a stream
// removed mid-sweep is not touched.
#include "proxy/http/stream_idle_sweeper.h"

#include <event2/event.h>
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>

namespace courier::http {
namespace {

using Ms = std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

struct FakeStream : IdleTracked {
  Ms timeout{500};
  Ms idle{0};
  bool active = false;  // counts as activity on every tick
  int timeouts = 0;
  Clock::time_point fired_at;
  std::function<void()> on_timeout;

  bool idleTick(Ms tick) override {
    if (active) {
      idle = Ms(0);
      return false;
    }
    idle += tick;
    return idle >= timeout;
  }
  void onIdleTimeout() override {
    ++timeouts;
    fired_at = Clock::now();
    if (on_timeout) on_timeout();
  }
};

struct BaseDeleter {
  void operator()(event_base* b) const { event_base_free(b); }
};

class SweeperTest : public ::testing::Test {
 protected:
  std::unique_ptr<event_base, BaseDeleter> base_{event_base_new()};
  void runFor(Ms d) {
    timeval tv{0, static_cast<suseconds_t>(d.count() * 1000)};
    event_base_loopexit(base_.get(), &tv);
    event_base_dispatch(base_.get());
  }
};

TEST_F(SweeperTest, QuietStreamTimesOutWithinOneTick) {
  StreamIdleSweeper sweeper(base_.get());
  FakeStream s;
  auto start = Clock::now();
  sweeper.add(&s);
  runFor(Ms(900));
  ASSERT_EQ(s.timeouts, 1);
  auto after = std::chrono::duration_cast<Ms>(s.fired_at - start);
  EXPECT_GE(after.count(), 490);
  EXPECT_LE(after.count(), 500 + StreamIdleSweeper::kTick.count() + 100);
  EXPECT_EQ(sweeper.size(), 0u);  // removed before it was told
}

TEST_F(SweeperTest, ActiveStreamNeverTimesOut) {
  StreamIdleSweeper sweeper(base_.get());
  FakeStream s;
  s.active = true;
  sweeper.add(&s);
  runFor(Ms(800));
  EXPECT_EQ(s.timeouts, 0);
  sweeper.remove(&s);
  EXPECT_EQ(sweeper.size(), 0u);
}

TEST_F(SweeperTest, RemovedStreamIsNotTimedOut) {
  StreamIdleSweeper sweeper(base_.get());
  FakeStream a, b, c;
  sweeper.add(&a);
  sweeper.add(&b);
  sweeper.add(&c);
  sweeper.remove(&b);
  sweeper.remove(&b);  // twice is harmless
  runFor(Ms(800));
  EXPECT_EQ(a.timeouts, 1);
  EXPECT_EQ(b.timeouts, 0);
  EXPECT_EQ(c.timeouts, 1);
}

TEST_F(SweeperTest, TimingOutOneMayEndAnotherInTheSameSweep) {
  // An HTTP/1.1 408 closes the connection, which can end other streams
  // that were due in the same sweep: they must not be told.
  StreamIdleSweeper sweeper(base_.get());
  FakeStream first, second;
  sweeper.add(&second);
  sweeper.add(&first);  // swept first (the list is newest first)
  first.on_timeout = [&] { sweeper.remove(&second); };
  runFor(Ms(800));
  EXPECT_EQ(first.timeouts, 1);
  EXPECT_EQ(second.timeouts, 0);
}

}  // namespace
}  // namespace courier::http
