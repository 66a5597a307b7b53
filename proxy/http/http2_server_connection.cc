#include "proxy/http/http2_server_connection.h"

#include <algorithm>

#include "proxy/common/log.h"
#include "proxy/http/http2_server_stream.h"

namespace courier::http2 {
namespace {

// Frames queued on the socket before the session holds the rest back.
constexpr size_t kOutputHighMark = 1 << 20;
constexpr size_t kOutputLowMark = 256 << 10;
// The connection window: returned as DATA arrives, so it only needs to be
// large enough not to throttle many streams at once.
constexpr int32_t kConnectionWindow = 16 << 20;
// Rapid reset (CVE-2023-44487): RST_STREAMs a client may send in a burst
// and per second after it; then GOAWAY. (nghttp2's defaults, made explicit.)
constexpr uint64_t kResetBurst = 1000;
constexpr uint64_t kResetsPerSecond = 33;
// CONTINUATION frames after one HEADERS (CVE-2024-27316 and kin).
constexpr size_t kMaxContinuations = 8;
// SETTINGS/PING ACKs waiting for a client that does not read.
constexpr size_t kMaxOutboundAcks = 1000;

ServerStream* streamOf(nghttp2_session* session, int32_t id) {
  return static_cast<ServerStream*>(nghttp2_session_get_stream_user_data(session, id));
}

ServerConnection& self(void* p) {
  return *static_cast<ServerConnection*>(p);
}

OptionPtr makeOptions() {
  nghttp2_option* raw = nullptr;
  nghttp2_option_new(&raw);
  OptionPtr options(raw);
  nghttp2_option_set_no_auto_window_update(raw, 1);
  nghttp2_option_set_stream_reset_rate_limit(raw, kResetBurst, kResetsPerSecond);
  nghttp2_option_set_max_continuations(raw, kMaxContinuations);
  nghttp2_option_set_max_outbound_ack(raw, kMaxOutboundAcks);
  return options;
}

}  // namespace

CallbacksPtr ServerConnection::makeCallbacks() {
  nghttp2_session_callbacks* raw = nullptr;
  nghttp2_session_callbacks_new(&raw);
  CallbacksPtr callbacks(raw);
  nghttp2_session_callbacks_set_send_callback(raw, onSend);
  nghttp2_session_callbacks_set_send_data_callback(raw, onSendData);
  nghttp2_session_callbacks_set_on_begin_headers_callback(raw, onBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(raw, onHeader);
  nghttp2_session_callbacks_set_on_frame_recv_callback(raw, onFrameRecv);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(raw, onDataChunk);
  nghttp2_session_callbacks_set_on_frame_send_callback(raw, onFrameSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(raw, onStreamClose);
  return callbacks;
}

ServerConnection::ServerConnection(WorkerContext& ctx, const config::ServerConfig& server,
                                   event::StreamSocket& socket, ServerConnectionOwner& owner,
                                   std::string_view peer_ip)
    : ctx_(ctx),
      server_(server),
      socket_(socket),
      owner_(owner),
      peer_ip_(peer_ip),
      idle_timer_(ctx.dispatcher->base(), [this] { onIdleTimeout(); }),
      header_timer_(ctx.dispatcher->base(), [this] { onHeaderTimeout(); }),
      control_refill_(std::chrono::steady_clock::now()) {
  // Both made once per process: they are immutable after setup.
  static const CallbacksPtr callbacks = makeCallbacks();
  static const OptionPtr options = makeOptions();
  nghttp2_session* raw = nullptr;
  nghttp2_session_server_new2(&raw, callbacks.get(), this, options.get());
  session_.reset(raw);
  submitSettings();
  idle_timer_.arm(ctx_.dispatcher->commonTimeout(server_.idle_timeout));
}

ServerConnection::~ServerConnection() {
  shutdown();
}

void ServerConnection::submitSettings() {
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, server_.http2_max_concurrent_streams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, server_.http2_stream_window},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, server_.max_header_bytes},
      {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
  };
  nghttp2_submit_settings(session_.get(), NGHTTP2_FLAG_NONE, settings, std::size(settings));
  nghttp2_session_set_local_window_size(session_.get(), NGHTTP2_FLAG_NONE, 0, kConnectionWindow);
}

void ServerConnection::onRead() {
  if (closed_) return;
  evbuffer* input = socket_.input();
  if (terminated_) {  // GOAWAY is on its way: what else comes is not read
    evbuffer_drain(input, evbuffer_get_length(input));
    return;
  }
  receiving_ = true;
  int rv = receive(session_.get(), input);
  receiving_ = false;
  if (rv == 0) {
    sendPending();
    return;
  }
  LOG_DEBUG("http2 connection from %s: %s", peer_ip_.c_str(), nghttp2_strerror(rv));
  if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC) {  // not HTTP/2 after all: nothing to say
    owner_.closeNow();
    return;
  }
  // nghttp2 queues a GOAWAY for protocol errors it reports; for others
  // (too many CONTINUATIONs, a flood of ACKs the client does not read, a
  // failed callback) it queues nothing, so say it here. Either way the
  // connection ends once that is written.
  bool calm = rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS;
  terminate(calm ? NGHTTP2_ENHANCE_YOUR_CALM : NGHTTP2_PROTOCOL_ERROR, nghttp2_strerror(rv));
  sendNow();
  owner_.closeAfterFlush();
}

