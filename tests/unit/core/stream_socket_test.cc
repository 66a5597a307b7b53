// StreamSocket and Dispatcher over real socketpairs; the loop runs in bounded
// non-blocking turns (no sleeps).
#include "proxy/event/stream_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "proxy/event/dispatcher.h"

namespace courier::event {
namespace {

class Recorder : public StreamSocketHandler {
 public:
  void onSocketReadable() override {
    ++readable;
    if (consume) {
      size_t n = evbuffer_get_length(socket->input());
      std::string s(n, '\0');
      evbuffer_remove(socket->input(), s.data(), n);
      got += s;
    }
    if (on_readable) on_readable();
  }
  void onSocketClosed(const std::string& error) override {
    ++closed;
    close_error = error;
  }
  void onSocketConnected() override { ++connected; }
  void onSocketDrained() override {
    ++drained;
    drained_at.push_back(socket ? socket->outputLength() : 0);
  }

  StreamSocket* socket = nullptr;
  bool consume = true;
  std::function<void()> on_readable;
  std::string got;
  int readable = 0;
  int closed = 0;
  int connected = 0;
  int drained = 0;
  std::vector<size_t> drained_at;  // outputLength() at each onSocketDrained
  std::string close_error = "<none>";
};

class StreamSocketTest : public ::testing::Test {
 protected:
  void SetUp() override { pair(SOCK_STREAM); }
  void TearDown() override {
    socket_.reset();
    if (peer_ >= 0) close(peer_);
  }
  void pair(int type) {
    socket_.reset();
    if (peer_ >= 0) close(peer_);
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds), 0);
    peer_ = fds[1];
    socket_ = std::make_unique<StreamSocket>(d_, fds[0], &h_);
    h_.socket = socket_.get();
  }
  // One loop turn: runs every ready event, normal then late priority.
  void turn() { event_base_loop(d_.base(), EVLOOP_NONBLOCK); }
  bool runUntil(const std::function<bool()>& done, int max_turns = 2000) {
    for (int i = 0; i < max_turns && !done(); ++i) turn();
    return done();
  }
  void peerWrite(std::string_view s) {
    ASSERT_EQ(write(peer_, s.data(), s.size()), static_cast<ssize_t>(s.size()));
  }
  // What the peer can read now, without blocking; "<eof>" marks end of stream.
  std::string peerRead() {
    std::string out;
    char buf[65536];
    for (;;) {
      ssize_t n = recv(peer_, buf, sizeof buf, MSG_DONTWAIT);
      if (n == 0) return out + "<eof>";
      if (n < 0) return out;
      out.append(buf, static_cast<size_t>(n));
    }
  }
  void queue(std::string_view s) {
    evbuffer_add(socket_->output(), s.data(), s.size());
    socket_->scheduleWrite();
  }

  Dispatcher d_;
  Recorder h_;
  std::unique_ptr<StreamSocket> socket_;
  int peer_ = -1;
};

TEST_F(StreamSocketTest, PeerBytesArriveViaOnSocketReadable) {
  peerWrite("hello");
  ASSERT_TRUE(runUntil([&] { return h_.got == "hello"; })) << h_.got;
  peerWrite(" world");
  ASSERT_TRUE(runUntil([&] { return h_.got == "hello world"; })) << h_.got;
  EXPECT_EQ(h_.closed, 0);
}

TEST_F(StreamSocketTest, OutputIsWrittenOnceAtTheEndOfTheLoopTurn) {
  pair(SOCK_SEQPACKET);  // every write(2) is one record: records count writes
  queue("ab");
  queue("cd");
  EXPECT_EQ(peerRead(), "") << "written before the loop turn";
  turn();
  char buf[64];
  ssize_t n = recv(peer_, buf, sizeof buf, MSG_DONTWAIT);
  ASSERT_EQ(n, 4) << "expected one write carrying both pieces";
  EXPECT_EQ(std::string(buf, 4), "abcd");
  EXPECT_LT(recv(peer_, buf, sizeof buf, MSG_DONTWAIT), 0);
  EXPECT_EQ(socket_->outputLength(), 0u);
}

