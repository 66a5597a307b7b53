#include "proxy/buffer/buffer.h"

#include <sys/uio.h>

#include "proxy/buffer/sealed_file.h"

namespace courier {

void Buffer::addFile(const std::shared_ptr<const SealedFile>& file) {
  if (!file || file->size() == 0) return;
  bool alone = empty();
  addReference(file->bytes(), file);
  if (alone) file_ = file;
}

const SealedFile* Buffer::fileBody() const {
  if (!file_ || !buf_) return nullptr;
  // The hint holds only while the bytes are still the file's mapping, whole
  // and alone: one reference chain at the mapping's address.
  iovec first{};
  if (evbuffer_get_length(buf_) != file_->size() ||
      evbuffer_peek(buf_, -1, nullptr, &first, 1) != 1 || first.iov_base != file_->bytes().data())
    return nullptr;
  return file_.get();
}

}  // namespace courier
