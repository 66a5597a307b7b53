// The protocol-neutral seam between codecs (HTTP/1.1 now, HTTP/2 later) and
// the streams above them. A server codec turns downstream bytes into
// RequestDecoder calls and ResponseEncoder calls into downstream bytes; one
// RequestDecoder/ResponseEncoder pair per stream. Nothing above this file
// knows which protocol carried a request.
//
// Threading: everything here runs on the worker that owns the connection.
#pragma once

#include <memory>
#include <string_view>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"

namespace courier::http {

// Implemented by a codec: sends one stream's response downstream.
class ResponseEncoder {
 public:
  virtual ~ResponseEncoder() = default;
  virtual void encodeHeaders(const ResponseHeaders& headers, bool end_stream) = 0;
  // Drains `data`.
  virtual void encodeData(Buffer& data, bool end_stream) = 0;
  // Ends the stream.
  virtual void encodeTrailers(const HeaderMap& trailers) = 0;
  // Abandons the stream mid-response (the only honest thing once headers
  // are sent and the upstream failed): HTTP/1.1 closes the connection.
  virtual void resetStream() = 0;
};

// Implemented by the stream: receives one request from a codec.
class RequestDecoder {
 public:
  virtual ~RequestDecoder() = default;
  virtual void decodeHeaders(std::unique_ptr<RequestHeaders> headers, bool end_stream) = 0;
  // May be called with an empty buffer and end_stream = true.
  virtual void decodeData(Buffer& data, bool end_stream) = 0;
  // Ends the request.
  virtual void decodeTrailers(std::unique_ptr<HeaderMap> trailers) = 0;
};

// Implemented by the connection manager.
class ServerCodecCallbacks {
 public:
  virtual ~ServerCodecCallbacks() = default;
  // A new request begins; the returned decoder lives until the stream ends.
  virtual RequestDecoder& newStream(ResponseEncoder& encoder) = 0;
  // The downstream sent something that cannot be parsed; the codec will
  // answer `status` (a SPEC error code such as "bad_request") and close.
  virtual void onProtocolError(int status, std::string_view error_code,
                               std::string_view details) = 0;
};

}  // namespace courier::http
