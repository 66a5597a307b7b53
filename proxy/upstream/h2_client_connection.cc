#include "proxy/upstream/h2_client_connection.h"

#include <algorithm>

#include "proxy/common/log.h"
#include "proxy/upstream/h2_capacity.h"

namespace courier::upstream {
namespace {

H2ClientConnection* self(void* user_data) {
  return static_cast<H2ClientConnection*>(user_data);
}

}  // namespace

H2ClientConnection::H2ClientConnection(event::Dispatcher& dispatcher, H2ConnectionOwner& owner,
                                       const config::ClusterConfig& cluster,
                                       size_t max_header_bytes)
    : dispatcher_(dispatcher),
      owner_(owner),
      cluster_(cluster),
      max_header_bytes_(max_header_bytes),
      socket_(dispatcher, -1, this),
      connect_timer_(dispatcher.base(),
                     [this] {
                       bool timeout = connect_error_.empty();
                       closeWith(timeout ? "connect timeout" : connect_error_, timeout);
                     }),
      idle_timer_(dispatcher.base(), [this] { close("idle"); }) {
  // Many streams write to one connection: once per loop turn, not per event.
  socket_.setCoalesceWrites(true);
  createSession();
}

H2ClientConnection::~H2ClientConnection() = default;

void H2ClientConnection::createSession() {
  nghttp2_session_callbacks* raw_callbacks = nullptr;
  nghttp2_session_callbacks_new(&raw_callbacks);
  http2::CallbacksPtr callbacks(raw_callbacks);
  nghttp2_session_callbacks_set_send_callback(raw_callbacks, &H2ClientConnection::onSend);
  nghttp2_session_callbacks_set_send_data_callback(raw_callbacks, &H2ClientConnection::onSendData);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw_callbacks,
                                                       &H2ClientConnection::onFrameRecv);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw_callbacks,
                                                       &H2ClientConnection::onFrameSend);
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw_callbacks,
                                                          &H2ClientConnection::onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(raw_callbacks, &H2ClientConnection::onHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw_callbacks,
                                                            &H2ClientConnection::onDataChunk);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw_callbacks,
                                                         &H2ClientConnection::onStreamClose);
  nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(raw_callbacks,
                                                               &H2ClientConnection::onInvalidFrame);

  nghttp2_option* raw_option = nullptr;
  nghttp2_option_new(&raw_option);
  http2::OptionPtr option(raw_option);
  // Windows follow back-pressure (H2Stream::setResponseReadEnabled).
  nghttp2_option_set_no_auto_window_update(raw_option, 1);
  // A request head as large as the server accepts must fit in one block.
  nghttp2_option_set_max_send_header_block_length(
      raw_option, std::max<size_t>(64 << 10, 2 * max_header_bytes_ + 4096));

  nghttp2_session* session = nullptr;
  nghttp2_session_client_new2(&session, raw_callbacks, this, raw_option);
  session_.reset(session);

  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(max_header_bytes_)},
  };
  nghttp2_submit_settings(session, NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session, NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

void H2ClientConnection::connect(const config::SocketAddress& address) {
  std::string error;
  if (!socket_.connect(reinterpret_cast<const sockaddr*>(&address.addr), address.len, error)) {
    // Reported from the loop, not from inside the caller's newStream().
    connect_error_ = error.empty() ? "connect failed" : error;
    connect_timer_.arm(std::chrono::milliseconds(0));
    return;
  }
  connect_timer_.arm(cluster_.connect_timeout);
}

uint32_t H2ClientConnection::capacity() const {
  if (state_ != State::Ready || goaway_) return 0;
  nghttp2_session* s = session_.get();
  return h2::streamCapacity(
      nghttp2_session_get_remote_settings(s, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS),
      streams_.size(), nghttp2_session_get_next_stream_id(s));
}

H2Stream* H2ClientConnection::startStream(const http::RequestHeaders& request, bool end_stream,
                                          H2StreamCallbacks& callbacks) {
  if (state_ != State::Ready) return nullptr;
  auto stream = std::make_unique<H2Stream>(*this, callbacks, max_header_bytes_);
  H2Stream* s = stream.get();
  http2::NvList list;
  http2::requestToNv(request, list);
  nghttp2_data_provider body;
  body.source.ptr = s;
  body.read_callback = &H2Stream::readCallback;
  int32_t id = nghttp2_submit_request(session_.get(), nullptr, list.data(), list.size(),
                                      end_stream ? nullptr : &body, s);
  if (id < 0) {
    LOG_DEBUG("upstream h2 stream not started: %s", nghttp2_strerror(id));
    return nullptr;
  }
  s->id_ = id;
  s->request_ended_ = end_stream;
  streams_.push_back(std::move(stream));
  s->slot = std::prev(streams_.end());
  idle_timer_.cancel();
  sendPending();
  return s;
}

void H2ClientConnection::resumeData(int32_t stream_id) {
  if (state_ == State::Closed) return;
  nghttp2_session_resume_data(session_.get(), stream_id);  // fails harmlessly if not deferred
  sendPending();
}

void H2ClientConnection::resetStream(int32_t stream_id, uint32_t error_code) {
  if (state_ == State::Closed) return;
  nghttp2_submit_rst_stream(session_.get(), NGHTTP2_FLAG_NONE, stream_id, error_code);
  sendPending();
}

void H2ClientConnection::consumeStream(int32_t stream_id, size_t length) {
  if (state_ == State::Closed) return;
  nghttp2_session_consume_stream(session_.get(), stream_id, length);
  sendPending();
}

void H2ClientConnection::sendPending() {
  if (state_ == State::Closed || !socket_open_) return;
  if (in_session_) {
    send_wanted_ = true;
    return;
  }
  nghttp2_session* s = session_.get();
  do {
    send_wanted_ = false;
    in_session_ = true;
    int rv = nghttp2_session_send(s);
    in_session_ = false;
    if (state_ == State::Closed) return;
    if (rv != 0) {
      closeWith(nghttp2_strerror(rv), false);
      return;
    }
  } while (send_wanted_);
  socket_.scheduleWrite();
  if (socket_.outputLength() >= kWriteHighWatermark) socket_.notifyWhenDrained(kWriteLowWatermark);
  if (!nghttp2_session_want_read(s) && !nghttp2_session_want_write(s)) {
    closeWith("HTTP/2 session ended", false);
  }
}

void H2ClientConnection::onSocketConnected() {
  socket_open_ = true;
  sendPending();  // the preface and SETTINGS; Ready when the peer's SETTINGS arrive
}

void H2ClientConnection::onSocketReadable() {
  if (state_ == State::Closed) {
    evbuffer_drain(socket_.input(), evbuffer_get_length(socket_.input()));
    return;
  }
  in_session_ = true;
  int rv = http2::receive(session_.get(), socket_.input());
  in_session_ = false;
  if (state_ == State::Closed) return;
  if (rv != 0) {
    std::string reason = "HTTP/2 protocol error from upstream: ";
    reason += nghttp2_strerror(rv);
    closeWith(reason, false);
    return;
  }
  sendPending();
}

void H2ClientConnection::onSocketClosed(const std::string& error) {
  closeWith(error.empty() ? "upstream closed the connection" : error, false);
}

void H2ClientConnection::onSocketDrained() {
  sendPending();
}

void H2ClientConnection::closeWith(std::string_view reason, bool timeout) {
  if (state_ == State::Closed) return;
  bool was_ready = state_ == State::Ready;
  state_ = State::Closed;
  std::string why(reason);
  connect_timer_.cancel();
  idle_timer_.cancel();
  socket_.setReadEnabled(false);
  LOG_DEBUG("upstream h2 connection closed: %s", why.c_str());
  // The owner first, so nothing (such as a retry) can pick this connection.
  owner_.onConnectionClosed(*this, why, was_ready, timeout);
  // A closed connection never removes streams, so this walk is stable even
  // when a failure makes another stream's owner detach.
  for (auto& stream : streams_) stream->onConnectionLost(why);
}

void H2ClientConnection::releaseStream(H2Stream* stream) {
  streams_.erase(stream->slot);
  onStreamsChanged();
}

void H2ClientConnection::onStreamsChanged() {
  if (state_ != State::Ready) return;
  if (streams_.empty()) {
    if (goaway_) {
      close("GOAWAY received and no streams left");
      return;
    }
    idle_timer_.arm(cluster_.idle_timeout);
  }
  owner_.onConnectionCapacity(*this);
}

H2Stream* H2ClientConnection::streamOf(int32_t stream_id) const {
  return static_cast<H2Stream*>(nghttp2_session_get_stream_user_data(session_.get(), stream_id));
}

ssize_t H2ClientConnection::onSend(nghttp2_session*, const uint8_t* data, size_t length, int,
                                   void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  return http2::queueBytes(c->socket_.output(), kWriteHighWatermark, data, length);
}

int H2ClientConnection::onSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                                   size_t length, nghttp2_data_source* source, void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  return static_cast<H2Stream*>(source->ptr)
      ->sendData(c->socket_.output(), kWriteHighWatermark, framehd, length, frame->data.padlen);
}

