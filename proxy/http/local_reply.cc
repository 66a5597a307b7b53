#include "proxy/http/local_reply.h"

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
  h->headers.addView("content-type", "application/json");
  h->headers.add("content-length", std::to_string(body_length));
  h->headers.addView("cache-control", "no-store");
  return h;
}

}  // namespace courier::http
