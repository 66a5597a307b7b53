// Glue shared by the HTTP/2 server connection (downstream) and client
// connection (upstream): the nghttp2_session owner, and a stream's outbound
// body queue that nghttp2 pulls DATA frames from without copying.
//
// Zero-copy sending: the data source answers NGHTTP2_DATA_FLAG_NO_COPY and
// the session's send_data callback moves the frame's bytes from the
// stream's Buffer to the socket's output (evbuffer chains are relinked, not
// copied). Threading: one worker; nothing here locks.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"

namespace courier::http2 {

struct SessionDeleter {
  void operator()(nghttp2_session* s) const { nghttp2_session_del(s); }
};
using SessionPtr = std::unique_ptr<nghttp2_session, SessionDeleter>;

struct OptionDeleter {
  void operator()(nghttp2_option* o) const { nghttp2_option_del(o); }
};
using OptionPtr = std::unique_ptr<nghttp2_option, OptionDeleter>;

struct CallbacksDeleter {
  void operator()(nghttp2_session_callbacks* c) const { nghttp2_session_callbacks_del(c); }
};
using CallbacksPtr = std::unique_ptr<nghttp2_session_callbacks, CallbacksDeleter>;

// What one stream still has to send after its HEADERS: body bytes, then
// either END_STREAM on the last DATA frame or a trailers HEADERS frame.
class OutboundBody {
 public:
  // Appends (drains `data`); `end_stream` marks the end of the body.
  void append(Buffer& data, bool end_stream) {
    data_.move(data);
    end_ = end_ || end_stream;
  }
  // Trailers end the stream after the body.
  void setTrailers(std::unique_ptr<http::HeaderMap> trailers) {
    trailers_ = std::move(trailers);
    end_ = true;
  }
  size_t buffered() const { return data_.length(); }
  bool ended() const { return end_; }
  http::HeaderMap* trailers() const { return trailers_.get(); }
  Buffer& data() { return data_; }

  // nghttp2_data_source_read_callback's work: how many bytes the next DATA
  // frame carries (NO_COPY), whether it ends the stream, or DEFERRED while
  // nothing is queued. When trailers follow, the last DATA frame carries
  // NO_END_STREAM and `*submit_trailers` is set: the caller then submits
  // them with nghttp2_submit_trailer.
  ssize_t read(size_t length, uint32_t* data_flags, bool* submit_trailers);

 private:
  Buffer data_;
  std::unique_ptr<http::HeaderMap> trailers_;
  bool end_ = false;
};

// The send_callback's work (nghttp2_session_send): queues serialised frames
// on `out`, or answers NGHTTP2_ERR_WOULDBLOCK while `out` holds
// `high_watermark` bytes or more (the session keeps them until the socket
// drains: back-pressure toward a client that does not read).
ssize_t queueBytes(evbuffer* out, size_t high_watermark, const uint8_t* data, size_t length);

// The send_data callback's work: writes the 9-byte frame header, `length`
// body bytes moved from `body` (no copy) and padding to `out`; WOULDBLOCK
// as queueBytes.
int queueDataFrame(evbuffer* out, size_t high_watermark, const uint8_t* framehd, Buffer& body,
                   size_t length, size_t padlen);

// Feeds `in` to the session and drains what it consumed. Returns nghttp2's
// error code (0 on success); on error the connection must end.
int receive(nghttp2_session* session, evbuffer* in);

}  // namespace courier::http2