int H2ClientConnection::onFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  switch (frame->hd.type) {
    case NGHTTP2_SETTINGS:
      if (frame->hd.flags & NGHTTP2_FLAG_ACK) break;
      if (c->state_ == State::Connecting) {
        c->state_ = State::Ready;
        c->connect_timer_.cancel();
        c->idle_timer_.arm(c->cluster_.idle_timeout);
        c->owner_.onConnectionReady(*c);
      } else {
        c->owner_.onConnectionCapacity(*c);
      }
      break;
    case NGHTTP2_GOAWAY:
      // nghttp2 next closes the streams above last_stream_id as
      // REFUSED_STREAM; the rest may finish.
      c->goaway_ = true;
      LOG_DEBUG("upstream GOAWAY: last stream %d, error %u", frame->goaway.last_stream_id,
                frame->goaway.error_code);
      if (c->streams_.empty()) c->close("GOAWAY received");
      break;
    case NGHTTP2_HEADERS:
      if (H2Stream* s = c->streamOf(frame->hd.stream_id)) s->onHeadersFrame(end_stream);
      break;
    case NGHTTP2_DATA:
      if (H2Stream* s = c->streamOf(frame->hd.stream_id)) s->onDataFrame(end_stream);
      break;
    case NGHTTP2_RST_STREAM:
      if (H2Stream* s = c->streamOf(frame->hd.stream_id))
        s->onPeerReset(frame->rst_stream.error_code);
      break;
    default:
      break;
  }
  return 0;
}

