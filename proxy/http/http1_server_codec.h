// Http1ServerCodec: the downstream side of HTTP/1.1 on one connection.
//
// Parses requests from the connection's input buffer into RequestDecoder
// calls and writes the response that the stream encodes. One request at a
// time: pipelined requests wait in the input buffer until the current
// response is complete, which keeps responses in order without holding
// more than one stream per connection.
//
// Owned by the ConnectionManager; runs on its worker thread.
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <memory>

#include "proxy/http/codec.h"
#include "proxy/http/http1_head_reader.h"
#include "proxy/http/http1_parser.h"

namespace courier {
class SealedFile;
}

namespace courier::http1 {

class ServerCodecEvents {
 public:
  virtual ~ServerCodecEvents() = default;
  // The response finished; the connection may carry the next request if
  // keepAlive() says so.
  virtual void onResponseComplete() = 0;
  // The stream was abandoned mid-response: close the connection now.
  virtual void onResponseReset() = 0;
  // The response ended before the request body did, and the codec read and
  // dropped the rest of that body: the connection may take the next request.
  virtual void onRequestBodyDiscarded() = 0;
  // The file's bytes were queued at `position` in the output (see
  // StreamSocket::sendAsFile).
  virtual void onFileBodyQueued(size_t /*position*/,
                                const std::shared_ptr<const SealedFile>& /*file*/) {}
};

class Http1ServerCodec : public http::ResponseEncoder {
 public:
  struct Settings {
    size_t max_header_bytes = 65536;
    uint64_t max_body_bytes = 16ull << 20;
  };

  Http1ServerCodec(http::ServerCodecCallbacks& callbacks, ServerCodecEvents& events,
                   evbuffer* output, const Settings& settings);

  // Parses what `input` holds, as far as the current state allows.
  void dispatch(evbuffer* input);
  // Is the codec waiting for (the rest of) a request head? (header timeout)
  bool awaitingHead() const { return state_ == State::Idle; }
  bool keepAlive() const { return keep_alive_; }
  // Make the next response close the connection (drain).
  void disableKeepAlive() { keep_alive_ = false; }
  // Stop parsing for good (the connection is closing).
  void stop() { stopped_ = true; }
  // After onResponseComplete with keepAlive(): accept the next request.
  void resetForNextRequest();
  bool requestComplete() const { return state_ == State::AwaitResponse || state_ == State::Done; }
  // After onResponseComplete: the rest of the request body is being read
  // and dropped; onRequestBodyDiscarded follows (or the connection fails).
  bool discardingBody() const { return state_ == State::Discard; }
  // A response that ends before its request body may leave at most this
  // much of the body unread for the connection to be kept: reading and
  // dropping a little is cheaper than a new connection (nginx does the
  // same); more is not worth the bandwidth.
  static constexpr uint64_t kMaxDiscardBytes = 256 * 1024;

  // http::ResponseEncoder
  void encodeHeaders(const http::ResponseHeaders& headers, bool end_stream) override;
  void encodeData(Buffer& data, bool end_stream) override;
  void encodeTrailers(const http::HeaderMap& trailers) override;
  void resetStream() override;

 private:
  // Queues response body bytes, saying so when they are a file's.
  void addBody(Buffer& data);
  enum class State { Idle, Body, AwaitResponse, Done, Discard };

  void onHead();
  void rejectEarly(evbuffer* input);
  void onBody(evbuffer* input);
  void discardBody(evbuffer* input);
  // Whether the unread rest of the request body is small enough to drop.
  bool bodyDiscardable() const;
  void protocolError(const ParseError& error, std::string_view code);
  void responseComplete();

  http::ServerCodecCallbacks& callbacks_;
  ServerCodecEvents& events_;
  evbuffer* output_;
  Settings settings_;
  HeadReader head_reader_;
  ParsedRequestHead parsed_;
  BodyDecoder body_;
  http::RequestDecoder* decoder_ = nullptr;
  Buffer body_chunk_;
  uint64_t body_bytes_ = 0;
  State state_ = State::Idle;
  bool keep_alive_ = true;
  bool stopped_ = false;
  bool dispatching_ = false;
  bool head_request_ = false;
  bool send_continue_ = false;
  bool response_started_ = false;
  bool response_chunked_ = false;
  bool response_no_body_ = false;
  bool request_chunked_ = false;
  uint64_t discarded_bytes_ = 0;
  uint8_t request_minor_ = 1;
};

}  // namespace courier::http1
