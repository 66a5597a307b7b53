// Fuzzes the downstream HTTP/1.1 connection path above the parser:
// Http1ServerCodec (head reading, body pump, pipelining, keep-alive) and the
// response writer, on real evbuffers. Input bytes arrive in pieces whose
// sizes come from the input itself; the fake stream answers at varying
// points (before, during or after the request body), as filters may.
#include <event2/buffer.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "proxy/http/http1_server_codec.h"

using namespace courier;

namespace {

struct Harness : http::ServerCodecCallbacks, http1::ServerCodecEvents, http::RequestDecoder {
  http1::Http1ServerCodec* codec = nullptr;
  http::ResponseEncoder* encoder = nullptr;
  std::unique_ptr<http::RequestHeaders> request;
  uint8_t answer_policy = 0;  // when to answer: 0 on headers, 1 on data, 2 at end
  bool answered = false;
  bool complete = false;
  bool reset = false;

  void answer() {
    if (answered || !encoder) return;
    answered = true;
    http::ResponseHeaders h;
    h.status = 200;
    h.headers.add("x-r", "1");
    encoder->encodeHeaders(h, false);
    Buffer b;
    b.add("ok");
    encoder->encodeData(b, true);
  }
  http::RequestDecoder& newStream(http::ResponseEncoder& e) override {
    encoder = &e;
    answered = false;
    return *this;
  }
  void onProtocolError(int status, std::string_view, std::string_view) override {
    if (status < 400 || status > 599) __builtin_trap();
    http::ResponseHeaders h;
    h.status = status;
    codec->encodeHeaders(h, true);
  }
  void onResponseComplete() override { complete = true; }
  void onResponseReset() override { reset = true; }
  void onRequestBodyDiscarded() override { complete = true; }
  void decodeHeaders(std::unique_ptr<http::RequestHeaders> h, bool end_stream) override {
    request = std::move(h);
    if (request->method.empty() || request->path.empty()) __builtin_trap();
    if (answer_policy == 0 || end_stream) answer();
  }
  void decodeData(Buffer& data, bool end_stream) override {
    data.clear();
    if (answer_policy == 1 || end_stream) answer();
  }
  void decodeTrailers(std::unique_ptr<http::HeaderMap>) override { answer(); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Harness h;
  h.answer_policy = data[0] % 3;
  size_t piece = 1 + data[1] % 64;
  data += 2;
  size -= 2;
  evbuffer* in = evbuffer_new();
  evbuffer* out = evbuffer_new();
  http1::Http1ServerCodec::Settings settings;
  settings.max_header_bytes = 2048;
  settings.max_body_bytes = 4096;
  auto codec = std::make_unique<http1::Http1ServerCodec>(h, h, out, settings);
  h.codec = codec.get();
  for (size_t i = 0; i < size && !h.reset; i += piece) {
    evbuffer_add(in, data + i, std::min(piece, size - i));
    codec->dispatch(in);
    if (h.complete) {
      // What the ConnectionManager does between requests.
      h.complete = false;
      if (!codec->keepAlive()) break;
      if (codec->discardingBody()) {
        codec->dispatch(in);  // drops the rest of the body; may complete again
        if (!h.complete) continue;
        h.complete = false;
      }
      codec->resetForNextRequest();
      codec->dispatch(in);
    }
    evbuffer_drain(out, evbuffer_get_length(out));
  }
  codec.reset();
  evbuffer_free(in);
  evbuffer_free(out);
  return 0;
}
