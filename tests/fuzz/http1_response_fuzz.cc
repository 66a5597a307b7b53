// Fuzzes parseResponseHead, responseFraming and BodyDecoder.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/http1_fuzz_common.h"

using namespace courier::http1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Rng rng(data, size);
  fuzz::Bytes buffer(data, data + size);
  Limits limits = fuzz::randomLimits(rng);
  ParsedResponseHead head;
  HeadResult r = fuzz::checkHead(buffer, limits, head, parseResponseHead, rng);
  if (r.state == HeadState::Error) FUZZ_CHECK(r.error.status == 502);
  if (r.state != HeadState::Complete) return 0;
  FUZZ_CHECK(head.status >= 100 && head.status <= 999);
  const char* method = rng.below(4) == 0 ? "HEAD" : "GET";
  BodyFraming framing;
  ParseError error;
  if (!responseFraming(head.fields, head.status, method, framing, error)) {
    FUZZ_CHECK(error.status == 502);
    return 0;
  }
  fuzz::checkBody(fuzz::Bytes(buffer.begin() + static_cast<long>(r.consumed), buffer.end()),
                  framing, rng);
  return 0;
}
