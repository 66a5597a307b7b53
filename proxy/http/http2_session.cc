#include "proxy/http/http2_session.h"

#include <algorithm>

namespace courier::http2 {

ssize_t OutboundBody::read(size_t length, uint32_t* data_flags, bool* submit_trailers) {
  *submit_trailers = false;
  size_t n = std::min(length, data_.length());
  *data_flags |= NGHTTP2_DATA_FLAG_NO_COPY;
  if (n == data_.length() && end_) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    if (trailers_) {
      *data_flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
      *submit_trailers = true;
    }
    return static_cast<ssize_t>(n);
  }
  if (n == 0) return NGHTTP2_ERR_DEFERRED;
  return static_cast<ssize_t>(n);
}

ssize_t queueBytes(evbuffer* out, size_t high_watermark, const uint8_t* data, size_t length) {
  if (evbuffer_get_length(out) >= high_watermark) return NGHTTP2_ERR_WOULDBLOCK;
  evbuffer_add(out, data, length);
  return static_cast<ssize_t>(length);
}

int queueDataFrame(evbuffer* out, size_t high_watermark, const uint8_t* framehd, Buffer& body,
                   size_t length, size_t padlen) {
  if (evbuffer_get_length(out) >= high_watermark) return NGHTTP2_ERR_WOULDBLOCK;
  evbuffer_add(out, framehd, 9);
  if (padlen > 0) {
    uint8_t pad_length = static_cast<uint8_t>(padlen - 1);
    evbuffer_add(out, &pad_length, 1);
  }
  if (length > 0) evbuffer_remove_buffer(body.raw(), out, length);
  if (padlen > 1) {
    static const uint8_t kZeros[256] = {};
    evbuffer_add(out, kZeros, padlen - 1);
  }
  return 0;
}

int receive(nghttp2_session* session, evbuffer* in) {
  while (evbuffer_get_length(in) > 0) {
    // One contiguous chain segment at a time: no pullup (copy) needed.
    evbuffer_iovec vec;
    if (evbuffer_peek(in, -1, nullptr, &vec, 1) < 1) return 0;
    ssize_t n =
        nghttp2_session_mem_recv(session, static_cast<const uint8_t*>(vec.iov_base), vec.iov_len);
    if (n < 0) return static_cast<int>(n);
    evbuffer_drain(in, static_cast<size_t>(n));
    if (static_cast<size_t>(n) < vec.iov_len) return 0;  // paused
  }
  return 0;
}

}  // namespace courier::http2
