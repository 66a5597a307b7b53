// The Redis form of a cached entry: exact round trips, and nothing malformed
// (truncated, corrupted, from another version) ever decodes.
#include <gtest/gtest.h>
#include <xxhash.h>

#include <climits>
#include <cstdint>
#include <string>

#include "filters/cache/entry_codec.h"

namespace courier::filters::cache {
namespace {

void expectSame(const CachedEntry& a, const CachedEntry& b) {
  EXPECT_EQ(a.vary_marker, b.vary_marker);
  EXPECT_EQ(a.status, b.status);
  EXPECT_EQ(a.headers, b.headers);
  EXPECT_EQ(a.body.view(), b.body.view());
  EXPECT_EQ(a.request_time_ms, b.request_time_ms);
  EXPECT_EQ(a.response_time_ms, b.response_time_ms);
  EXPECT_EQ(a.corrected_initial_age_ms, b.corrected_initial_age_ms);
  EXPECT_EQ(a.freshness_lifetime_ms, b.freshness_lifetime_ms);
  EXPECT_EQ(a.stale_while_revalidate_ms, b.stale_while_revalidate_ms);
  EXPECT_EQ(a.stale_if_error_ms, b.stale_if_error_ms);
  EXPECT_EQ(a.must_revalidate, b.must_revalidate);
  EXPECT_EQ(a.no_cache, b.no_cache);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.tags, b.tags);
  EXPECT_EQ(a.vary, b.vary);
}

CachedEntry fullEntry() {
  CachedEntry e;
  e.status = 203;
  e.headers = {{"content-type", "application/json"},
               {"etag", "\"v1\""},
               {"x-empty", ""},
               {"set-cookie", "a=1"},
               {"set-cookie", "b=2"}};
  e.body = std::string("{\"answer\":42}\0\xff", 15);
  e.request_time_ms = 1'700'000'000'123;
  e.response_time_ms = 1'700'000'000'456;
  e.corrected_initial_age_ms = 5'000;
  e.freshness_lifetime_ms = 60'000;
  e.stale_while_revalidate_ms = 30'000;
  e.stale_if_error_ms = 86'400'000;
  e.must_revalidate = true;
  e.no_cache = true;
  e.path = "/v1/items?page=2";
  e.tags = {"items", "page-2"};
  e.vary = {"accept-encoding", "accept-language"};
  return e;
}

void expectRoundTrip(const CachedEntry& e) {
  std::string bytes = encodeEntry(e);
  auto back = decodeEntry(bytes);
  ASSERT_TRUE(back.has_value());
  expectSame(e, *back);
  EXPECT_EQ(encodeEntry(*back), bytes);  // canonical
}

// Appends the checksum to a hand-made (or altered) payload, so the test
// reaches the structural checks behind it.
std::string seal(std::string payload) {
  uint64_t sum = XXH3_64bits(payload.data(), payload.size());
  for (int i = 0; i < 8; ++i) payload.push_back(static_cast<char>(sum >> (8 * i)));
  return payload;
}
std::string unsealed(const std::string& bytes) {
  return bytes.substr(0, bytes.size() - 8);
}

// A minimal version-1 payload (no checksum) with the given tail after the
// six times: header count and the rest.
std::string payload(std::string_view after_times, uint8_t flags = 0) {
  std::string p = "CE";
  p += static_cast<char>(kEntryFormatVersion);
  p += static_cast<char>(flags);
  p += "\x90\x03";            // status 200, zigzag
  p += std::string(6, '\0');  // six times
  p += after_times;
  return p;
}
const std::string kEmptyTail("\0\0\0\0\0", 5);  // headers, body, path, tags, vary

TEST(EntryCodec, RoundTripsEveryField) {
  expectRoundTrip(fullEntry());
}

TEST(EntryCodec, RoundTripsDefaultsAndEmptyBody) {
  expectRoundTrip(CachedEntry{});
  CachedEntry e = fullEntry();
  e.body = EntryBody();
  e.status = 204;
  expectRoundTrip(e);
}

TEST(EntryCodec, RoundTripsVaryMarker) {
  CachedEntry marker;
  marker.vary_marker = true;
  marker.vary = {"accept-encoding"};
  expectRoundTrip(marker);
  auto back = decodeEntry(encodeEntry(marker));
  ASSERT_TRUE(back);
  EXPECT_TRUE(back->vary_marker);
  EXPECT_FALSE(decodeEntry(encodeEntry(CachedEntry{}))->vary_marker);
}

TEST(EntryCodec, RoundTripsEachFlagAlone) {
  for (int i = 0; i < 3; ++i) {
    CachedEntry e;
    e.vary_marker = i == 0;
    e.must_revalidate = i == 1;
    e.no_cache = i == 2;
    expectRoundTrip(e);
  }
}

TEST(EntryCodec, RoundTripsExtremeNumbers) {
  CachedEntry e;
  e.status = INT_MIN;
  e.request_time_ms = INT64_MIN;
  e.response_time_ms = INT64_MAX;
  e.corrected_initial_age_ms = -1;
  e.freshness_lifetime_ms = 1;
  e.stale_while_revalidate_ms = 63;
  e.stale_if_error_ms = -64;
  expectRoundTrip(e);
  e.status = INT_MAX;
  expectRoundTrip(e);
}

TEST(EntryCodec, RoundTripsLargeBody) {
  CachedEntry e = fullEntry();
  std::string body(5 * 1024 * 1024, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131 + (i >> 9));
  e.body = std::move(body);
  expectRoundTrip(e);
}

// An entry from Redis that the memory layer will keep: a large body in a
// sealed file (sent with sendfile), a small one on the heap. An entry that
// answers one request (no memory layer) keeps even a large body on the heap.
TEST(EntryCodec, DecodesLargeBodiesIntoFilesForTheMemoryLayer) {
  CachedEntry e = fullEntry();
  e.body = std::string(kFileBodyMinBytes, 'b');
  auto large = decodeEntry(encodeEntry(e), BodyStorage::MemoryLayer);
  ASSERT_TRUE(large);
  ASSERT_TRUE(large->body.file());
  EXPECT_EQ(large->body.view(), e.body.view());
  // memory_bytes counts the file's whole pages.
  EXPECT_GE(large->byteSize(), large->body.file()->residentBytes());
  EXPECT_EQ(large->body.file()->residentBytes() % 4096, 0u);
  auto once = decodeEntry(encodeEntry(e));
  ASSERT_TRUE(once);
  EXPECT_FALSE(once->body.file());
  EXPECT_EQ(once->body.view(), e.body.view());
  e.body = std::string(kFileBodyMinBytes - 1, 's');
  auto small = decodeEntry(encodeEntry(e), BodyStorage::MemoryLayer);
  ASSERT_TRUE(small);
  EXPECT_FALSE(small->body.file());
  EXPECT_EQ(small->body.view(), e.body.view());
}

TEST(EntryCodec, ListsUpToTheLimit) {
  CachedEntry e;
  for (size_t i = 0; i < kMaxEntryListItems; ++i) {
    e.headers.emplace_back("x-" + std::to_string(i), "v");
    e.tags.push_back("t" + std::to_string(i));
    e.vary.push_back("v" + std::to_string(i));
  }
  expectRoundTrip(e);
  // One more is rejected on decode (a miss, never a wrong entry).
  for (int which = 0; which < 3; ++which) {
    CachedEntry over = e;
    if (which == 0) over.headers.emplace_back("x-more", "v");
    if (which == 1) over.tags.push_back("more");
    if (which == 2) over.vary.push_back("more");
    EXPECT_FALSE(decodeEntry(encodeEntry(over))) << which;
  }
}

TEST(EntryCodec, StartsWithMagicAndVersion) {
  std::string bytes = encodeEntry(fullEntry());
  EXPECT_EQ(bytes.substr(0, 2), "CE");
  EXPECT_EQ(static_cast<uint8_t>(bytes[2]), kEntryFormatVersion);
  EXPECT_EQ(kEntryFormatVersion, 1);
}

TEST(EntryCodec, HandMadePayloadDecodes) {
  auto e = decodeEntry(seal(payload(kEmptyTail)));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->status, 200);
  EXPECT_EQ(seal(payload(kEmptyTail)), encodeEntry(*e));
}