TEST_F(StreamSocketTest, EofReportsCleanClose) {
  close(peer_);
  peer_ = -1;
  ASSERT_TRUE(runUntil([&] { return h_.closed > 0; }));
  EXPECT_EQ(h_.closed, 1);
  EXPECT_EQ(h_.close_error, "");
  for (int i = 0; i < 10; ++i) turn();
  EXPECT_EQ(h_.closed, 1);
}

TEST_F(StreamSocketTest, DisabledReadingHoldsBytesUntilEnabled) {
  socket_->setReadEnabled(false);
  EXPECT_FALSE(socket_->readEnabled());
  peerWrite("held");
  for (int i = 0; i < 20; ++i) turn();
  EXPECT_EQ(h_.readable, 0);
  socket_->setReadEnabled(true);
  ASSERT_TRUE(runUntil([&] { return h_.got == "held"; }));
}

TEST_F(StreamSocketTest, ReadLimitStopsReadingUntilChecked) {
  h_.consume = false;
  socket_->setReadLimit(4);
  peerWrite("abcdef");
  ASSERT_TRUE(runUntil([&] { return h_.readable == 1; }));
  EXPECT_EQ(evbuffer_get_length(socket_->input()), 6u);
  peerWrite("gh");
  for (int i = 0; i < 20; ++i) turn();
  EXPECT_EQ(h_.readable, 1) << "read past the limit";
  evbuffer_drain(socket_->input(), 6);
  socket_->checkReadLimit();
  ASSERT_TRUE(runUntil([&] { return h_.readable == 2; }));
  EXPECT_EQ(evbuffer_get_length(socket_->input()), 2u);
}

TEST_F(StreamSocketTest, DrainedIsReportedOnlyWhenAskedFor) {
  queue("no one asked");
  turn();
  EXPECT_EQ(peerRead(), "no one asked");
  EXPECT_EQ(h_.drained, 0) << "onSocketDrained without notifyWhenDrained()";
  socket_->notifyWhenDrained(0);
  queue("now");
  turn();
  EXPECT_EQ(h_.drained, 1);
  queue("again");
  turn();
  EXPECT_EQ(h_.drained, 1) << "notifyWhenDrained() fires once";
}

TEST_F(StreamSocketTest, LargeOutputDrainsThroughWriteEvents) {
  int small = 4096;
  setsockopt(socket_->fd(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  std::string big;
  for (int i = 0; i < 20000; ++i) big += std::to_string(i) + ",";
  queue(big);
  socket_->notifyWhenDrained(100);
  turn();
  ASSERT_GT(socket_->outputLength(), 100u) << "the test needs a partial write";
  std::string received;
  ASSERT_TRUE(runUntil([&] {
    received += peerRead();
    return received.size() == big.size() && socket_->outputLength() == 0;
  }));
  EXPECT_EQ(received, big);
  ASSERT_GE(h_.drained, 1);
  EXPECT_LE(h_.drained_at[0], 100u);
}

TEST_F(StreamSocketTest, ShutdownWriteSendsFinAfterQueuedOutput) {
  queue("bye");
  socket_->shutdownWrite();
  EXPECT_EQ(peerRead(), "");  // neither bytes nor FIN before the flush
  turn();
  EXPECT_EQ(peerRead(), "bye<eof>");
  peerWrite("still reading");  // half-close: our read side stays open
  ASSERT_TRUE(runUntil([&] { return h_.got == "still reading"; }));
}

TEST_F(StreamSocketTest, ShutdownWriteWithEmptyOutputIsImmediate) {
  socket_->shutdownWrite();
  EXPECT_EQ(peerRead(), "<eof>");
}

TEST_F(StreamSocketTest, HandlerMayDestroySocketInsideReadCallback) {
  h_.on_readable = [&] {
    socket_.reset();
    h_.socket = nullptr;
  };
  peerWrite("x");
  ASSERT_TRUE(runUntil([&] { return socket_ == nullptr; }));
  for (int i = 0; i < 5; ++i) turn();
  EXPECT_EQ(h_.readable, 1);
  EXPECT_EQ(peerRead(), "<eof>");  // destroying closes the fd
}

TEST_F(StreamSocketTest, DestroyingSocketCancelsItsScheduledFlush) {
  queue("never");
  socket_.reset();
  turn();  // the late event must not touch the freed socket (ASan)
  EXPECT_EQ(peerRead(), "<eof>");
}

TEST_F(StreamSocketTest, ConnectReportsConnectedThenCarriesBytes) {
  int listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 1), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);

  Recorder client;
  StreamSocket s(d_, -1, &client);
  client.socket = &s;
  std::string error;
  ASSERT_TRUE(s.connect(reinterpret_cast<sockaddr*>(&addr), sizeof addr, error)) << error;
  ASSERT_TRUE(runUntil([&] { return client.connected == 1; }));
  int accepted = accept(listener, nullptr, nullptr);
  ASSERT_GE(accepted, 0);
  ASSERT_EQ(write(accepted, "pong", 4), 4);
  EXPECT_TRUE(runUntil([&] { return client.got == "pong"; }));
  close(accepted);
  close(listener);
}

