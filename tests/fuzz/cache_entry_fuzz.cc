// Fuzzes the cache's untrusted-input parsers: decodeEntry (bytes read back
// from a shared Redis) and canonicalizeJson (POST bodies).
//
// The entry checksum would stop almost every mutated input at the door, so
// each input is also tried with a valid checksum appended, and with the
// magic, version and checksum wrapped around it, to reach the field parser.
// Whatever decodes must re-encode to the same bytes (the format is
// canonical) and decode again to the same entry. Canonical JSON must be a
// fixed point: canonicalizing the output again gives the same output.
#include <xxhash.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

#include "filters/cache/canonical_json.h"
#include "filters/cache/entry_codec.h"

using namespace courier::filters::cache;

#define FUZZ_CHECK(cond)                                                                \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

namespace {

bool sameEntry(const CachedEntry& a, const CachedEntry& b) {
  return a.vary_marker == b.vary_marker && a.status == b.status && a.headers == b.headers &&
         a.body == b.body && a.request_time_ms == b.request_time_ms &&
         a.response_time_ms == b.response_time_ms &&
         a.corrected_initial_age_ms == b.corrected_initial_age_ms &&
         a.freshness_lifetime_ms == b.freshness_lifetime_ms &&
         a.stale_while_revalidate_ms == b.stale_while_revalidate_ms &&
         a.stale_if_error_ms == b.stale_if_error_ms && a.must_revalidate == b.must_revalidate &&
         a.no_cache == b.no_cache && a.path == b.path && a.tags == b.tags && a.vary == b.vary;
}

std::string sealed(std::string payload) {
  uint64_t sum = XXH3_64bits(payload.data(), payload.size());
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(sum >> (8 * i)));
  return payload;
}

void checkDecode(std::string_view bytes) {
  auto entry = decodeEntry(bytes);
  if (!entry) return;
  std::string again = encodeEntry(*entry);
  FUZZ_CHECK(again == bytes);
  auto back = decodeEntry(again);
  FUZZ_CHECK(back && sameEntry(*entry, *back));
}

void checkCanonicalJson(std::string_view in) {
  std::string once;
  if (!canonicalizeJson(in, once)) return;
  std::string twice;
  FUZZ_CHECK(canonicalizeJson(once, twice));
  FUZZ_CHECK(twice == once);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  checkDecode(in);
  checkDecode(sealed(std::string(in)));
  std::string wrapped = "CE";
  wrapped += static_cast<char>(kEntryFormatVersion);
  wrapped += in;
  checkDecode(sealed(std::move(wrapped)));
  checkCanonicalJson(in);
  return 0;
}
