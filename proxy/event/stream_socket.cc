#include "proxy/event/stream_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "proxy/buffer/sealed_file.h"

namespace courier::event {
namespace {
// One readv reserves this much; more arrives on the next loop turn.
constexpr size_t kReadSize = 64 << 10;
// At most this many chains go into one sendmsg (libevent's writev takes 128).
constexpr int kMaxWriteChains = 64;
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
    ssize_t written = writeSome();
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

void StreamSocket::sendAsFile(size_t position, std::shared_ptr<const SealedFile> file) {
  file_spans_.push_back({written_ + position, std::move(file)});
}

ssize_t StreamSocket::writeSome() {
  if (file_spans_.empty()) {
    int n = evbuffer_write(output_, fd_);
    if (n > 0) written_ += static_cast<uint64_t>(n);
    return n;
  }
  const FileSpan& span = file_spans_.front();
  if (span.start <= written_) {
    auto offset = static_cast<off_t>(written_ - span.start);
    size_t left = span.file->size() - static_cast<size_t>(offset);
    ssize_t n = ::sendfile(fd_, span.file->fd(), &offset, left);
    if (n < 0 && errno != EAGAIN && errno != EINTR && errno != EPIPE && errno != ECONNRESET) {
      // sendfile() itself refused (EINVAL, ENOSYS...): the bytes are in the
      // output as memory too, so they go out the ordinary way.
      file_spans_.erase(file_spans_.begin());
      return writeSome();
    }
    if (n <= 0) return n;
    evbuffer_drain(output_, static_cast<size_t>(n));
    written_ += static_cast<uint64_t>(n);
    if (static_cast<size_t>(n) == left) file_spans_.erase(file_spans_.begin());
    return n;
  }
  // The bytes before the file body (a response head): MSG_MORE holds them
  // back until sendfile adds the body, so both leave in one transmission.
  auto limit = static_cast<size_t>(span.start - written_);
  evbuffer_iovec chains[kMaxWriteChains];
  int count = std::min(
      evbuffer_peek(output_, static_cast<ev_ssize_t>(limit), nullptr, chains, kMaxWriteChains),
      kMaxWriteChains);
  iovec iov[kMaxWriteChains];
  size_t total = 0;
  for (int i = 0; i < count; ++i) {
    size_t len = std::min(chains[i].iov_len, limit - total);
    iov[i] = {chains[i].iov_base, len};
    total += len;
  }
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = static_cast<size_t>(count);
  ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | (total == limit ? MSG_MORE : 0));
  if (n <= 0) return n;
  evbuffer_drain(output_, static_cast<size_t>(n));
  written_ += static_cast<uint64_t>(n);
  return n;
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
