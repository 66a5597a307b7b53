// StreamSocket::sendAsFile over real TCP connections on 127.0.0.1, driven by
// a real Dispatcher loop in bounded non-blocking turns: file bodies queued
// the way Http1ServerCodec::addBody queues them leave with sendfile() and
// reach the peer byte-exact and in order, through partial writes and EAGAIN.
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/buffer/buffer.h"
#include "proxy/buffer/sealed_file.h"
#include "proxy/event/dispatcher.h"
#include "proxy/event/stream_socket.h"
#include "tests/support/byte_pattern.h"

namespace courier::event {
namespace {

constexpr size_t kMiB = size_t{1} << 20;
constexpr auto kTimeout = std::chrono::seconds(8);

// Index of the first differing byte, or npos (keeps failure output short).
size_t firstDifference(std::string_view a, std::string_view b) {
  size_t n = std::min(a.size(), b.size());
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return i;
  return a.size() == b.size() ? std::string_view::npos : n;
}

// Bytes this process has read through files (/proc/self/io rchar). sendfile()
// counts what it sends; recv() on the peer and sendmsg()/writev() to a
// socket do not count here, so the growth across a test is (almost exactly)
// what went out through sendfile(). -1 if the kernel does not account I/O.
int64_t bytesReadFromFiles() {
  std::ifstream io("/proc/self/io");
  std::string key;
  int64_t value = 0;
  while (io >> key >> value)
    if (key == "rchar:") return value;
  return -1;
}

// At least `bytes` left through sendfile() since bytesReadFromFiles() said
// `before` (nothing to check without I/O accounting).
void expectSentWithSendfile(int64_t before, size_t bytes) {
  if (before < 0) return;
  EXPECT_GE(bytesReadFromFiles() - before, static_cast<int64_t>(bytes))
      << "the file body was not sent with sendfile()";
}

class Sink : public StreamSocketHandler {
 public:
  void onSocketReadable() override { ++readable; }
  void onSocketClosed(const std::string& error) override {
    ++closed;
    close_error = error;
  }
  int readable = 0;
  int closed = 0;
  std::string close_error;
};

// One accepted connection: `socket` is ours (the server side), `peer` is
// the client the test reads from.
struct Conn {
  Sink sink;
  std::unique_ptr<StreamSocket> socket;
  int peer = -1;
  std::string got;
  ~Conn() {
    socket.reset();
    if (peer >= 0) ::close(peer);
  }
};

class StreamSocketFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    base_open_ = SealedFile::openCount();
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(listener_, 0);
    addr_.sin_family = AF_INET;
    addr_.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_), 0);
    ASSERT_EQ(::listen(listener_, 8), 0);
    socklen_t len = sizeof addr_;
    ASSERT_EQ(::getsockname(listener_, reinterpret_cast<sockaddr*>(&addr_), &len), 0);
  }
  void TearDown() override {
    conns_.clear();
    if (listener_ >= 0) ::close(listener_);
  }

  // A TCP connection over 127.0.0.1. Buffer sizes of 0 keep the defaults;
  // the peer's receive buffer is set before connect() so the window
  // advertised in the handshake honours it.
  Conn& open(int peer_rcvbuf = 0, int server_sndbuf = 0) {
    auto conn = std::make_unique<Conn>();
    conn->peer = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(conn->peer, 0);
    if (peer_rcvbuf > 0) {
      EXPECT_EQ(::setsockopt(conn->peer, SOL_SOCKET, SO_RCVBUF, &peer_rcvbuf, sizeof(int)), 0);
    }
    EXPECT_EQ(::connect(conn->peer, reinterpret_cast<sockaddr*>(&addr_), sizeof addr_), 0)
        << std::strerror(errno);
    int fd = ::accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    EXPECT_GE(fd, 0) << std::strerror(errno);
    if (server_sndbuf > 0) {
      EXPECT_EQ(::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &server_sndbuf, sizeof(int)), 0);
    }
    conn->socket = std::make_unique<StreamSocket>(d_, fd, &conn->sink);
    conns_.push_back(std::move(conn));
    return *conns_.back();
  }

  // Queues head, file body, tail on `c` exactly as Http1ServerCodec::addBody
  // does: the body arrives in a Buffer holding only the file; its position
  // is the output's length before the body's bytes join it.
  void queueResponse(Conn& c, std::string_view head, const std::shared_ptr<const SealedFile>& file,
                     std::string_view tail) {
    evbuffer* out = c.socket->output();
    evbuffer_add(out, head.data(), head.size());
    Buffer data;
    data.addFile(file);
    EXPECT_NE(data.fileBody(), nullptr) << "a lone file body lost its hint";
    if (data.fileBody()) c.socket->sendAsFile(evbuffer_get_length(out), data.fileBodyOwner());
    evbuffer_add_buffer(out, data.raw());
    evbuffer_add(out, tail.data(), tail.size());
    c.socket->scheduleWrite();
  }

  // One loop turn: runs the events ready now, normal then late priority.
  // EVLOOP_ONCE too: with EVLOOP_NONBLOCK alone libevent polls again while
  // anything was active, so a socket that stays writable without making
  // progress (a send bug) would keep the turn from ever returning, and the
  // test would hang instead of failing at its deadline.
  void turn() { event_base_loop(d_.base(), EVLOOP_ONCE | EVLOOP_NONBLOCK); }

  // Reads what the peer has now, at most `limit` bytes; returns how many.
  static size_t peerRead(Conn& c, size_t limit) {
    char buf[64 * 1024];
    size_t total = 0;
    while (total < limit) {
      ssize_t n = ::recv(c.peer, buf, std::min(sizeof buf, limit - total), MSG_DONTWAIT);
      if (n <= 0) break;
      c.got.append(buf, static_cast<size_t>(n));
      total += static_cast<size_t>(n);
    }
    return total;
  }

  // Turns the loop and reads every peer (at most `per_turn` bytes each per
  // turn) until each conns_[i] has received want[i] bytes, or kTimeout.
  // `after_turn` runs after every loop turn (before the peers read).
  bool pump(const std::vector<size_t>& want, size_t per_turn = SIZE_MAX,
            const std::function<void()>& after_turn = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + kTimeout;
    auto done = [&] {
      for (size_t i = 0; i < want.size(); ++i)
        if (conns_[i]->got.size() < want[i]) return false;
      return true;
    };
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      turn();
      if (after_turn) after_turn();
      size_t progress = 0;
      for (size_t i = 0; i < want.size(); ++i) progress += peerRead(*conns_[i], per_turn);
      if (progress == 0) {  // wait a little for the kernel instead of spinning
        std::vector<pollfd> fds;
        for (size_t i = 0; i < want.size(); ++i) fds.push_back({conns_[i]->peer, POLLIN, 0});
        ::poll(fds.data(), fds.size(), 1);
      }
    }
    // Nothing more may follow: a few more turns, then no extra bytes.
    for (int i = 0; i < 5; ++i) turn();
    for (size_t i = 0; i < want.size(); ++i) peerRead(*conns_[i], SIZE_MAX);
    return true;
  }

  Dispatcher d_;
  int listener_ = -1;
  sockaddr_in addr_{};
  std::vector<std::unique_ptr<Conn>> conns_;
  size_t base_open_ = 0;
};