TEST(EntryCodec, RejectsEveryBitFlip) {
  std::string bytes = encodeEntry(fullEntry());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      EXPECT_FALSE(decodeEntry(bad)) << "byte " << i << " bit " << bit;
    }
  }
}

TEST(EntryCodec, RejectsEveryTruncation) {
  std::string bytes = encodeEntry(fullEntry());
  std::string body = unsealed(bytes);
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(decodeEntry(std::string_view(bytes).substr(0, n))) << n;
    // With a valid checksum over the shorter payload, the parser itself must
    // notice the missing fields.
    if (n < body.size()) {
      EXPECT_FALSE(decodeEntry(seal(body.substr(0, n)))) << n;
    }
  }
}

TEST(EntryCodec, RejectsTrailingBytes) {
  std::string bytes = encodeEntry(fullEntry());
  EXPECT_FALSE(decodeEntry(bytes + "x"));
  EXPECT_FALSE(decodeEntry(seal(unsealed(bytes) + "x")));
  EXPECT_FALSE(decodeEntry(seal(unsealed(bytes) + std::string(1, '\0'))));
}

TEST(EntryCodec, RejectsOtherMagicAndVersions) {
  std::string body = unsealed(encodeEntry(fullEntry()));
  for (int v = 0; v < 256; ++v) {
    if (v == kEntryFormatVersion) continue;
    std::string other = body;
    other[2] = static_cast<char>(v);
    EXPECT_FALSE(decodeEntry(seal(other))) << v;  // a future format never decodes
  }
  std::string magic = body;
  magic[0] = 'c';
  EXPECT_FALSE(decodeEntry(seal(magic)));
  magic = body;
  magic[1] = 'F';
  EXPECT_FALSE(decodeEntry(seal(magic)));
  EXPECT_FALSE(decodeEntry(""));
  EXPECT_FALSE(decodeEntry("CE\x01"));
}

