#include "proxy/http/header_map.h"

#include <algorithm>
#include <cstring>

namespace courier::http {
namespace {
constexpr size_t kArenaChunk = 1024;

inline char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

bool headerNameEquals(std::string_view lower_name, std::string_view candidate) {
  if (lower_name.size() != candidate.size()) return false;
  for (size_t i = 0; i < candidate.size(); ++i)
    if (lower(candidate[i]) != lower_name[i]) return false;
  return true;
}

void HeaderMap::adoptStorage(std::unique_ptr<char[]> storage) {
  storage_.push_back(std::move(storage));
}

std::string_view HeaderMap::copy(std::string_view bytes) {
  // Empty, but never a null pointer: views end up in memcpy/evbuffer_add,
  // where a null source is undefined even for zero bytes.
  if (bytes.empty()) return {"", 0};
  if (bytes.size() > arena_left_) {
    size_t n = std::max(kArenaChunk, bytes.size());
    storage_.push_back(std::make_unique_for_overwrite<char[]>(n));
    arena_pos_ = storage_.back().get();
    arena_left_ = n;
  }
  char* dst = arena_pos_;
  memcpy(dst, bytes.data(), bytes.size());
  arena_pos_ += bytes.size();
  arena_left_ -= bytes.size();
  return {dst, bytes.size()};
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  std::string_view n = copy(name);
  char* p = const_cast<char*>(n.data());
  for (size_t i = 0; i < n.size(); ++i) p[i] = lower(p[i]);
  fields_.push_back({n, copy(value)});
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  bool is_lower = true;
  for (char c : name) is_lower = is_lower && lower(c) == c;
  if (is_lower) {  // the usual case: names in code are written lower-case
    remove(name);
    add(name, value);
    return;
  }
  std::string lowered(name);
  for (char& c : lowered) c = lower(c);
  remove(lowered);
  add(lowered, value);
}

size_t HeaderMap::remove(std::string_view lower_name) {
  auto it = std::remove_if(fields_.begin(), fields_.end(),
                           [&](const HeaderField& f) { return f.name == lower_name; });
  size_t n = fields_.end() - it;
  fields_.erase(it, fields_.end());
  return n;
}

const std::string_view* HeaderMap::get(std::string_view lower_name) const {
  for (const auto& f : fields_)
    if (f.name == lower_name) return &f.value;
  return nullptr;
}

std::string_view HeaderMap::getOr(std::string_view lower_name, std::string_view fallback) const {
  const std::string_view* v = get(lower_name);
  return v ? *v : fallback;
}

size_t HeaderMap::count(std::string_view lower_name) const {
  size_t n = 0;
  for (const auto& f : fields_) n += (f.name == lower_name);
  return n;
}

bool listHasToken(std::string_view rest, std::string_view lower_token) {
  while (!rest.empty()) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    if (headerNameEquals(lower_token, item)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

bool HeaderMap::hasToken(std::string_view lower_name, std::string_view token) const {
  for (const auto& f : fields_)
    if (f.name == lower_name && listHasToken(f.value, token)) return true;
  return false;
}

size_t HeaderMap::byteSize() const {
  size_t n = 0;
  for (const auto& f : fields_) n += f.name.size() + f.value.size();
  return n;
}

void HeaderMap::clear() {
  fields_.clear();
  storage_.clear();
  arena_pos_ = nullptr;
  arena_left_ = 0;
}

bool isHopByHop(std::string_view n) {
  // Lengths differ enough that a switch on size keeps this cheap.
  switch (n.size()) {
    case 2:
      return n == "te";
    case 7:
      return n == "upgrade" || n == "trailer";
    case 10:
      return n == "connection" || n == "keep-alive";
    case 16:
      return n == "proxy-connection";
    case 17:
      return n == "transfer-encoding";
    default:
      return false;
  }
}

void removeHopByHop(HeaderMap& headers) {
  auto& fields = headers.mutableFields();
  // Fast path: most messages carry no hop-by-hop field at all.
  bool any = false;
  for (const auto& f : fields) any = any || isHopByHop(f.name);
  if (!any) return;
  // Fields named by Connection are hop-by-hop too (RFC 9110 §7.6.1). Field
  // names are lower-case; listHasToken compares case-insensitively.
  auto namedByConnection = [&](std::string_view name) {
    for (const auto& c : fields)
      if (c.name == "connection" && listHasToken(c.value, name)) return true;
    return false;
  };
  size_t out = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (!isHopByHop(fields[i].name) && !namedByConnection(fields[i].name)) {
      fields[out++] = fields[i];
    }
  }
  fields.resize(out);
}

std::string_view reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 101:
      return "Switching Protocols";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 203:
      return "Non-Authoritative Information";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 307:
      return "Temporary Redirect";
    case 308:
      return "Permanent Redirect";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 409:
      return "Conflict";
    case 411:
      return "Length Required";
    case 412:
      return "Precondition Failed";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 417:
      return "Expectation Failed";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

}  // namespace courier::http