TEST_F(StreamSocketFileTest, HeadFileBodyTailArriveInOrder) {
  const std::string body = test::nonRepeatingBytes(300 * 1024 + 11, 1);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& c = open();
  const std::string head =
      "HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  const std::string tail = "HTTP/1.1 204 No Content\r\n\r\n";
  const std::string want = head + body + tail;

  int64_t rchar = bytesReadFromFiles();
  queueResponse(c, head, file, tail);
  EXPECT_EQ(c.socket->outputLength(), want.size());
  ASSERT_TRUE(pump({want.size()})) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
  EXPECT_EQ(c.socket->outputLength(), 0u);
  EXPECT_EQ(c.sink.closed, 0) << c.sink.close_error;
  expectSentWithSendfile(rchar, body.size());
}

TEST_F(StreamSocketFileTest, PipelinedResponsesEachWithAFileBody) {
  const std::string body1 = test::nonRepeatingBytes(150 * 1024 + 3, 11);
  const std::string body2 = test::nonRepeatingBytes(90 * 1024 + 1, 12);
  auto file1 = SealedFile::create(body1);
  auto file2 = SealedFile::create(body2);
  ASSERT_NE(file1, nullptr);
  ASSERT_NE(file2, nullptr);
  Conn& c = open();
  const std::string head1 = "HTTP/1.1 200 OK\r\nContent-Length: 153603\r\n\r\n";
  const std::string head2 = "HTTP/1.1 200 OK\r\nContent-Length: 92161\r\nX-Second: yes\r\n\r\n";

  int64_t rchar = bytesReadFromFiles();
  queueResponse(c, head1, file1, "");
  queueResponse(c, head2, file2, "");
  const std::string want = head1 + body1 + head2 + body2;
  ASSERT_TRUE(pump({want.size()})) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
  EXPECT_EQ(c.sink.closed, 0) << c.sink.close_error;
  expectSentWithSendfile(rchar, body1.size() + body2.size());
}

