// Request-head parsing and small text helpers for the demo upstream
// (tests/support/demo_upstream.cc). Header-only on purpose: the demo upstream
// is a single-source CMake target, and every tests/support/*.cc is globbed into
// courier_test_support, so its helpers live here.
//
// The demo upstream is a test origin, not a server for the open internet: it
// only has to understand well-formed requests. It still rejects what it does
// not understand with 400 instead of guessing.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace demo {

inline char lowerChar(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lowerChar(a[i]) != lowerChar(b[i])) return false;
  }
  return true;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// True if the comma-separated `list` (e.g. a Connection or TE value) holds
// `token`, ignoring case and any ";params".
inline bool hasToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    item = trim(item.substr(0, item.find(';')));
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Parses a decimal number; false on anything else (including overflow).
inline bool parseUint(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

inline int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = lowerChar(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

inline std::string percentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

// Calls fn(name, value) for each `name=value` pair of a query string (raw,
// not decoded).
template <typename Fn>
void forEachQueryParam(std::string_view query, Fn&& fn) {
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (!pair.empty()) {
      fn(pair.substr(0, eq),
         eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
}

inline std::string_view queryParam(std::string_view query, std::string_view name) {
  std::string_view found;
  forEachQueryParam(query, [&](std::string_view k, std::string_view v) {
    if (found.empty() && k == name) found = v;
  });
  return found;
}

inline uint64_t queryUint(std::string_view query, std::string_view name, uint64_t fallback) {
  uint64_t v = 0;
  return parseUint(queryParam(query, name), v) ? v : fallback;
}

inline void appendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (u < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", u);
      out.append(esc);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

struct Request {
  std::string method;
  std::string target;
  std::string path;   // target up to '?'
  std::string query;  // after '?', raw
  int minor_version = 1;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
  bool has_body = false;
  bool chunked = false;
  uint64_t content_length = 0;
  bool keep_alive = true;
  bool expect_continue = false;

  const std::string* header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return &v;
    }
    return nullptr;
  }
  bool isHead() const { return method == "HEAD"; }
};

// Parses a complete request head (request line and fields, up to and
// including the empty line). Returns false for anything malformed.
inline bool parseRequestHead(std::string_view head, Request& req) {
  req.headers.clear();
  req.has_body = req.chunked = req.expect_continue = false;
  req.content_length = 0;
  while (head.starts_with("\r\n")) head.remove_prefix(2);  // RFC 9112 §2.2
  size_t eol = head.find("\r\n");
  if (eol == std::string_view::npos) return false;
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);

  size_t sp1 = line.find(' ');
  size_t sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp1 == 0 || sp2 == sp1) return false;
  std::string_view version = line.substr(sp2 + 1);
  if (version == "HTTP/1.1") {
    req.minor_version = 1;
  } else if (version == "HTTP/1.0") {
    req.minor_version = 0;
  } else {
    return false;
  }
  req.method.assign(line.substr(0, sp1));
  req.target.assign(line.substr(sp1 + 1, sp2 - sp1 - 1));
  if (req.target.empty()) return false;
  size_t q = req.target.find('?');
  req.path.assign(req.target, 0, q);
  req.query.assign(q == std::string::npos ? std::string() : req.target.substr(q + 1));

  bool has_length = false;
  bool connection_close = false;
  bool connection_keep_alive = false;
  while (!head.empty()) {
    eol = head.find("\r\n");
    if (eol == std::string_view::npos) return false;
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    if (line.empty()) break;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    std::string name(line.substr(0, colon));
    for (char& c : name) c = lowerChar(c);
    std::string_view value = trim(line.substr(colon + 1));
    if (name == "content-length") {
      uint64_t n = 0;
      if (!parseUint(value, n) || (has_length && n != req.content_length)) return false;
      has_length = true;
      req.content_length = n;
    } else if (name == "transfer-encoding") {
      if (!value.empty()) {
        size_t last = value.rfind(',');
        std::string_view coding =
            trim(last == std::string_view::npos ? value : value.substr(last + 1));
        if (!iequals(coding, "chunked")) return false;
        req.chunked = true;
      }
    } else if (name == "connection") {
      connection_close |= hasToken(value, "close");
      connection_keep_alive |= hasToken(value, "keep-alive");
    } else if (name == "expect") {
      req.expect_continue = iequals(value, "100-continue");
    }
    req.headers.emplace_back(std::move(name), std::string(value));
  }
  if (req.chunked) has_length = false;  // chunked wins (RFC 9112 §6.3)
  req.has_body = req.chunked || (has_length && req.content_length > 0);
  req.keep_alive =
      req.minor_version == 1 ? !connection_close : (connection_keep_alive && !connection_close);
  return true;
}

inline const char* reasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 206:
      return "Partial Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 304:
      return "Not Modified";
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
    case 413:
      return "Content Too Large";
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
    default:
      return "Status";
  }
}

// Splits a JSON array's top-level elements (raw text, whitespace-trimmed).
// Returns false if `json` is not an array or is unbalanced.
inline bool splitJsonArray(std::string_view json, std::vector<std::string_view>& out) {
  auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!json.empty() && isSpace(json.front())) json.remove_prefix(1);
  while (!json.empty() && isSpace(json.back())) json.remove_suffix(1);
  if (json.size() < 2 || json.front() != '[' || json.back() != ']') return false;
  json = json.substr(1, json.size() - 2);
  int depth = 0;
  bool in_string = false;
  size_t start = 0;
  auto emit = [&](size_t end) {
    std::string_view item = json.substr(start, end - start);
    while (!item.empty() && isSpace(item.front())) item.remove_prefix(1);
    while (!item.empty() && isSpace(item.back())) item.remove_suffix(1);
    if (item.empty()) return false;
    out.push_back(item);
    return true;
  };
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      ++depth;
    } else if (c == ']' || c == '}') {
      if (--depth < 0) return false;
    } else if (c == ',' && depth == 0) {
      if (!emit(i)) return false;
      start = i + 1;
    }
  }
  if (depth != 0 || in_string) return false;
  std::string_view rest = json.substr(start);
  bool blank = rest.find_first_not_of(" \t\r\n") == std::string_view::npos;
  if (blank) return out.empty();  // "[]" is fine, "[1,]" is not
  return emit(json.size());
}

// True if a JSON body says "stream": true (whitespace allowed around ':').
inline bool jsonSaysStream(std::string_view body) {
  size_t pos = 0;
  while ((pos = body.find("\"stream\"", pos)) != std::string_view::npos) {
    pos += 8;
    size_t i = pos;
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n')) ++i;
    if (i >= body.size() || body[i] != ':') continue;
    ++i;
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\n')) ++i;
    if (body.substr(i).starts_with("true")) return true;
  }
  return false;
}

}  // namespace demo
