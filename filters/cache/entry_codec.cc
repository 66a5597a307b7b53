// Binary CachedEntry encoding (see entry_codec.h).
#include "filters/cache/entry_codec.h"

#include <xxhash.h>

#include <climits>
#include <utility>
#include <vector>

namespace courier::filters::cache {
namespace {

constexpr char kMagic[2] = {'C', 'E'};
constexpr size_t kChecksumBytes = 8;
constexpr size_t kPrefixBytes = sizeof(kMagic) + 1;  // magic, version
constexpr uint8_t kFlagVaryMarker = 1;
constexpr uint8_t kFlagMustRevalidate = 2;
constexpr uint8_t kFlagNoCache = 4;
constexpr uint8_t kKnownFlags = kFlagVaryMarker | kFlagMustRevalidate | kFlagNoCache;

uint64_t zigzag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t unzigzag(uint64_t u) {
  return static_cast<int64_t>((u >> 1) ^ (0 - (u & 1)));
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}
  void byte(uint8_t b) { out_.push_back(static_cast<char>(b)); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      byte(static_cast<uint8_t>(v | 0x80));
      v >>= 7;
    }
    byte(static_cast<uint8_t>(v));
  }
  void signedVarint(int64_t v) { varint(zigzag(v)); }
  void string(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }

 private:
  std::string& out_;
};

// Reads the payload between the version byte and the checksum. Every read
// checks the remaining length first; a failed read leaves ok() false.
class Reader {
 public:
  explicit Reader(std::string_view in) : p_(in.data()), end_(in.data() + in.size()) {}
  bool ok() const { return ok_; }
  bool atEnd() const { return p_ == end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t byte() {
    if (!ok_ || p_ == end_) return fail();
    return static_cast<uint8_t>(*p_++);
  }
  // Minimal LEB128 only, so each value has one encoding.
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = byte();
      if (!ok_) return 0;
      if (shift == 63 && b > 1) return fail();  // past 64 bits
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift != 0) return fail();  // a redundant zero group
        return v;
      }
    }
    return fail();
  }
  int64_t signedVarint() { return unzigzag(varint()); }
  bool string(std::string& out) {
    std::string_view v;
    if (!view(v)) return false;
    out.assign(v);
    return true;
  }
  // The next string, as a view into the input.
  bool view(std::string_view& out) {
    uint64_t n = varint();
    if (!ok_ || n > remaining()) {
      fail();
      return false;
    }
    out = std::string_view(p_, static_cast<size_t>(n));
    p_ += n;
    return true;
  }
  // A list count: bounded, and no more items than bytes left (each item
  // takes at least one), so hostile counts allocate nothing large.
  size_t count() {
    uint64_t n = varint();
    if (!ok_ || n > kMaxEntryListItems || n > remaining()) return fail();
    return static_cast<size_t>(n);
  }
  bool strings(std::vector<std::string>& out) {
    size_t n = count();
    out.resize(n);
    for (auto& s : out)
      if (!string(s)) return false;
    return ok_;
  }

 private:
  // Marks the read failed; returns 0 for the caller to return.
  uint8_t fail() {
    ok_ = false;
    return 0;
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

uint64_t readLittleEndian64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(p[i]);
  return v;
}

}  // namespace

std::string encodeEntry(const CachedEntry& e) {
  size_t size = 64 + e.body.size() + e.path.size();
  for (const auto& [n, v] : e.headers) size += n.size() + v.size() + 4;
  for (const auto& t : e.tags) size += t.size() + 2;
  for (const auto& v : e.vary) size += v.size() + 2;
  std::string out;
  out.reserve(size + kChecksumBytes);

  Writer w(out);
  out.append(kMagic, sizeof(kMagic));
  w.byte(kEntryFormatVersion);
  w.byte((e.vary_marker ? kFlagVaryMarker : 0) | (e.must_revalidate ? kFlagMustRevalidate : 0) |
         (e.no_cache ? kFlagNoCache : 0));
  w.signedVarint(e.status);
  w.signedVarint(e.request_time_ms);
  w.signedVarint(e.response_time_ms);
  w.signedVarint(e.corrected_initial_age_ms);
  w.signedVarint(e.freshness_lifetime_ms);
  w.signedVarint(e.stale_while_revalidate_ms);
  w.signedVarint(e.stale_if_error_ms);
  w.varint(e.headers.size());
  for (const auto& [n, v] : e.headers) {
    w.string(n);
    w.string(v);
  }
  w.string(e.body.view());
  w.string(e.path);
  w.varint(e.tags.size());
  for (const auto& t : e.tags) w.string(t);
  w.varint(e.vary.size());
  for (const auto& v : e.vary) w.string(v);

  uint64_t sum = XXH3_64bits(out.data(), out.size());
  for (int i = 0; i < 8; ++i) w.byte(static_cast<uint8_t>(sum >> (8 * i)));
  return out;
}

std::optional<CachedEntry> decodeEntry(std::string_view bytes, BodyStorage storage) {
  if (bytes.size() < kPrefixBytes + kChecksumBytes) return std::nullopt;
  if (bytes[0] != kMagic[0] || bytes[1] != kMagic[1]) return std::nullopt;
  if (static_cast<uint8_t>(bytes[2]) != kEntryFormatVersion) return std::nullopt;
  size_t body_end = bytes.size() - kChecksumBytes;
  if (XXH3_64bits(bytes.data(), body_end) != readLittleEndian64(bytes.data() + body_end))
    return std::nullopt;

  Reader r(bytes.substr(kPrefixBytes, body_end - kPrefixBytes));
  CachedEntry e;
  uint8_t flags = r.byte();
  if (flags & ~kKnownFlags) return std::nullopt;
  e.vary_marker = flags & kFlagVaryMarker;
  e.must_revalidate = flags & kFlagMustRevalidate;
  e.no_cache = flags & kFlagNoCache;
  int64_t status = r.signedVarint();
  if (status < INT_MIN || status > INT_MAX) return std::nullopt;
  e.status = static_cast<int>(status);
  e.request_time_ms = r.signedVarint();
  e.response_time_ms = r.signedVarint();
  e.corrected_initial_age_ms = r.signedVarint();
  e.freshness_lifetime_ms = r.signedVarint();
  e.stale_while_revalidate_ms = r.signedVarint();
  e.stale_if_error_ms = r.signedVarint();

  size_t fields = r.count();
  e.headers.resize(fields);
  for (auto& [n, v] : e.headers)
    if (!r.string(n) || !r.string(v)) return std::nullopt;
  std::string_view body;
  if (!r.view(body) || !r.string(e.path)) return std::nullopt;
  if (!r.strings(e.tags) || !r.strings(e.vary)) return std::nullopt;
  if (!r.ok() || !r.atEnd()) return std::nullopt;
  // Last: only a valid entry gets a file.
  e.body = storage == BodyStorage::MemoryLayer ? EntryBody::forCache(body)
                                               : EntryBody(std::string(body));
  return e;
}

}  // namespace courier::filters::cache