TEST_F(StreamSocketFileTest, PipelinedChunkedResponsesWithPlainBodyBetween) {
  // Chunk framing around each file body, a plain response between them.
  const std::string body1 = test::nonRepeatingBytes(70 * 1024, 21);
  const std::string body2 = test::nonRepeatingBytes(33 * 1024 + 9, 22);
  auto file1 = SealedFile::create(body1);
  auto file2 = SealedFile::create(body2);
  ASSERT_NE(file1, nullptr);
  ASSERT_NE(file2, nullptr);
  Conn& c = open();
  auto chunkHead = [](std::string_view head, size_t n) {
    char size[32];
    snprintf(size, sizeof size, "%zx\r\n", n);
    return std::string(head) + size;
  };
  const std::string head1 =
      chunkHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", body1.size());
  const std::string plain = "\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nplain";
  const std::string head2 =
      chunkHead("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", body2.size());
  const std::string end = "\r\n0\r\n\r\n";

  queueResponse(c, head1, file1, plain);
  queueResponse(c, head2, file2, end);
  const std::string want = head1 + body1 + plain + head2 + body2 + end;
  ASSERT_TRUE(pump({want.size()})) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
}

TEST_F(StreamSocketFileTest, SecondResponseQueuedAfterTheFirstWasSent) {
  // The second file's position is relative to output() after the first
  // response has left: the socket must place it in the whole stream.
  const std::string body1 = test::nonRepeatingBytes(64 * 1024 + 5, 31);
  const std::string body2 = test::nonRepeatingBytes(48 * 1024 + 7, 32);
  auto file1 = SealedFile::create(body1);
  auto file2 = SealedFile::create(body2);
  ASSERT_NE(file1, nullptr);
  ASSERT_NE(file2, nullptr);
  Conn& c = open();
  queueResponse(c, "first head\r\n", file1, "first tail\r\n");
  const std::string want1 = "first head\r\n" + body1 + "first tail\r\n";
  ASSERT_TRUE(pump({want1.size()}));
  ASSERT_EQ(c.socket->outputLength(), 0u);

  queueResponse(c, "second head, a little longer\r\n", file2, "second tail\r\n");
  const std::string want = want1 + "second head, a little longer\r\n" + body2 + "second tail\r\n";
  ASSERT_TRUE(pump({want.size()})) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
}

TEST_F(StreamSocketFileTest, FileBodyFirstInTheOutput) {
  const std::string body = test::nonRepeatingBytes(200 * 1024 + 13, 41);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& c = open();
  int64_t rchar = bytesReadFromFiles();
  queueResponse(c, "", file, "then the tail");  // position 0
  const std::string want = body + "then the tail";
  ASSERT_TRUE(pump({want.size()})) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
  expectSentWithSendfile(rchar, body.size());
}

TEST_F(StreamSocketFileTest, FileBodyAloneInTheOutput) {
  const std::string body = test::nonRepeatingBytes(5000, 42);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& c = open();
  queueResponse(c, "", file, "");
  ASSERT_TRUE(pump({body.size()})) << "got " << c.got.size() << " of " << body.size();
  EXPECT_EQ(c.got, body);
  EXPECT_EQ(c.socket->outputLength(), 0u);
}

TEST_F(StreamSocketFileTest, HeadOfManyChainsBeforeTheFileBody) {
  // More chains before the body than one sendmsg() takes.
  static const std::string pieces = test::nonRepeatingBytes(300 * 7, 51);
  const std::string body = test::nonRepeatingBytes(40 * 1024 + 1, 52);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& c = open();
  evbuffer* out = c.socket->output();
  for (size_t i = 0; i < 300; ++i)  // a reference is never merged: one chain each
    evbuffer_add_reference(out, pieces.data() + i * 7, 7, nullptr, nullptr);
  ASSERT_GT(evbuffer_peek(out, -1, nullptr, nullptr, 0), 128);
  queueResponse(c, "", file, "end");
  const std::string want = pieces + body + "end";
  ASSERT_TRUE(pump({want.size()})) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
}

