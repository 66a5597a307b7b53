// HeaderMap: an ordered multimap of header fields with lower-case names.
//
// Field names and values are string_views into storage the map owns (an
// adopted request/response head buffer, plus an arena for added fields), so
// parsing copies the head once and never per field. Views stay valid until
// the map is destroyed, even as fields are added or removed.
// Not thread-safe; a map belongs to one stream on one worker.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace courier::http {

struct HeaderField {
  std::string_view name;  // lower-case
  std::string_view value;
};

// Does a comma-separated list value hold `lower_token` (case-insensitive)?
bool listHasToken(std::string_view list, std::string_view lower_token);

// Is this field hop-by-hop (RFC 9110 §7.6.1): connection-specific, never
// forwarded or stored as is? `lower_name` must be lower-case.
bool isHopByHop(std::string_view lower_name);

// ASCII-lower-case compare of a candidate against an already lower-case name.
bool headerNameEquals(std::string_view lower_name, std::string_view candidate);

class HeaderMap {
 public:
  HeaderMap() = default;
  HeaderMap(const HeaderMap&) = delete;
  HeaderMap& operator=(const HeaderMap&) = delete;
  HeaderMap(HeaderMap&&) = default;
  HeaderMap& operator=(HeaderMap&&) = default;

  // Takes ownership of a buffer that existing views (from addView) point into.
  void adoptStorage(std::unique_ptr<char[]> storage);
  // Adds a field whose bytes live in adopted storage or static memory (no copy).
  // `name` must already be lower-case.
  void addView(std::string_view name, std::string_view value) { fields_.push_back({name, value}); }
  // Adds a field, copying both; `name` is lower-cased.
  void add(std::string_view name, std::string_view value);
  // Replaces every field of that name with one field.
  void set(std::string_view name, std::string_view value);
  // Removes every field of that name; returns how many.
  size_t remove(std::string_view lower_name);

  // First value, or nullptr.
  const std::string_view* get(std::string_view lower_name) const;
  std::string_view getOr(std::string_view lower_name, std::string_view fallback = {}) const;
  size_t count(std::string_view lower_name) const;
  // Does the comma-separated value list of `lower_name` hold `token` (case-insensitive)?
  bool hasToken(std::string_view lower_name, std::string_view token) const;

  // Copies bytes into the map's arena; the view lives as long as the map.
  std::string_view copy(std::string_view bytes);

  const std::vector<HeaderField>& fields() const { return fields_; }
  std::vector<HeaderField>& mutableFields() { return fields_; }
  size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  // Sum of name and value lengths (HPACK-like accounting, without overhead).
  size_t byteSize() const;
  void clear();

 private:
  std::vector<HeaderField> fields_;
  std::vector<std::unique_ptr<char[]>> storage_;
  char* arena_pos_ = nullptr;
  size_t arena_left_ = 0;
};

// A request: pseudo-fields plus the remaining fields. `authority` is the
// Host (HTTP/1.1) or :authority (HTTP/2); HTTP/1.1's Host field is kept out
// of `headers` so each codec writes it its own way.
struct RequestHeaders {
  std::string_view method;     // upper-case token, e.g. "GET"
  std::string_view path;       // origin-form: path and query
  std::string_view authority;  // host[:port]
  std::string_view scheme = "http";
  uint8_t http_major = 1;  // 1 or 2 (what the downstream spoke)
  uint8_t http_minor = 1;
  HeaderMap headers;

  void setPath(std::string_view p) { path = headers.copy(p); }
  void setAuthority(std::string_view a) { authority = headers.copy(a); }
  // Path without the query string.
  std::string_view pathOnly() const {
    auto q = path.find('?');
    return q == std::string_view::npos ? path : path.substr(0, q);
  }
};

struct ResponseHeaders {
  int status = 200;
  uint8_t http_major = 1;
  uint8_t http_minor = 1;
  HeaderMap headers;
};

// Removes hop-by-hop fields and every field the Connection header names.
void removeHopByHop(HeaderMap& headers);

// A response with this status never has a body (RFC 9110 §6.4.1): 1xx,
// 204 and 304. (A response to HEAD has none either; callers add that.)
inline bool statusHasNoBody(int status) {
  return status < 200 || status == 204 || status == 304;
}

// Standard reason phrase ("OK", "Not Found"); "Unknown" if none.
std::string_view reasonPhrase(int status);

}  // namespace courier::http
