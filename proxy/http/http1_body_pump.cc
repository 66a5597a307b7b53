#include "proxy/http/http1_body_pump.h"

#include "proxy/http/http1_head_reader.h"

namespace courier::http1 {

BodyPumpResult pumpBody(BodyDecoder& decoder, evbuffer* input, Buffer& body, uint64_t& body_bytes,
                        uint64_t max_body_bytes) {
  BodyPumpResult result;
  size_t window = kFramingWindow;
  for (;;) {
    size_t available = evbuffer_get_length(input);
    size_t want = available < window ? available : window;
    char* data = want ? reinterpret_cast<char*>(evbuffer_pullup(input, want)) : nullptr;
    BodyStep step = decoder.next(data, want, available);
    switch (step.kind) {
      case BodyStep::NeedMore:
        if (want == available) return result;
        if (window >= kMaxFramingWindow) {
          result.kind = BodyPumpResult::Error;
          result.error = {400, "chunk framing line too long"};
          return result;
        }
        window *= 4;  // a framing line (a big trailer section) crosses the window
        break;
      case BodyStep::Data:
        body_bytes += step.length;
        if (body_bytes > max_body_bytes) {
          result.kind = BodyPumpResult::Error;
          result.error = {413, "body over max_body_bytes"};
          return result;
        }
        evbuffer_remove_buffer(input, body.raw(), step.length);
        break;
      case BodyStep::Skip:
        evbuffer_drain(input, step.length);
        break;
      case BodyStep::Trailers:
        // Copy the fields out before draining the bytes they point into.
        result.trailers = std::make_unique<http::HeaderMap>();
        for (const auto& f : step.trailers) result.trailers->add(f.name, f.value);
        evbuffer_drain(input, step.length);
        result.kind = BodyPumpResult::Trailers;
        return result;
      case BodyStep::Done:
        result.kind = BodyPumpResult::Done;
        return result;
      case BodyStep::Error:
        result.kind = BodyPumpResult::Error;
        result.error = step.error;
        return result;
    }
  }
}

}  // namespace courier::http1