TEST_F(StreamSocketFileTest, LargeFileBodyToASlowPeerThroughPartialWrites) {
  const std::string body = test::nonRepeatingBytes(8 * kMiB, 61);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& c = open(/*peer_rcvbuf=*/16 * 1024, /*server_sndbuf=*/16 * 1024);
  const std::string head = "HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n";
  const std::string tail = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ntail";
  const std::string want = head + body + tail;

  int64_t rchar = bytesReadFromFiles();
  queueResponse(c, head, file, tail);
  // After each turn: output left means the flush stopped at EAGAIN; left
  // inside the body's span means sendfile() wrote part of the body.
  int eagain_turns = 0;
  int inside_body_turns = 0;
  size_t last_left = want.size();
  int shrinking_turns = 0;
  bool ok = pump({want.size()}, /*per_turn=*/4096, [&] {
    size_t left = c.socket->outputLength();
    if (left > 0) ++eagain_turns;
    if (left > tail.size() && left < tail.size() + body.size()) ++inside_body_turns;
    if (left < last_left && left > 0) ++shrinking_turns;
    last_left = left;
  });
  ASSERT_TRUE(ok) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
  EXPECT_EQ(c.socket->outputLength(), 0u);
  EXPECT_EQ(c.sink.closed, 0) << c.sink.close_error;
  // The test means nothing unless the writes really were partial.
  EXPECT_GE(eagain_turns, 3);
  EXPECT_GE(inside_body_turns, 3);
  EXPECT_GE(shrinking_turns, 3) << "writes did not resume on write events";
  expectSentWithSendfile(rchar, body.size());
}

TEST_F(StreamSocketFileTest, FileBodyQueuedBehindOutputWaitingForTheKernel) {
  // The socket already waits on a write event (send buffer full) when the
  // file body is queued: scheduleWrite() does nothing then; the write event
  // must send the rest, the file included.
  const std::string first = test::nonRepeatingBytes(2 * kMiB, 71);
  const std::string body = test::nonRepeatingBytes(1 * kMiB + 77, 72);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& c = open(16 * 1024, 16 * 1024);
  evbuffer_add(c.socket->output(), first.data(), first.size());
  c.socket->scheduleWrite();
  turn();
  ASSERT_GT(c.socket->outputLength(), 0u) << "the test needs a full send buffer";
  queueResponse(c, "head\r\n", file, "tail\r\n");
  const std::string want = first + "head\r\n" + body + "tail\r\n";
  ASSERT_TRUE(pump({want.size()}, 8192)) << "got " << c.got.size() << " of " << want.size();
  EXPECT_EQ(c.got.size(), want.size());
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
}

TEST_F(StreamSocketFileTest, SameFileOnTwoSocketsAtOnce) {
  // Each socket keeps its own offset into the shared file.
  const std::string body = test::nonRepeatingBytes(2 * kMiB + 321, 81);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  Conn& a = open(16 * 1024, 16 * 1024);
  Conn& b = open(16 * 1024, 16 * 1024);
  queueResponse(a, "head for a\r\n", file, "tail for a");
  queueResponse(b, "a different head for b\r\n", file, "tail for b");
  const std::string want_a = "head for a\r\n" + body + "tail for a";
  const std::string want_b = "a different head for b\r\n" + body + "tail for b";
  int both_pending = 0;
  ASSERT_TRUE(pump({want_a.size(), want_b.size()}, 8192,
                   [&] {
                     if (a.socket->outputLength() > 0 && b.socket->outputLength() > 0)
                       ++both_pending;
                   }))
      << "got " << a.got.size() << " and " << b.got.size();
  EXPECT_GE(both_pending, 3) << "the two sends did not overlap";
  EXPECT_EQ(a.got.size(), want_a.size());
  EXPECT_EQ(firstDifference(a.got, want_a), std::string::npos);
  EXPECT_EQ(b.got.size(), want_b.size());
  EXPECT_EQ(firstDifference(b.got, want_b), std::string::npos);
}

TEST_F(StreamSocketFileTest, QueuedFileOutlivesItsOwnerAndIsReleasedWhenSent) {
  // The cache may drop its entry while the body is in flight: the socket
  // keeps the file until it is sent, then lets it go.
  const std::string body = test::nonRepeatingBytes(1 * kMiB + 3, 91);
  auto file = SealedFile::create(body);
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(SealedFile::openCount(), base_open_ + 1);
  Conn& c = open(16 * 1024, 16 * 1024);
  queueResponse(c, "head\r\n", file, "tail\r\n");
  file.reset();
  EXPECT_EQ(SealedFile::openCount(), base_open_ + 1) << "released while queued";
  const std::string want = "head\r\n" + body + "tail\r\n";
  bool released_early = false;
  ASSERT_TRUE(pump({want.size()}, 8192, [&] {
    if (c.socket->outputLength() > 6 && SealedFile::openCount() == base_open_)
      released_early = true;
  }));
  EXPECT_FALSE(released_early) << "the file was closed before its bytes were sent";
  EXPECT_EQ(firstDifference(c.got, want), std::string::npos);
  EXPECT_EQ(SealedFile::openCount(), base_open_) << "the socket kept the file after sending it";
}

}  // namespace
}  // namespace courier::event
