// Http2ServerConnection: the downstream side of HTTP/2 (h2c, prior
// knowledge) on one connection: an nghttp2 server session and its streams.
// Each stream runs an ActiveStream, so filters and the router see the same
// message model as for HTTP/1.1.
//
// Flow control follows back-pressure: the connection window is returned as
// soon as DATA arrives, a stream's window only as its body moves on (so a
// stream whose upstream is slow stalls alone, never its neighbours). A
// stream's response body waits in its own queue; past a high mark the
// stream pauses its upstream. The socket's output is capped too: past it
// the session keeps frames until the client reads.
//
// Defences (each ends the connection with GOAWAY; other connections never
// notice): header lists far over max_header_bytes (HPACK bombs), rapid
// reset and CONTINUATION floods (nghttp2's limits), floods of PING,
// SETTINGS, PRIORITY and empty DATA frames (a budget per connection), and
// too many unanswered ACKs for a client that does not read (nghttp2).
//
// Owned by the ConnectionManager that sniffed the preface; it owns the
// socket. Runs on the connection's worker thread.
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <list>
#include <memory>
#include <string>

#include "proxy/event/stream_socket.h"
#include "proxy/event/timer.h"
#include "proxy/http/http2_session.h"
#include "proxy/server/worker_context.h"

namespace courier::http2 {

class ServerStream;  // http2_server_stream.h

// What the connection needs from its owner.
class ServerConnectionOwner {
 public:
  virtual ~ServerConnectionOwner() = default;
  // Flush what is queued, then close (GOAWAY sent, or the peer is done).
  virtual void closeAfterFlush() = 0;
  // Close at once.
  virtual void closeNow() = 0;
};

// Control frames a client may send in a burst, and per second after it.
// Real clients send a handful per connection; floods send thousands.
inline constexpr double kControlFrameBurst = 1000;
inline constexpr double kControlFramesPerSecond = 100;

class ServerConnection {
 public:
  ServerConnection(WorkerContext& ctx, const config::ServerConfig& server,
                   event::StreamSocket& socket, ServerConnectionOwner& owner,
                   std::string_view peer_ip);
  ~ServerConnection();
  ServerConnection(const ServerConnection&) = delete;
  ServerConnection& operator=(const ServerConnection&) = delete;

  // The socket has input (starting with the client preface).
  void onRead();
  // The socket's output drained to the low mark.
  void onDrained();
  // Graceful drain: GOAWAY now, close once open streams finish.
  void drain();
  // The connection is going away: every open stream ends as reset.
  void shutdown();

  // The socket is about to write: serialise what the session has queued.
  void onFlush() {
    flushing_ = true;
    sendNow();
    flushing_ = false;
  }

  // For ServerStream.
  nghttp2_session* session() { return session_.get(); }
  // Frames were submitted: they are serialised once per loop turn, just
  // before the socket writes (onFlush), so a response's HEADERS and DATA,
  // and many streams' frames, go through nghttp2_session_send together.
  void sendPending() { socket_.scheduleWrite(); }
  WorkerContext& context() { return ctx_; }
  const std::string& peerIp() const { return peer_ip_; }
  size_t maxHeaderBytes() const { return server_.max_header_bytes; }
  // A stream was made or freed (the idle timer counts them).
  void streamOpened();
  void streamClosed(ServerStream* stream);
  // Ends the connection for misbehaviour: GOAWAY with `error_code`.
  void terminate(uint32_t error_code, std::string_view why);
  bool terminated() const { return terminated_; }
  evbuffer* output() { return socket_.output(); }

 private:
  static CallbacksPtr makeCallbacks();
  void submitSettings();
  // One control frame against the budget; false once it is spent.
  bool chargeControlFrame();
  void onIdleTimeout();
  void onHeaderTimeout();
  void closeIfDone();
  // Serialises queued frames now (not from inside nghttp2's callbacks).
  void sendNow();

  // nghttp2 callbacks (user_data is the connection).
  static ssize_t onSend(nghttp2_session*, const uint8_t* data, size_t length, int, void* self);
  static int onSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                        size_t length, nghttp2_data_source* source, void* self);
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* self);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int onDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t length, void* self);
  static int onFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* self);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* self);

  WorkerContext& ctx_;
  const config::ServerConfig& server_;
  event::StreamSocket& socket_;
  ServerConnectionOwner& owner_;
  std::string peer_ip_;
  SessionPtr session_;
  std::list<std::unique_ptr<ServerStream>> streams_;
  event::Timer idle_timer_;
  event::Timer header_timer_;
  size_t open_streams_ = 0;
  double control_tokens_ = kControlFrameBurst;
  std::chrono::steady_clock::time_point control_refill_;
  bool draining_ = false;
  bool terminated_ = false;
  bool closed_ = false;
  bool sending_ = false;    // inside nghttp2_session_send
  bool receiving_ = false;  // inside nghttp2_session_mem_recv
  bool flushing_ = false;   // inside onFlush
};

}  // namespace courier::http2
