#include "proxy/event/stream_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace courier::event {
namespace {
// One readv reserves this much; more arrives on the next loop turn.
constexpr size_t kReadSize = 64 << 10;
}  // namespace

StreamSocket::StreamSocket(Dispatcher& dispatcher, int fd, StreamSocketHandler* handler)
    : dispatcher_(dispatcher),
      fd_(fd),
      handler_(handler),
      input_(evbuffer_new()),
      output_(evbuffer_new()) {
  if (fd_ >= 0) {
    int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    read_event_ =
        event_new(dispatcher_.base(), fd_, EV_READ | EV_PERSIST, &StreamSocket::onReadEvent, this);
    write_event_ = event_new(dispatcher_.base(), fd_, EV_WRITE | EV_PERSIST,
                             &StreamSocket::onWriteEvent, this);
    updateReadEvent();
  }
}

StreamSocket::~StreamSocket() {
  if (destroyed_) *destroyed_ = true;
  if (scheduled_) dispatcher_.cancelFlush(this);
  if (read_event_) event_free(read_event_);
  if (write_event_) event_free(write_event_);
  if (fd_ >= 0) close(fd_);
  evbuffer_free(input_);
  evbuffer_free(output_);
}

bool StreamSocket::connect(const sockaddr* addr, socklen_t len, std::string& error) {
  fd_ = socket(addr->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error = strerror(errno);
    return false;
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  read_event_ =
      event_new(dispatcher_.base(), fd_, EV_READ | EV_PERSIST, &StreamSocket::onReadEvent, this);
  write_event_ =
      event_new(dispatcher_.base(), fd_, EV_WRITE | EV_PERSIST, &StreamSocket::onWriteEvent, this);
  if (::connect(fd_, addr, len) != 0 && errno != EINPROGRESS) {
    error = strerror(errno);
    return false;
  }
  // Writable means the connect finished, either way (SO_ERROR tells which).
  connecting_ = true;
  event_add(write_event_, nullptr);
  write_event_added_ = true;
  return true;
}

void StreamSocket::updateReadEvent() {
  bool want =
      read_enabled_ && !connecting_ && !failed_ && evbuffer_get_length(input_) < read_limit_;
  if (want == read_event_added_ || !read_event_) return;
  if (want) {
    event_add(read_event_, nullptr);
  } else {
    event_del(read_event_);
  }
  read_event_added_ = want;
}

void StreamSocket::setReadEnabled(bool enabled) {
  read_enabled_ = enabled;
  updateReadEvent();
}

void StreamSocket::checkReadLimit() {
  updateReadEvent();
}

void StreamSocket::onReadEvent(evutil_socket_t, short, void* arg) {
  static_cast<StreamSocket*>(arg)->readOnce();
}

void StreamSocket::readOnce() {
  evbuffer_iovec vec[2];
  int n = evbuffer_reserve_space(input_, kReadSize, vec, 2);
  iovec iov[2];
  for (int i = 0; i < n; ++i) iov[i] = {vec[i].iov_base, vec[i].iov_len};
  ssize_t got = readv(fd_, iov, n);
  if (got < 0) {
    evbuffer_commit_space(input_, vec, 0);
    if (errno == EAGAIN || errno == EINTR) return;
    fail(errno);
    return;
  }
  if (got == 0) {
    evbuffer_commit_space(input_, vec, 0);
    failed_ = true;
    updateReadEvent();
    handler_->onSocketClosed(std::string());
    return;
  }
  size_t left = static_cast<size_t>(got);
  for (int i = 0; i < n; ++i) {
    size_t used = std::min(left, vec[i].iov_len);
    vec[i].iov_len = used;
    left -= used;
  }
  evbuffer_commit_space(input_, vec, n);
  bool destroyed = false;
  destroyed_ = &destroyed;
  Dispatcher& dispatcher = dispatcher_;  // outlives this socket
  handler_->onSocketReadable();
  if (destroyed) {  // the handler closed this socket
    dispatcher.flushScheduled();
    return;
  }
  destroyed_ = nullptr;
  updateReadEvent();
  dispatcher_.flushScheduled();
}

void StreamSocket::scheduleWrite() {
  if (scheduled_ || write_event_added_ || failed_) return;
  scheduled_ = true;
  dispatcher_.scheduleFlush(this, coalesce_writes_);
}

void StreamSocket::flush() {
  scheduled_ = false;
  if (failed_ || connecting_) return;
  if (coalesce_writes_) handler_->onSocketFlush();
  while (evbuffer_get_length(output_) > 0) {
    int written = evbuffer_write(output_, fd_);
    if (written < 0) {
      if (errno == EAGAIN || errno == EINTR) break;
      fail(errno);
      return;
    }
    if (written == 0) break;
  }
  size_t left = evbuffer_get_length(output_);
  if (left > 0 && !write_event_added_) {
    event_add(write_event_, nullptr);
    write_event_added_ = true;
  } else if (left == 0 && write_event_added_) {
    event_del(write_event_);
    write_event_added_ = false;
  }
  if (left == 0 && shutdown_pending_) {
    shutdown_pending_ = false;
    ::shutdown(fd_, SHUT_WR);
  }
  if (drain_wanted_ && left <= drained_watermark_) {
    drain_wanted_ = false;
    handler_->onSocketDrained();
  }
}

void StreamSocket::onWriteEvent(evutil_socket_t, short, void* arg) {
  auto* self = static_cast<StreamSocket*>(arg);
  if (self->connecting_) {
    self->connecting_ = false;
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(self->fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      self->fail(err);
      return;
    }
    event_del(self->write_event_);
    self->write_event_added_ = false;
    self->updateReadEvent();
    self->handler_->onSocketConnected();
    return;
  }
  self->flush();
}

void StreamSocket::notifyWhenDrained(size_t low) {
  drained_watermark_ = low;
  drain_wanted_ = true;
}

void StreamSocket::shutdownWrite() {
  if (evbuffer_get_length(output_) == 0 && !failed_) {
    ::shutdown(fd_, SHUT_WR);
  } else {
    shutdown_pending_ = true;
  }
}

void StreamSocket::fail(int err) {
  if (failed_) return;
  failed_ = true;
  updateReadEvent();
  if (write_event_added_) {
    event_del(write_event_);
    write_event_added_ = false;
  }
  handler_->onSocketClosed(err ? strerror(err) : "connection closed");
}

}  // namespace courier::event
