// H2Stream: one request/response exchange on an upstream HTTP/2 connection
// (H2ClientConnection), as its owner (the router) sees it.
//
// Ownership: the connection owns its streams; a stream lives until nghttp2
// closes it (or the connection goes). The owner holds a plain pointer that
// stays valid until one of these ends it:
// - the final response callback (headers or data with end_stream, or
//   trailers) or onStreamFailure(): the stream has detached itself first;
// - the owner's own detach(), which resets the stream if it is still open.
// After that the owner must not touch the stream again.
//
// Flow control: the connection window is returned as soon as DATA arrives;
// this stream's window only while its owner reads (setResponseReadEnabled),
// so a slow client stalls its own stream and never the connection.
//
// Re-entrancy: callbacks run inside nghttp2's callbacks (or while the
// connection closes); the owner may call encode*, detach() or start other
// streams from them. Threading: one worker.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"
#include "proxy/http/http2_headers.h"
#include "proxy/http/http2_session.h"

namespace courier::upstream {

class H2ClientConnection;

enum class H2StreamFailure {
  Refused,      // the origin did not process it (REFUSED_STREAM, or above a GOAWAY's last id)
  Reset,        // RST_STREAM from the origin, or the connection ended mid-stream
  BadResponse,  // malformed response (protocol error, headers over the limit)
};

class H2StreamCallbacks {
 public:
  virtual ~H2StreamCallbacks() = default;
  virtual void onResponseHeaders(std::unique_ptr<http::ResponseHeaders> headers,
                                 bool end_stream) = 0;
  // Drains `data` (or leaves it; it is dropped). May be empty with end_stream.
  virtual void onResponseData(Buffer& data, bool end_stream) = 0;
  // Ends the response.
  virtual void onResponseTrailers(std::unique_ptr<http::HeaderMap> trailers) = 0;
  // The stream ended without a complete response.
  virtual void onStreamFailure(H2StreamFailure failure, std::string_view details) = 0;
  // The request body queued for this stream went over the high (true) or
  // back under the low (false) watermark: pause or resume the client.
  virtual void onRequestBodyWatermark(bool above_high) = 0;
};

class H2Stream {
 public:
  // Request body bytes queued toward the origin before the owner is told to
  // pause the client, and where it may resume.
  static constexpr size_t kBodyHighWatermark = 1 << 20;
  static constexpr size_t kBodyLowWatermark = 256 << 10;

  H2Stream(H2ClientConnection& connection, H2StreamCallbacks& callbacks, size_t max_header_bytes);
  H2Stream(const H2Stream&) = delete;
  H2Stream& operator=(const H2Stream&) = delete;

  // Drains `data`; the bytes go out as the peer's flow control allows.
  void encodeData(Buffer& data, bool end_stream);
  // Ends the request (copied: the caller's map may go).
  void encodeTrailers(const http::HeaderMap& trailers);
  // Back-pressure from the client: false stops returning this stream's
  // receive window to the origin, true returns what was held.
  void setResponseReadEnabled(bool enabled);
  // The owner is done: no more callbacks; RST_STREAM(CANCEL) if the stream
  // is still open and the request or response is unfinished.
  void detach();

  int32_t id() const { return id_; }

 private:
  friend class H2ClientConnection;
  static ssize_t readCallback(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                              size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                              void* user_data);

  // Called by the connection (from nghttp2's callbacks).
  void onBeginHeaders();
  bool onHeader(std::string_view name, std::string_view value);  // false: reset the stream
  void onHeadersFrame(bool end_stream);
  void onDataChunk(const uint8_t* data, size_t length);
  void onDataFrame(bool end_stream);
  void onPeerReset(uint32_t error_code);
  void onInvalidFrame(std::string_view why);
  void onRequestSent() { request_sent_ = true; }
  void onClose(uint32_t error_code);
  // The connection is gone.
  void onConnectionLost(std::string_view why);
  int sendData(evbuffer* out, size_t high_watermark, const uint8_t* framehd, size_t length,
               size_t padlen);

  // Hands the owner's last callback over: the stream is no longer theirs.
  H2StreamCallbacks* takeCallbacks();
  void fail(H2StreamFailure failure, std::string_view details);
  void consume(size_t length);

  H2ClientConnection& connection_;
  H2StreamCallbacks* callbacks_;
  size_t max_header_bytes_;
  int32_t id_ = -1;
  http2::OutboundBody body_;
  std::unique_ptr<http2::ResponseBuilder> response_;
  std::unique_ptr<http2::TrailersBuilder> trailers_;
  Buffer response_data_;
  size_t unconsumed_ = 0;  // received, not yet returned to the stream window
  std::string error_;      // why the response is bad, once it is
  bool headers_done_ = false;
  bool response_started_ = false;
  bool request_ended_ = false;  // the owner gave the request's end
  bool request_sent_ = false;   // END_STREAM went out
  bool read_enabled_ = true;
  bool body_above_high_ = false;
  bool peer_reset_ = false;

 public:
  // Where the connection keeps this stream (O(1) removal).
  std::list<std::unique_ptr<H2Stream>>::iterator slot;
};

}  // namespace courier::upstream
