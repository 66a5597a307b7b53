// Finds a complete HTTP/1.1 head (up to CRLF CRLF) in an evbuffer and copies
// it out once into owned storage that the parsed HeaderMap then adopts.
#pragma once

#include <event2/buffer.h>

#include <cstddef>
#include <memory>

namespace courier::http1 {

// Framing lines (chunk sizes, trailer sections) are parsed from a contiguous
// window at the front of the input: small by default, widened when a line
// (a large trailer section) crosses it, up to a size no valid line reaches.
inline constexpr size_t kFramingWindow = 4096;
inline constexpr size_t kMaxFramingWindow = 128 << 10;

class HeadReader {
 public:
  enum class State { Incomplete, TooLarge, Complete };

  // Looks for the end of the head in `in`. On Complete, the head's bytes are
  // removed from `in` into storage() (length()). Leading empty lines before
  // a request line are dropped (RFC 9112 §2.2) when `skip_leading_crlf`.
  State read(evbuffer* in, size_t max_bytes, bool skip_leading_crlf);
  std::unique_ptr<char[]> takeStorage() { return std::move(storage_); }
  char* data() { return storage_.get(); }
  size_t length() const { return length_; }
  // Forget any partial search (a new message starts).
  void reset() { searched_ = 0; }

 private:
  std::unique_ptr<char[]> storage_;
  size_t length_ = 0;
  size_t searched_ = 0;  // bytes already known not to end the head
};

}  // namespace courier::http1
