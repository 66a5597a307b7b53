// EntryBody: a stored response body. Small bodies live on the heap; a body
// of kFileBodyMinBytes or more, stored by the cache, lives in a SealedFile,
// so an HTTP/1.1 hit sends it with sendfile() instead of copying it into
// the socket (that copy was a third of the CPU of a 64 KiB hit). Either
// way view() gives the bytes as memory. Copies share the file.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "proxy/buffer/sealed_file.h"

namespace courier::filters::cache {

// Below this a body stays on the heap: a descriptor and whole pages per
// entry cost more than copying a few KiB per hit saves.
inline constexpr size_t kFileBodyMinBytes = 16 * 1024;

class EntryBody {
 public:
  EntryBody() = default;
  // On the heap, whatever the size (tests, vary markers).
  EntryBody(std::string bytes) : heap_(std::move(bytes)) {}  // NOLINT: implicit by design
  EntryBody(const char* bytes) : heap_(bytes) {}             // NOLINT
  // Where the cache keeps `parts` (joined): a sealed file from
  // kFileBodyMinBytes up when one can be had, else the heap.
  static EntryBody forCache(const std::string_view* parts, size_t count);
  static EntryBody forCache(std::string_view bytes) { return forCache(&bytes, 1); }

  std::string_view view() const { return file_ ? file_->bytes() : std::string_view(heap_); }
  size_t size() const { return file_ ? file_->size() : heap_.size(); }
  bool empty() const { return size() == 0; }
  // The file holding the bytes, or nullptr when they are on the heap.
  const std::shared_ptr<const SealedFile>& file() const { return file_; }
  // What the bytes occupy (a file takes whole pages).
  size_t residentBytes() const { return file_ ? file_->residentBytes() : heap_.size(); }

  bool operator==(const EntryBody& other) const { return view() == other.view(); }

 private:
  std::string heap_;
  std::shared_ptr<const SealedFile> file_;
};

}  // namespace courier::filters::cache