TEST_F(StreamSocketTest, ConnectToClosedPortReportsError) {
  int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(probe, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(probe, reinterpret_cast<sockaddr*>(&addr), &len);
  close(probe);  // the port is now (very likely) closed

  Recorder client;
  StreamSocket s(d_, -1, &client);
  std::string error;
  if (s.connect(reinterpret_cast<sockaddr*>(&addr), sizeof addr, error)) {
    ASSERT_TRUE(runUntil([&] { return client.closed == 1; }));
    EXPECT_FALSE(client.close_error.empty());
  } else {
    EXPECT_FALSE(error.empty());
  }
  EXPECT_EQ(client.connected, 0);
}

// ---- Dispatcher ----

struct Flagged : DeferredDeletable {
  explicit Flagged(bool& f) : flag(f) {}
  ~Flagged() override { flag = true; }
  bool& flag;
};

TEST_F(StreamSocketTest, PostFromAnotherThreadRunsOnLoopThread) {
  std::atomic<bool> ran{false};
  std::thread::id ran_on;
  std::thread poster([&] {
    d_.post([&] {
      ran_on = std::this_thread::get_id();
      ran = true;
    });
  });
  poster.join();
  EXPECT_FALSE(ran.load()) << "ran before the loop turned";
  ASSERT_TRUE(runUntil([&] { return ran.load(); }));
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST_F(StreamSocketTest, PostedClosuresRunInOrder) {
  std::string order;
  for (char c : std::string("abc")) d_.post([&order, c] { order += c; });
  ASSERT_TRUE(runUntil([&] { return order.size() == 3; }));
  EXPECT_EQ(order, "abc");
}

TEST_F(StreamSocketTest, DeferredDeleteRunsAfterTheCallback) {
  bool deleted = false;
  bool deleted_inside = true;
  d_.post([&] {
    d_.deferredDelete(std::make_unique<Flagged>(deleted));
    deleted_inside = deleted;
  });
  turn();
  EXPECT_FALSE(deleted_inside);
  EXPECT_TRUE(deleted);  // in the same loop turn
}

struct Watchdog {
  static void fire(evutil_socket_t, short, void* arg) {
    auto* self = static_cast<Watchdog*>(arg);
    self->fired = true;
    event_base_loopbreak(self->base);
  }
  event_base* base;
  bool fired = false;
};

TEST_F(StreamSocketTest, ExitFromAnotherThreadEndsRun) {
  Watchdog dog{d_.base()};
  ::event* guard = event_new(d_.base(), -1, 0, &Watchdog::fire, &dog);
  timeval five{5, 0};
  evtimer_add(guard, &five);
  std::thread([&] { d_.exit(); }).join();
  d_.run();
  EXPECT_FALSE(dog.fired) << "run() was only ended by the watchdog";
  event_free(guard);
}

}  // namespace
}  // namespace courier::event
