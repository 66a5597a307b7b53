// The binary form of a CachedEntry, as the Redis layer stores it.
//
// Layout (version 1; integers are LEB128 varints, minimal length; signed
// ones zigzag-encoded; strings are a varint length and the bytes):
//   "CE"  version(1)  flags(vary_marker=1 | must_revalidate=2 | no_cache=4)
//   status  request_time_ms  response_time_ms  corrected_initial_age_ms
//   freshness_lifetime_ms  stale_while_revalidate_ms  stale_if_error_ms
//   header count, (name, value)...   body   path
//   tag count, tag...   vary count, name...
//   XXH3-64 (seed 0) of every byte before it, 8 bytes little endian
// The encoding is canonical: a byte string that decodes re-encodes to itself.
// Redis is shared and outlives courier versions, so decoding trusts nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "filters/cache/entry.h"

namespace courier::filters::cache {

inline constexpr uint8_t kEntryFormatVersion = 1;
// The most headers, tags or vary names an entry may hold. encodeEntry does
// not check it: an entry over it encodes to bytes decodeEntry rejects (an L2
// miss, never a wrong answer), so callers should not store such entries.
inline constexpr size_t kMaxEntryListItems = 1024;

std::string encodeEntry(const CachedEntry& e);

// nullopt for anything but a complete, checksummed version-1 encoding:
// wrong magic, other version, bad checksum, truncation, trailing bytes,
// unknown flags, non-minimal varints, values out of range, or more than
// kMaxEntryListItems items in a list. Never reads out of bounds, and
// allocates no more than a small multiple of the input's size.
// The body goes on the heap, or, for an entry the memory layer will keep,
// where the cache keeps bodies (EntryBody::forCache: a sealed file when
// large); an entry that answers one request is not worth a file.
enum class BodyStorage { Heap, MemoryLayer };
std::optional<CachedEntry> decodeEntry(std::string_view bytes,
                                       BodyStorage storage = BodyStorage::Heap);

}  // namespace courier::filters::cache
