// Fuzzes parseRequestHead, requestFraming, validRequestTarget and BodyDecoder.
#include <cstddef>
#include <cstdint>
#include <string>

#include "tests/fuzz/http1_fuzz_common.h"

using namespace courier::http1;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Rng rng(data, size);
  fuzz::Bytes buffer(data, data + size);
  Limits limits = fuzz::randomLimits(rng);
  ParsedRequestHead head;
  HeadResult r = fuzz::checkHead(buffer, limits, head, parseRequestHead, rng);
  if (r.state != HeadState::Complete) return 0;
  FUZZ_CHECK(validRequestTarget(head.method, head.target));
  FUZZ_CHECK(head.version_minor <= 1);
  BodyFraming framing;
  ParseError error;
  if (!requestFraming(head.fields, head.version_minor, framing, error)) {
    FUZZ_CHECK(error.status == 400 || error.status == 501);
    return 0;
  }
  FUZZ_CHECK(framing.kind != BodyKind::UntilClose);
  fuzz::checkBody(fuzz::Bytes(buffer.begin() + static_cast<long>(r.consumed), buffer.end()),
                  framing, rng);
  return 0;
}
