// Buffer: an owning RAII wrapper of a libevent evbuffer. Moving data between
// Buffers (and to/from sockets) relinks chains instead of copying bytes.
// The evbuffer is made on first use, so the many Buffers that a request
// never fills (held data, pending bodies) cost no allocation.
// Not thread-safe; a Buffer belongs to one worker.
#pragma once

#include <event2/buffer.h>

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace courier {

class SealedFile;

class Buffer {
 public:
  Buffer() = default;
  ~Buffer() {
    if (buf_) evbuffer_free(buf_);
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept : buf_(std::exchange(o.buf_, nullptr)), file_(std::move(o.file_)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    std::swap(buf_, o.buf_);
    std::swap(file_, o.file_);
    return *this;
  }

  size_t length() const { return buf_ ? evbuffer_get_length(buf_) : 0; }
  bool empty() const { return length() == 0; }
  void add(std::string_view s) { evbuffer_add(raw(), s.data(), s.size()); }
  // Moves all of `from` to the end of this buffer (zero-copy). A file body
  // moves along when this buffer was empty.
  void move(Buffer& from) {
    if (from.empty()) return;
    if (empty()) file_ = std::move(from.file_);
    from.file_.reset();
    evbuffer_add_buffer(raw(), from.buf_);
  }
  // Moves up to `n` bytes of `from` (zero-copy where chains allow).
  void move(Buffer& from, size_t n) {
    if (!from.empty()) evbuffer_remove_buffer(from.buf_, raw(), n);
  }
  // Adds `bytes` without copying them; `owner` keeps them alive until the
  // buffer lets go of them (possibly after the stream that added them).
  template <typename T>
  void addReference(std::string_view bytes, const std::shared_ptr<T>& owner) {
    if (bytes.empty()) return;
    auto* keep = new std::shared_ptr<T>(owner);
    evbuffer_add_reference(
        raw(), bytes.data(), bytes.size(),
        [](const void*, size_t, void* arg) { delete static_cast<std::shared_ptr<T>*>(arg); }, keep);
  }
  // Adds all of `file`'s bytes (a reference to its mapping, readable like
  // any other bytes). When they are the buffer's only bytes, the buffer
  // also remembers the file, so a socket can send them with sendfile()
  // (see fileBody()).
  void addFile(const std::shared_ptr<const SealedFile>& file);
  // The file whose bytes are exactly this buffer's, or nullptr. Checked
  // against the bytes themselves: a buffer changed since addFile() (or
  // moved into another) has none.
  const SealedFile* fileBody() const;
  const std::shared_ptr<const SealedFile>& fileBodyOwner() const { return file_; }
  void drain(size_t n) {
    if (buf_) evbuffer_drain(buf_, n);
  }
  void clear() {
    drain(length());
    file_.reset();  // let the file go with its bytes
  }
  // Copies the contents out (tests and small bodies only).
  std::string toString() const {
    std::string s(length(), '\0');
    if (buf_) evbuffer_copyout(buf_, s.data(), s.size());
    return s;
  }
  // The evbuffer, made now if needed.
  evbuffer* raw() {
    if (!buf_) buf_ = evbuffer_new();
    return buf_;
  }

 private:
  evbuffer* buf_ = nullptr;
  std::shared_ptr<const SealedFile> file_;  // a hint; fileBody() checks it
};

}  // namespace courier
