// H2ClientConnection: one TCP connection to an upstream endpoint speaking
// HTTP/2 over cleartext with prior knowledge (h2c), driven by an nghttp2
// client session. It multiplexes H2Streams for its H2ConnPool.
//
// Life: Connecting (TCP connect, then the peer's SETTINGS, all within the
// cluster's connect_timeout) -> Ready (streams up to the peer's
// SETTINGS_MAX_CONCURRENT_STREAMS, capped) -> closed. A GOAWAY from the peer
// stops new streams; streams at or below its last_stream_id finish, the
// others fail as Refused (retryable); the connection closes when its last
// stream does. A Ready connection without streams closes after the
// cluster's idle_timeout.
//
// Ownership: the pool owns connections (destroyed through deferred
// deletion, since a connection often ends inside its own callbacks); a
// connection owns its streams. When it closes with streams in flight, each
// still-attached stream hears onStreamFailure(Reset) first.
//
// Re-entrancy: nghttp2_session_send/mem_recv are never re-entered: work
// asked for from inside a session callback (new streams, resets, window
// updates) is sent when the outer call returns. Threading: one worker.
#pragma once

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/event/stream_socket.h"
#include "proxy/event/timer.h"
#include "proxy/http/http2_session.h"
#include "proxy/upstream/h2_stream.h"

namespace courier::upstream {

class H2ClientConnection;

// The pool, as a connection reports to it.
class H2ConnectionOwner {
 public:
  virtual ~H2ConnectionOwner() = default;
  // The peer's first SETTINGS arrived: streams may start.
  virtual void onConnectionReady(H2ClientConnection& connection) = 0;
  // A stream closed or the peer changed its limits: room may have appeared.
  virtual void onConnectionCapacity(H2ClientConnection& connection) = 0;
  // The connection is closed (`ready`: it got as far as Ready; `timeout`:
  // its connect timed out). The owner now destroys it, deferred.
  virtual void onConnectionClosed(H2ClientConnection& connection, std::string_view reason,
                                  bool ready, bool timeout) = 0;
};

class H2ClientConnection : public event::DeferredDeletable, private event::StreamSocketHandler {
 public:
  // Socket output queued before the session stops producing frames.
  static constexpr size_t kWriteHighWatermark = 1 << 20;
  static constexpr size_t kWriteLowWatermark = 256 << 10;
  // Receive windows: per stream (what one slow client may leave buffered
  // here) and for the whole connection.
  static constexpr int32_t kStreamWindow = 256 << 10;
  static constexpr int32_t kConnectionWindow = 16 << 20;

  H2ClientConnection(event::Dispatcher& dispatcher, H2ConnectionOwner& owner,
                     const config::ClusterConfig& cluster, size_t max_header_bytes);
  ~H2ClientConnection() override;
  H2ClientConnection(const H2ClientConnection&) = delete;
  H2ClientConnection& operator=(const H2ClientConnection&) = delete;

  // Starts the connect; failures are reported later through the owner
  // (never from inside this call).
  void connect(const config::SocketAddress& address);

  // Opens a stream carrying `request` (its fields are copied). nullptr if
  // nghttp2 refuses to start one (the caller treats it as refused).
  H2Stream* startStream(const http::RequestHeaders& request, bool end_stream,
                        H2StreamCallbacks& callbacks);

  bool ready() const { return state_ == State::Ready; }
  bool connecting() const { return state_ == State::Connecting; }
  bool closed() const { return state_ == State::Closed; }
  bool goawayReceived() const { return goaway_; }
  size_t openStreams() const { return streams_.size(); }
  // Streams that may start now (0 unless Ready and no GOAWAY).
  uint32_t capacity() const;
  // Closes now (drain, idle): open streams fail.
  void close(std::string_view reason) { closeWith(reason, false); }

  // Where the pool keeps this connection (O(1) removal).
  std::list<std::unique_ptr<H2ClientConnection>>::iterator slot;

 private:
  friend class H2Stream;
  enum class State { Connecting, Ready, Closed };

  // H2Stream's way back in.
  nghttp2_session* session() const { return session_.get(); }
  void resumeData(int32_t stream_id);
  void resetStream(int32_t stream_id, uint32_t error_code);
  void consumeStream(int32_t stream_id, size_t length);
  // Sends what the session has queued (or, inside a session call, once it returns).
  void sendPending();
  void releaseStream(H2Stream* stream);

  // event::StreamSocketHandler
  void onSocketReadable() override;
  void onSocketClosed(const std::string& error) override;
  void onSocketConnected() override;
  void onSocketDrained() override;

  void createSession();
  void closeWith(std::string_view reason, bool timeout);
  void onStreamsChanged();
  H2Stream* streamOf(int32_t stream_id) const;

  static ssize_t onSend(nghttp2_session*, const uint8_t* data, size_t length, int flags,
                        void* user_data);
  static int onSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                        size_t length, nghttp2_data_source* source, void* user_data);
  static int onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int onFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user_data);
  static int onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t flags,
                      void* user_data);
  static int onDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id, const uint8_t* data,
                         size_t length, void* user_data);
  static int onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user_data);
  static int onInvalidFrame(nghttp2_session*, const nghttp2_frame* frame, int lib_error_code,
                            void* user_data);

  event::Dispatcher& dispatcher_;
  H2ConnectionOwner& owner_;
  const config::ClusterConfig& cluster_;
  size_t max_header_bytes_;
  event::StreamSocket socket_;
  http2::SessionPtr session_;
  std::list<std::unique_ptr<H2Stream>> streams_;
  event::Timer connect_timer_;
  event::Timer idle_timer_;
  std::string connect_error_;  // a connect() that failed at once, reported by connect_timer_
  State state_ = State::Connecting;
  bool goaway_ = false;
  bool in_session_ = false;   // inside nghttp2_session_send / mem_recv
  bool send_wanted_ = false;  // sendPending() was asked for meanwhile
  bool socket_open_ = false;  // TCP connected: bytes may be written
};

}  // namespace courier::upstream