int H2ClientConnection::onFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user_data) {
  H2ClientConnection* c = self(user_data);
  if ((frame->hd.type == NGHTTP2_HEADERS || frame->hd.type == NGHTTP2_DATA) &&
      (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
    if (H2Stream* s = c->streamOf(frame->hd.stream_id)) s->onRequestSent();
  }
  return 0;
}

int H2ClientConnection::onBeginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                                       void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  if (frame->hd.type != NGHTTP2_HEADERS) return 0;
  if (H2Stream* s = c->streamOf(frame->hd.stream_id)) s->onBeginHeaders();
  return 0;
}

int H2ClientConnection::onHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                                 size_t namelen, const uint8_t* value, size_t valuelen, uint8_t,
                                 void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  H2Stream* s = c->streamOf(frame->hd.stream_id);
  if (!s) return 0;
  bool ok = s->onHeader({reinterpret_cast<const char*>(name), namelen},
                        {reinterpret_cast<const char*>(value), valuelen});
  // TEMPORAL_CALLBACK_FAILURE: nghttp2 resets this stream, the rest go on.
  return ok ? 0 : NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
}

int H2ClientConnection::onDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                                    const uint8_t* data, size_t length, void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  // The connection window is returned at once: only streams wait for readers.
  nghttp2_session_consume_connection(session, length);
  if (H2Stream* s = c->streamOf(stream_id)) s->onDataChunk(data, length);
  return 0;
}

int H2ClientConnection::onStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                                      void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  H2Stream* s = c->streamOf(stream_id);
  if (!s) return 0;
  s->onClose(error_code);
  if (c->state_ == State::Closed) return 0;  // closed from the failure callback: keep the stream
  c->releaseStream(s);
  return 0;
}

int H2ClientConnection::onInvalidFrame(nghttp2_session*, const nghttp2_frame* frame,
                                       int lib_error_code, void* user_data) {
  H2ClientConnection* c = self(user_data);
  if (c->state_ == State::Closed) return NGHTTP2_ERR_CALLBACK_FAILURE;
  if (H2Stream* s = c->streamOf(frame->hd.stream_id))
    s->onInvalidFrame(nghttp2_strerror(lib_error_code));
  return 0;
}

}  // namespace courier::upstream
