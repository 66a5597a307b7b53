// Http1ClientCodec: the upstream side of HTTP/1.1 for one exchange on one
// pooled connection: writes the request, parses the response.
// Owned by the router's upstream request; runs on its worker.
#pragma once

#include <event2/buffer.h>

#include <memory>
#include <string_view>

#include "proxy/buffer/buffer.h"
#include "proxy/http/header_map.h"
#include "proxy/http/http1_head_reader.h"
#include "proxy/http/http1_parser.h"

namespace courier::http1 {

class ClientCodecCallbacks {
 public:
  virtual ~ClientCodecCallbacks() = default;
  virtual void onResponseHeaders(std::unique_ptr<http::ResponseHeaders> headers,
                                 bool end_stream) = 0;
  virtual void onResponseData(Buffer& data, bool end_stream) = 0;
  virtual void onResponseTrailers(std::unique_ptr<http::HeaderMap> trailers) = 0;
  // The response cannot be parsed: the exchange is over (502).
  virtual void onResponseError(std::string_view reason) = 0;
};

class Http1ClientCodec {
 public:
  Http1ClientCodec(ClientCodecCallbacks& callbacks, evbuffer* output, size_t max_header_bytes);

  void encodeHeaders(const http::RequestHeaders& headers, bool end_stream);
  void encodeData(Buffer& data, bool end_stream);
  void encodeTrailers(const http::HeaderMap& trailers);

  void dispatch(evbuffer* input);
  // The upstream closed its side. True if that legally ended the response.
  bool onUpstreamClosed();

  bool responseComplete() const { return state_ == State::Done; }
  bool requestComplete() const { return request_complete_; }
  // May this connection carry another request?
  bool reusable() const { return keep_alive_ && request_complete_ && state_ == State::Done; }

 private:
  enum class State { Head, Body, Done };
  void onHead();
  void onBody(evbuffer* input);
  void fail(std::string_view reason);

  ClientCodecCallbacks& callbacks_;
  evbuffer* output_;
  size_t max_header_bytes_;
  HeadReader head_reader_;
  BodyDecoder body_;
  Buffer body_chunk_;
  std::string_view request_method_;
  State state_ = State::Head;
  bool request_chunked_ = false;
  bool request_complete_ = false;
  bool keep_alive_ = true;
  bool failed_ = false;
};

}  // namespace courier::http1
