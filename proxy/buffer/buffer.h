// Buffer: an owning RAII wrapper of a libevent evbuffer. Moving data between
// Buffers (and to/from sockets) relinks chains instead of copying bytes.
// Not thread-safe; a Buffer belongs to one worker.
#pragma once

#include <event2/buffer.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace courier {

class Buffer {
 public:
  Buffer() : buf_(evbuffer_new()) {}
  ~Buffer() {
    if (buf_) evbuffer_free(buf_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : buf_(o.buf_) { o.buf_ = nullptr; }
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(buf_, o.buf_);
    return *this;
  }

  size_t length() const { return buf_ ? evbuffer_get_length(buf_) : 0; }
  bool empty() const { return length() == 0; }
  void add(std::string_view s) { evbuffer_add(buf_, s.data(), s.size()); }
  // Moves all of `from` to the end of this buffer (zero-copy).
  void move(Buffer& from) { evbuffer_add_buffer(buf_, from.buf_); }
  // Moves up to `n` bytes of `from` (zero-copy where chains allow).
  void move(Buffer& from, size_t n) { evbuffer_remove_buffer(from.buf_, buf_, n); }
  void drain(size_t n) { evbuffer_drain(buf_, n); }
  void clear() { evbuffer_drain(buf_, length()); }
  // Copies the contents out (tests and small bodies only).
  std::string toString() const {
    std::string s(length(), '\0');
    evbuffer_copyout(buf_, s.data(), s.size());
    return s;
  }
  evbuffer* raw() const { return buf_; }

 private:
  evbuffer* buf_;
};

}  // namespace courier
