// ConnectionManager: one downstream connection. Owns the socket, the codec, the connection's timers
// and its current stream.
//
// Protocol: the first bytes decide. The HTTP/2 client preface (prior
// knowledge, RFC 9113 §3.4) hands the connection to an
// http2::ServerConnection; anything else is HTTP/1.1, handled here.
//
// Timers: header_timeout runs from the first byte of a request head until
// the head is complete (408 if it fires); idle_timeout runs while no request
// is in progress (the connection just closes). Back-pressure: the stream may
// pause reading; when the output buffer passes its high mark the stream is
// told to pause its producer until the output drains below the low mark.
//
// Lifetime: created by the worker on accept, destroyed (deferred) on close.
#pragma once

#include <memory>
#include <string>

#include "proxy/event/dispatcher.h"
#include "proxy/event/stream_socket.h"
#include "proxy/event/timer.h"
#include "proxy/http/active_stream.h"
#include "proxy/http/codec.h"
#include "proxy/http/http1_server_codec.h"
#include "proxy/http/http2_server_connection.h"
#include "proxy/server/worker_context.h"

namespace courier::http {

class ConnectionManager : public event::DeferredDeletable,
                          public ServerCodecCallbacks,
                          public http1::ServerCodecEvents,
                          public StreamConnection,
                          public http2::ServerConnectionOwner,
                          private event::StreamSocketHandler {
 public:
  ConnectionManager(WorkerContext& ctx, evutil_socket_t fd, const sockaddr* peer);
  ~ConnectionManager() override;

  // Worker is draining: finish the current request, then close.
  void drain();
  // Close now (shutdown after drain_timeout).
  void close() { closeNow(); }

  // ServerCodecCallbacks
  RequestDecoder& newStream(ResponseEncoder& encoder) override;
  void onProtocolError(int status, std::string_view error_code, std::string_view details) override;
  // http1::ServerCodecEvents
  void onResponseComplete() override;
  void onResponseReset() override;
  void onRequestBodyDiscarded() override;
  void onFileBodyQueued(size_t position, const std::shared_ptr<const SealedFile>& file) override {
    socket_.sendAsFile(position, file);
  }
  // StreamConnection
  void setDownstreamReadEnabled(bool enabled) override;
  void onStreamWrote() override;

 private:
  // event::StreamSocketHandler
  void onSocketReadable() override { onRead(); }
  void onSocketClosed(const std::string& error) override;
  void onSocketDrained() override;
  void onSocketFlush() override {
    if (h2_ && !closed_) h2_->onFlush();
  }
  void onRead();
  void onHeaderTimeout();
  void scheduleDispatch();
  // Reads the start of the input: false while it could still be the
  // HTTP/2 preface; switches to HTTP/2 when it is.
  bool sniffProtocol(evbuffer* input);
  void finishStream(bool reset);
  // http2::ServerConnectionOwner (HTTP/1.1 uses them too)
  void closeAfterFlush() override;
  void closeNow() override;

  WorkerContext& ctx_;
  const config::ServerConfig& server_;  // of the generation the connection began in
  std::shared_ptr<Generation> gen_;     // keeps server_ and the connection gauge alive
  event::StreamSocket socket_;
  std::string peer_ip_;
  std::unique_ptr<http1::Http1ServerCodec> codec_;
  std::unique_ptr<ActiveStream> stream_;
  std::unique_ptr<http2::ServerConnection> h2_;  // set once the preface arrived
  event::Timer header_timer_;
  event::Timer idle_timer_;
  event::Timer dispatch_timer_;  // zero-delay: parse pipelined input on the next loop turn
  bool sniffed_ = false;         // the protocol is known
  bool closing_ = false;         // final response queued; then half-close and linger
  bool closed_ = false;
  bool above_high_ = false;
  bool read_paused_ = false;
};

}  // namespace courier::http
