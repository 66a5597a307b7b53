// ServerStream: one HTTP/2 stream of a downstream connection. Assembles the
// request from HEADERS/DATA frames into an ActiveStream (as RequestDecoder
// calls) and sends the ActiveStream's response as HEADERS/DATA frames (it
// is the stream's ResponseEncoder).
//
// Back-pressure, request side: while the ActiveStream has reading paused,
// DATA is held here and the stream's window is not returned, so the client
// can send at most one window ahead. Response side: the body waits in an
// OutboundBody until flow control lets nghttp2 take it; past kBodyHighMark
// the ActiveStream is told to pause its producer (onDownstreamWatermark).
//
// Owned by its ServerConnection; freed (deferred) after nghttp2 closes it.
#pragma once

#include <nghttp2/nghttp2.h>

#include <list>
#include <memory>

#include "proxy/event/dispatcher.h"
#include "proxy/event/timer.h"
#include "proxy/http/active_stream.h"
#include "proxy/http/http2_headers.h"
#include "proxy/http/http2_session.h"

namespace courier::http2 {

class ServerConnection;

class ServerStream : public event::DeferredDeletable,
                     public http::ResponseEncoder,
                     public http::StreamConnection {
 public:
  // Response body bytes queued per stream before its producer pauses.
  static constexpr size_t kBodyHighMark = 512 << 10;
  static constexpr size_t kBodyLowMark = 128 << 10;
  // HPACK-decoded header lists this many times max_header_bytes are not an
  // honest large request but a decompression bomb: the connection ends.
  static constexpr size_t kBombFactor = 4;

  ServerStream(ServerConnection& connection, int32_t id);
  ~ServerStream() override;

  int32_t id() const { return id_; }
  // Where the connection lists the stream (O(1) removal).
  std::list<std::unique_ptr<ServerStream>>::iterator slot;

  // Receiving. onField returns an nghttp2 callback result (0, or
  // NGHTTP2_ERR_PAUSE once the connection was terminated).
  int onField(std::string_view name, std::string_view value);
  void onHeadersComplete(bool end_stream);
  void onData(const uint8_t* data, size_t length);
  void onEndStream();
  // nghttp2 closed the stream (or the connection went): the ActiveStream
  // completes, as a reset unless the response's last frame went out.
  void onClose();
  // A frame with END_STREAM (or RST_STREAM) went out for this stream.
  void onResponseEndSent();
  bool requestStarted() const { return active_ != nullptr; }

  // nghttp2's data source for the response body.
  ssize_t readBody(size_t length, uint32_t* data_flags);
  int sendBody(const uint8_t* framehd, size_t length, size_t padlen, size_t high_watermark);

  // http::ResponseEncoder
  void encodeHeaders(const http::ResponseHeaders& headers, bool end_stream) override;
  void encodeData(Buffer& data, bool end_stream) override;
  void encodeTrailers(const http::HeaderMap& trailers) override;
  void resetStream() override;
  // http::StreamConnection
  void setDownstreamReadEnabled(bool enabled) override;
  void onStreamWrote() override;

 private:
  void startRequest(bool end_stream);
  void deliverHeld();
  void checkBodyMark();

  ServerConnection& connection_;
  const int32_t id_;
  std::unique_ptr<RequestBuilder> request_;
  std::unique_ptr<TrailersBuilder> trailers_;
  std::unique_ptr<http::ActiveStream> active_;
  size_t header_list_bytes_ = 0;  // RFC 9113 §6.5.2 accounting: name + value + 32
  Buffer chunk_;                  // a DATA frame's bytes on their way to the chain
  Buffer held_;                   // request body held while reading is paused
  std::unique_ptr<http::HeaderMap> held_trailers_;
  event::Timer resume_timer_;  // delivers held_ on the next loop turn
  OutboundBody body_;
  bool oversize_ = false;
  bool head_request_ = false;
  bool held_end_ = false;
  bool request_ended_ = false;
  bool read_paused_ = false;
  bool response_started_ = false;
  bool response_ended_ = false;  // the chain gave the response's end
  bool end_sent_ = false;        // ... and its last frame went out
  bool body_above_high_ = false;
  bool closed_ = false;
};

}  // namespace courier::http2
