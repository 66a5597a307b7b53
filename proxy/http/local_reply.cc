#include "proxy/http/local_reply.h"

#include <charconv>

#include "proxy/common/json.h"

namespace courier::http {

std::string localReplyBody(std::string_view error, std::string_view message,
                           std::string_view request_id) {
  std::string body;
  body.reserve(64 + error.size() + message.size() + request_id.size());
  body += "{\"error\":";
  json::appendString(body, error);
  body += ",\"message\":";
  json::appendString(body, message);
  body += ",\"request_id\":";
  json::appendString(body, request_id);
  body += "}\n";
  return body;
}

std::unique_ptr<ResponseHeaders> localReplyHeaders(int status, size_t body_length) {
  auto h = std::make_unique<ResponseHeaders>();
  h->status = status;
  h->headers.mutableFields().reserve(8);  // room for a filter's few fields (Retry-After ...)
  char length[24];
  auto [end, ec] = std::to_chars(length, length + sizeof length, body_length);
  (void)ec;  // 24 bytes hold any 64-bit number
  h->headers.addView("content-type", "application/json");
  h->headers.addView("content-length",
                     h->headers.copy({length, static_cast<size_t>(end - length)}));
  h->headers.addView("cache-control", "no-store");
  return h;
}

}  // namespace courier::http
