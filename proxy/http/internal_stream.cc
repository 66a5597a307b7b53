#include "proxy/http/internal_stream.h"

namespace courier::http {

// The client side of one internal request: a ResponseEncoder that drops
// what it is given and ends the stream when the response ends.
class InternalStreams::Stream : public ResponseEncoder,
                                public StreamConnection,
                                public event::DeferredDeletable {
 public:
  Stream(InternalStreams& owner, WorkerContext& ctx)
      : owner_(owner), stream_(std::make_unique<ActiveStream>(ctx, *this, *this, "127.0.0.1")) {
    stream_->markInternal();
  }
  void start(std::unique_ptr<RequestHeaders> headers) {
    stream_->decodeHeaders(std::move(headers), true);
  }
  // Shutdown: end the stream now (its filters see onDestroy).
  void abandon() { stream_.reset(); }

  // ResponseEncoder
  void encodeHeaders(const ResponseHeaders&, bool end_stream) override {
    if (end_stream) end(false);
  }
  void encodeData(Buffer& data, bool end_stream) override {
    data.clear();
    if (end_stream) end(false);
  }
  void encodeTrailers(const HeaderMap&) override { end(false); }
  void resetStream() override { end(true); }

  // StreamConnection: nothing to throttle; nobody reads.
  void setDownstreamReadEnabled(bool) override {}
  void onStreamWrote() override {}

 private:
  void end(bool reset) {
    if (ended_) return;
    ended_ = true;
    stream_->complete(reset);
    owner_.finished(this);
  }

  InternalStreams& owner_;
  std::unique_ptr<ActiveStream> stream_;
  bool ended_ = false;
};

InternalStreams::~InternalStreams() {
  for (Stream* s : streams_) {
    s->abandon();
    delete s;
  }
}

void InternalStreams::start(std::unique_ptr<RequestHeaders> headers) {
  auto* stream = new Stream(*this, ctx_);
  streams_.insert(stream);
  stream->start(std::move(headers));
}

void InternalStreams::finished(Stream* stream) {
  streams_.erase(stream);
  // Deferred: the stream is still on the call stack (its encoder called us).
  ctx_.dispatcher->deferredDelete(std::unique_ptr<event::DeferredDeletable>(stream));
}

}  // namespace courier::http
