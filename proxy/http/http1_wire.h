// Writing HTTP/1.1 messages: heads, chunk framing, trailers. Shared by the
// server codec (responses) and the client codec (requests).
#pragma once

#include <event2/buffer.h>

#include <cstdint>
#include <string_view>

#include "proxy/http/header_map.h"

namespace courier::http1 {

void writeStatusLine(evbuffer* out, uint8_t minor, int status);
void writeRequestLine(evbuffer* out, std::string_view method, std::string_view path);
void writeField(evbuffer* out, std::string_view name, std::string_view value);
void writeFields(evbuffer* out, const http::HeaderMap& headers);
inline void writeEndOfHead(evbuffer* out) {
  evbuffer_add(out, "\r\n", 2);
}
void writeChunkHeader(evbuffer* out, size_t length);
inline void writeChunkEnd(evbuffer* out) {
  evbuffer_add(out, "\r\n", 2);
}
// "0\r\n" + trailers + "\r\n".
void writeLastChunk(evbuffer* out, const http::HeaderMap* trailers);

}  // namespace courier::http1
