#include "proxy/http/http1_wire.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>

namespace courier::http1 {

void writeStatusLine(evbuffer* out, uint8_t minor, int status) {
  std::string_view reason = http::reasonPhrase(status);
  char line[64] = "HTTP/1.1 200 ";
  line[7] = static_cast<char>('0' + minor % 10);
  line[9] = static_cast<char>('0' + status / 100 % 10);
  line[10] = static_cast<char>('0' + status / 10 % 10);
  line[11] = static_cast<char>('0' + status % 10);
  size_t n = 13;
  size_t r = std::min(reason.size(), sizeof line - n - 2);
  memcpy(line + n, reason.data(), r);
  n += r;
  line[n++] = '\r';
  line[n++] = '\n';
  evbuffer_add(out, line, n);
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
  // One reserve and commit for the whole block: per field, the evbuffer
  // bookkeeping cost more than the copying.
  size_t len = 0;
  for (const auto& f : headers.fields()) len += f.name.size() + f.value.size() + 4;
  if (len == 0) return;
  evbuffer_iovec vec;
  if (evbuffer_reserve_space(out, static_cast<ev_ssize_t>(len), &vec, 1) < 1) return;
  char* p = static_cast<char*>(vec.iov_base);
  for (const auto& f : headers.fields()) {
    memcpy(p, f.name.data(), f.name.size());
    p += f.name.size();
    *p++ = ':';
    *p++ = ' ';
    memcpy(p, f.value.data(), f.value.size());
    p += f.value.size();
    *p++ = '\r';
    *p++ = '\n';
  }
  vec.iov_len = len;
  evbuffer_commit_space(out, &vec, 1);
}

void writeChunkHeader(evbuffer* out, size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  char line[24];
  size_t n = sizeof line;
  line[--n] = '\n';
  line[--n] = '\r';
  do {
    line[--n] = kHex[length & 15];
    length >>= 4;
  } while (length != 0);
  evbuffer_add(out, line + n, sizeof line - n);
}

void writeLastChunk(evbuffer* out, const http::HeaderMap* trailers) {
  evbuffer_add(out, "0\r\n", 3);
  if (trailers) writeFields(out, *trailers);
  evbuffer_add(out, "\r\n", 2);
}

}  // namespace courier::http1
