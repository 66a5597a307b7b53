// SealedFile: immutable bytes in an anonymous memory file (memfd), so that
// a socket can send them with sendfile() instead of copying them out of
// user memory on every write. The bytes are also mapped read-only, for
// readers that need them as memory (HTTP/2 framing, compression, Redis).
//
// The file is sealed (no write, grow or shrink) before anyone sees it, and
// the kernel keeps its pages alive while a socket still references them,
// so bytes in flight never change even after the last owner lets go.
//
// Every file holds a descriptor; a process-wide budget (half the open-files
// limit) keeps them from starving connections. create() returns nullptr
// when the budget is spent or the kernel refuses (no memfd, EMFILE): the
// caller keeps its bytes on the heap instead.
//
// Thread-safe: immutable after create(); share it with shared_ptr.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace courier {

class SealedFile {
 public:
  // A file holding `parts` one after the other, or nullptr (see above).
  static std::shared_ptr<const SealedFile> create(const std::string_view* parts, size_t count);
  static std::shared_ptr<const SealedFile> create(std::string_view bytes) {
    return create(&bytes, 1);
  }
  ~SealedFile();
  SealedFile(const SealedFile&) = delete;
  SealedFile& operator=(const SealedFile&) = delete;

  int fd() const { return fd_; }
  std::string_view bytes() const { return {data_, size_}; }
  size_t size() const { return size_; }
  // The memory it occupies: whole pages.
  size_t residentBytes() const;

  // Files open now, and how many may be (tests and /stats).
  static size_t openCount();
  static size_t budget();

 private:
  SealedFile(int fd, const char* data, size_t size) : fd_(fd), data_(data), size_(size) {}
  int fd_;
  const char* data_;
  size_t size_;
};

}  // namespace courier