void ServerConnection::onDrained() {
  sendPending();
}

void ServerConnection::sendNow() {
  // Not from inside nghttp2's own callbacks: onRead sends after receiving.
  if (closed_ || sending_ || receiving_) return;
  sending_ = true;
  int rv = nghttp2_session_send(session_.get());
  sending_ = false;
  if (closed_) return;
  if (!flushing_) socket_.scheduleWrite();  // in onFlush the socket writes next
  if (rv != 0) {
    LOG_DEBUG("http2 send to %s: %s", peer_ip_.c_str(), nghttp2_strerror(rv));
    owner_.closeNow();
    return;
  }
  if (socket_.outputLength() >= kOutputHighMark) socket_.notifyWhenDrained(kOutputLowMark);
  closeIfDone();
}

void ServerConnection::closeIfDone() {
  if (nghttp2_session_want_read(session_.get()) || nghttp2_session_want_write(session_.get()))
    return;
  owner_.closeAfterFlush();
}

void ServerConnection::streamOpened() {
  if (open_streams_++ == 0) idle_timer_.cancel();
}

void ServerConnection::streamClosed(ServerStream* stream) {
  auto owned = std::move(*stream->slot);
  streams_.erase(stream->slot);
  ctx_.dispatcher->deferredDelete(std::move(owned));
  if (--open_streams_ == 0) {
    if (draining_) {
      sendPending();  // after the stream's last frames, in onFlush
      owner_.closeAfterFlush();
    } else {
      idle_timer_.arm(ctx_.dispatcher->commonTimeout(server_.idle_timeout));
    }
  }
}

void ServerConnection::terminate(uint32_t error_code, std::string_view why) {
  if (terminated_) return;
  terminated_ = true;
  LOG_DEBUG("http2 connection from %s: GOAWAY: %.*s", peer_ip_.c_str(),
            static_cast<int>(why.size()), why.data());
  nghttp2_session_terminate_session(session_.get(), error_code);
}

void ServerConnection::drain() {
  if (draining_ || closed_) return;
  draining_ = true;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  // No new streams will come; the session wants no more reads once the
  // open ones are done.
  if (open_streams_ == 0) {
    sendNow();
    owner_.closeAfterFlush();
    return;
  }
  sendPending();
}

void ServerConnection::onIdleTimeout() {
  // Nothing open: say goodbye cleanly (a client may have a request on the
  // way; GOAWAY tells it which streams were not seen).
  draining_ = true;
  nghttp2_submit_goaway(session_.get(), NGHTTP2_FLAG_NONE,
                        nghttp2_session_get_last_proc_stream_id(session_.get()), NGHTTP2_NO_ERROR,
                        nullptr, 0);
  sendNow();
  owner_.closeAfterFlush();
}

void ServerConnection::onHeaderTimeout() {
  // A header block began and did not end in time: nothing else may be
  // sent meanwhile (RFC 9113 §6.10), so the connection is stuck.
  terminate(NGHTTP2_PROTOCOL_ERROR, "header block did not end within header_timeout");
  sendNow();
  owner_.closeAfterFlush();
}

void ServerConnection::shutdown() {
  if (closed_) return;
  closed_ = true;
  idle_timer_.cancel();
  header_timer_.cancel();
  // nghttp2 says nothing of streams when the session goes: end them here.
  while (!streams_.empty()) {
    ServerStream* stream = streams_.front().get();
    stream->onClose();
    auto owned = std::move(streams_.front());
    streams_.pop_front();
    ctx_.dispatcher->deferredDelete(std::move(owned));
  }
  open_streams_ = 0;
}