TEST(EntryCodec, RejectsBadChecksum) {
  std::string bytes = encodeEntry(CachedEntry{});
  bytes.back() = static_cast<char>(bytes.back() + 1);
  EXPECT_FALSE(decodeEntry(bytes));
  EXPECT_FALSE(decodeEntry(unsealed(encodeEntry(CachedEntry{})) + std::string(8, '\0')));
}

TEST(EntryCodec, RejectsUnknownFlags) {
  EXPECT_TRUE(decodeEntry(seal(payload(kEmptyTail, 7))));
  for (int flag = 8; flag < 256; flag <<= 1)
    EXPECT_FALSE(decodeEntry(seal(payload(kEmptyTail, static_cast<uint8_t>(flag))))) << flag;
}

TEST(EntryCodec, RejectsAbsurdCounts) {
  // 2^60 headers with no bytes behind them; 1025 with plenty of bytes.
  std::string huge = "\x80\x80\x80\x80\x80\x80\x80\x80\x10";
  EXPECT_FALSE(decodeEntry(seal(payload(huge + std::string(4, '\0')))));
  std::string many = "\x81\x08";  // 1025
  EXPECT_FALSE(decodeEntry(seal(payload(many + std::string(3000, '\0')))));
  // More items than bytes left.
  std::string tail("\0\0\0\x05\0", 5);  // 5 tags, nothing after
  EXPECT_FALSE(decodeEntry(seal(payload(tail))));
}

TEST(EntryCodec, RejectsLengthsPastTheEnd) {
  std::string tail("\0\xff\xff\xff\xff\x0f", 6);  // a body of 32 GiB
  EXPECT_FALSE(decodeEntry(seal(payload(tail + std::string(8, '\0')))));
  std::string one_short(
      "\0\x03"
      "ab\0\0\0",
      7);  // body "ab?" then too few fields
  EXPECT_FALSE(decodeEntry(seal(payload(one_short))));
}

TEST(EntryCodec, RejectsNonMinimalAndOverlongVarints) {
  // Status 200 written with a redundant zero group.
  std::string p = payload(kEmptyTail);
  std::string redundant = p.substr(0, 4) + "\x90\x83\x00" + p.substr(6);
  EXPECT_FALSE(decodeEntry(seal(redundant)));
  // Zero written as 0x80 0x00.
  std::string zero_time = p.substr(0, 6) + std::string("\x80\0", 2) + p.substr(7);
  EXPECT_FALSE(decodeEntry(seal(zero_time)));
  // An 11-byte varint and a 10-byte one past 64 bits.
  std::string eleven = p.substr(0, 6) + std::string(10, '\x80') + '\x01' + p.substr(7);
  EXPECT_FALSE(decodeEntry(seal(eleven)));
  std::string wide = p.substr(0, 6) + std::string(9, '\xff') + '\x02' + p.substr(7);
  EXPECT_FALSE(decodeEntry(seal(wide)));
  std::string widest = p.substr(0, 6) + std::string(9, '\xff') + '\x01' + p.substr(7);
  EXPECT_TRUE(decodeEntry(seal(widest)));  // INT64_MIN, the largest zigzag value
}

TEST(EntryCodec, RejectsStatusOutsideInt) {
  std::string p = payload(kEmptyTail);
  // zigzag(2^31) = 2^32: 0x80 0x80 0x80 0x80 0x10.
  std::string big = p.substr(0, 4) + "\x80\x80\x80\x80\x10" + p.substr(6);
  EXPECT_FALSE(decodeEntry(seal(big)));
}

}  // namespace
}  // namespace courier::filters::cache
