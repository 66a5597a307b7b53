#include "proxy/http/http1_wire.h"

#include <array>
#include <cstdio>
#include <cstring>
#include <string>

namespace courier::http1 {

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

void removeHopByHop(http::HeaderMap& headers) {
  // Fields named by Connection are hop-by-hop too (RFC 9110 §7.6.1).
  std::array<std::string, 8> named;
  size_t named_count = 0;
  for (const auto& f : headers.fields()) {
    if (f.name != "connection") continue;
    std::string_view rest = f.value;
    while (!rest.empty() && named_count < named.size()) {
      size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
      while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
      if (!item.empty()) {
        std::string lowered(item);
        for (char& c : lowered) c = (c >= 'A' && c <= 'Z') ? char(c + 32) : c;
        named[named_count++] = std::move(lowered);
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  auto& fields = headers.mutableFields();
  size_t out = 0;
  for (size_t i = 0; i < fields.size(); ++i) {
    bool drop = isHopByHop(fields[i].name);
    for (size_t k = 0; !drop && k < named_count; ++k) drop = fields[i].name == named[k];
    if (!drop) fields[out++] = fields[i];
  }
  fields.resize(out);
}

void writeStatusLine(evbuffer* out, uint8_t minor, int status) {
  std::string_view reason = http::reasonPhrase(status);
  char line[64];
  int n = snprintf(line, sizeof line, "HTTP/1.%u %03d ", minor, status);
  evbuffer_add(out, line, n);
  evbuffer_add(out, reason.data(), reason.size());
  evbuffer_add(out, "\r\n", 2);
}

void writeRequestLine(evbuffer* out, std::string_view method, std::string_view path) {
  evbuffer_add(out, method.data(), method.size());
  evbuffer_add(out, " ", 1);
  evbuffer_add(out, path.data(), path.size());
  evbuffer_add(out, " HTTP/1.1\r\n", 11);
}

void writeField(evbuffer* out, std::string_view name, std::string_view value) {
  // One reserve + copies is cheaper than four evbuffer_add calls.
  size_t len = name.size() + value.size() + 4;
  evbuffer_iovec vec;
  if (evbuffer_reserve_space(out, len, &vec, 1) < 1) return;
  char* p = static_cast<char*>(vec.iov_base);
  memcpy(p, name.data(), name.size());
  p += name.size();
  *p++ = ':';
  *p++ = ' ';
  memcpy(p, value.data(), value.size());
  p += value.size();
  *p++ = '\r';
  *p++ = '\n';
  vec.iov_len = len;
  evbuffer_commit_space(out, &vec, 1);
}

void writeFields(evbuffer* out, const http::HeaderMap& headers) {
  for (const auto& f : headers.fields()) writeField(out, f.name, f.value);
}

void writeChunkHeader(evbuffer* out, size_t length) {
  char line[24];
  int n = snprintf(line, sizeof line, "%zx\r\n", length);
  evbuffer_add(out, line, n);
}

void writeLastChunk(evbuffer* out, const http::HeaderMap* trailers) {
  evbuffer_add(out, "0\r\n", 3);
  if (trailers) writeFields(out, *trailers);
  evbuffer_add(out, "\r\n", 2);
}

}  // namespace courier::http1
