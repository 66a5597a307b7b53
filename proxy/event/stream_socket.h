// StreamSocket: a non-blocking TCP socket with input and output evbuffers,
// built for few syscalls per request (in place of libevent's bufferevent,
// which pays an epoll_ctl pair and an ioctl per exchange):
// - reads are one readv into reserved buffer space when epoll says readable;
// - writes are queued and flushed when the event that made them has been
//   handled (so a response's head and body leave in one writev); write
//   interest is registered only when the kernel's send buffer is full;
// - a file body marked with sendAsFile() goes out with sendfile(), after
//   the bytes before it sent with MSG_MORE (still two calls, one segment).
//
// Not thread-safe: belongs to one Dispatcher's thread. Destroying it closes
// the socket.
#pragma once

#include <event2/buffer.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proxy/event/dispatcher.h"

namespace courier {
class SealedFile;
}

namespace courier::event {

class StreamSocketHandler {
 public:
  virtual ~StreamSocketHandler() = default;
  // New bytes are in input().
  virtual void onSocketReadable() = 0;
  // The peer closed (EOF) or the socket failed; `error` is empty on a clean EOF.
  virtual void onSocketClosed(const std::string& error) = 0;
  // A connect() finished.
  virtual void onSocketConnected() {}
  // The output drained to the watermark set with notifyWhenDrained().
  virtual void onSocketDrained() {}
  // Sockets with coalesceWrites: the queued output is about to be written;
  // the last chance to add to it in this loop turn.
  virtual void onSocketFlush() {}
};

class StreamSocket {
 public:
  // `fd` < 0: call connect() before use.
  StreamSocket(Dispatcher& dispatcher, int fd, StreamSocketHandler* handler);
  ~StreamSocket();
  StreamSocket(const StreamSocket&) = delete;
  StreamSocket& operator=(const StreamSocket&) = delete;

  // Starts a non-blocking connect; the handler hears onSocketConnected or onSocketClosed.
  bool connect(const sockaddr* addr, socklen_t len, std::string& error);
  void setHandler(StreamSocketHandler* handler) { handler_ = handler; }

  evbuffer* input() const { return input_; }
  evbuffer* output() const { return output_; }
  size_t outputLength() const { return evbuffer_get_length(output_); }
  int fd() const { return fd_; }

  // Output was added: it is written when the current event is handled
  // (late in the loop turn with coalesceWrites).
  void scheduleWrite();
  // Write once per loop turn rather than once per event: for multiplexed
  // connections, whose writes come from many events (HTTP/2).
  void setCoalesceWrites(bool on) { coalesce_writes_ = on; }
  // Enables or disables reading (back-pressure, or a paused pipeline).
  void setReadEnabled(bool enabled);
  bool readEnabled() const { return read_enabled_; }
  // Reading also stops while input() holds `limit` bytes or more; call
  // checkReadLimit() after consuming input to resume.
  void setReadLimit(size_t limit) { read_limit_ = limit; }
  void checkReadLimit();
  // Calls onSocketDrained once the output is at or below `low` bytes.
  void notifyWhenDrained(size_t low);
  // The file's bytes sit at `position` in output() (a reference to its
  // mapping, Buffer::addFile): send them with sendfile() rather than copy
  // them, and send what precedes them with MSG_MORE so that it shares a
  // segment with them.
  void sendAsFile(size_t position, std::shared_ptr<const SealedFile> file);
  // Sends FIN after the queued output (half-close).
  void shutdownWrite();

  // Dispatcher: write what is queued now.
  void flush();

 private:
  static void onReadEvent(evutil_socket_t, short, void* arg);
  static void onWriteEvent(evutil_socket_t, short, void* arg);
  void readOnce();
  void updateReadEvent();
  void fail(int err);
  // One write: output up to the next file body (sendmsg), or from a file
  // body (sendfile). Bytes written, or -1 with errno.
  ssize_t writeSome();

  // A file body queued in output(), at an offset of the whole byte stream
  // this socket has sent and will send (written_ counts what went out).
  struct FileSpan {
    uint64_t start;
    std::shared_ptr<const SealedFile> file;
  };

  Dispatcher& dispatcher_;
  int fd_;
  StreamSocketHandler* handler_;
  evbuffer* input_;
  evbuffer* output_;
  ::event* read_event_ = nullptr;
  ::event* write_event_ = nullptr;
  std::vector<FileSpan> file_spans_;  // in stream order
  uint64_t written_ = 0;
  size_t read_limit_ = SIZE_MAX;
  size_t drained_watermark_ = 0;
  bool drain_wanted_ = false;  // someone asked for onSocketDrained
  bool read_enabled_ = true;
  bool read_event_added_ = false;
  bool write_event_added_ = false;
  bool connecting_ = false;
  bool shutdown_pending_ = false;
  bool scheduled_ = false;
  bool coalesce_writes_ = false;
  bool failed_ = false;
  bool* destroyed_ = nullptr;  // set while a read handler runs: it may destroy us
};

}  // namespace courier::event