bool ServerConnection::chargeControlFrame() {
  auto now = std::chrono::steady_clock::now();
  double seconds = std::chrono::duration<double>(now - control_refill_).count();
  control_refill_ = now;
  control_tokens_ =
      std::min(kControlFrameBurst, control_tokens_ + seconds * kControlFramesPerSecond);
  if (control_tokens_ < 1) return false;
  control_tokens_ -= 1;
  return true;
}

// ---- nghttp2 callbacks ----

ssize_t ServerConnection::onSend(nghttp2_session*, const uint8_t* data, size_t length, int,
                                 void* p) {
  return queueBytes(self(p).socket_.output(), kOutputHighMark, data, length);
}

int ServerConnection::onSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                                 size_t length, nghttp2_data_source* source, void*) {
  return static_cast<ServerStream*>(source->ptr)
      ->sendBody(framehd, length, frame->data.padlen, kOutputHighMark);
}

int ServerConnection::onBeginHeaders(nghttp2_session* session, const nghttp2_frame* frame,
                                     void* p) {
  ServerConnection& c = self(p);
  c.header_timer_.arm(c.ctx_.dispatcher->commonTimeout(c.server_.header_timeout));
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
  auto stream = std::make_unique<ServerStream>(c, frame->hd.stream_id);
  nghttp2_session_set_stream_user_data(session, frame->hd.stream_id, stream.get());
  c.streams_.push_back(std::move(stream));
  c.streams_.back()->slot = std::prev(c.streams_.end());
  c.streamOpened();
  return 0;
}

int ServerConnection::onHeader(nghttp2_session* session, const nghttp2_frame* frame,
                               const uint8_t* name, size_t namelen, const uint8_t* value,
                               size_t valuelen, uint8_t, void*) {
  ServerStream* stream = streamOf(session, frame->hd.stream_id);
  if (!stream) return 0;
  return stream->onField({reinterpret_cast<const char*>(name), namelen},
                         {reinterpret_cast<const char*>(value), valuelen});
}

int ServerConnection::onFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* p) {
  ServerConnection& c = self(p);
  bool end_stream = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
  switch (frame->hd.type) {
    case NGHTTP2_HEADERS: {
      c.header_timer_.cancel();
      if (ServerStream* s = streamOf(session, frame->hd.stream_id)) {
        if (c.terminated_) return 0;
        s->onHeadersComplete(end_stream);
      }
      return 0;
    }
    case NGHTTP2_DATA: {
      // An empty DATA frame that does not end the stream carries nothing:
      // a flood of them only burns CPU (CVE-2019-9518).
      if (frame->hd.length == 0 && !end_stream && !c.chargeControlFrame()) break;
      if (end_stream) {
        if (ServerStream* s = streamOf(session, frame->hd.stream_id)) s->onEndStream();
      }
      return 0;
    }
    case NGHTTP2_PING:
    case NGHTTP2_SETTINGS:
      if (frame->hd.flags & NGHTTP2_FLAG_ACK) return 0;
      [[fallthrough]];
    case NGHTTP2_PRIORITY:
      if (!c.chargeControlFrame()) break;
      return 0;
    default:
      return 0;
  }
  // nghttp2 answers nothing more once the session is terminating, so the
  // rest of this read costs little.
  c.terminate(NGHTTP2_ENHANCE_YOUR_CALM, "control frame flood");
  return 0;
}

int ServerConnection::onDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                                  const uint8_t* data, size_t length, void*) {
  // The connection window comes back at once; the stream's when its body
  // moves on (ServerStream), so one stalled stream cannot starve the rest.
  nghttp2_session_consume_connection(session, length);
  if (ServerStream* s = streamOf(session, stream_id)) s->onData(data, length);
  return 0;
}

int ServerConnection::onFrameSend(nghttp2_session* session, const nghttp2_frame* frame, void*) {
  bool ends = frame->hd.type == NGHTTP2_RST_STREAM ||
              ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
               (frame->hd.flags & NGHTTP2_FLAG_END_STREAM));
  if (!ends) return 0;
  if (ServerStream* s = streamOf(session, frame->hd.stream_id)) {
    if (frame->hd.type != NGHTTP2_RST_STREAM) s->onResponseEndSent();
  }
  return 0;
}

int ServerConnection::onStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t,
                                    void* p) {
  ServerStream* stream = streamOf(session, stream_id);
  if (!stream) return 0;
  nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
  stream->onClose();
  self(p).streamClosed(stream);
  return 0;
}

}  // namespace courier::http2
