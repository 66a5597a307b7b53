#include "proxy/http/http2_headers.h"

#include <charconv>

namespace courier::http2 {
namespace {

// nghttp2 copies the fields at submit time (one block, no per-field
// allocation): the messages they came from may change or go before the
// frame is serialised (filters rewrite headers; :status is a local).
constexpr uint8_t kCopy = NGHTTP2_NV_FLAG_NONE;

// Fields that never travel in HTTP/2 (RFC 9113 §8.2.2), and Host, which
// :authority replaces.
bool dropForH2(const http::HeaderField& f) {
  if (f.name == "te") return f.value != "trailers";
  return f.name == "host" || http::isHopByHop(f.name);
}

// A value new on every message is never worth a slot in the peer's HPACK
// table (RFC 7541 §7.1.3): each would evict a useful entry, and the
// encoder's search then walks the churned table (callgrind: +5,000
// instructions per proxied h2 request with x-request-id indexed).
bool neverIndexed(std::string_view name) {
  return name == "x-request-id";
}

void addFields(const http::HeaderMap& headers, NvList& out) {
  for (const auto& f : headers.fields()) {
    if (dropForH2(f) || (!f.name.empty() && f.name.front() == ':')) continue;
    out.add(f.name, f.value, neverIndexed(f.name));
  }
}

}  // namespace

void NvList::add(std::string_view name, std::string_view value, bool never_index) {
  uint8_t flags = kCopy | (never_index ? NGHTTP2_NV_FLAG_NO_INDEX : 0);
  nva_.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
                  reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(),
                  value.size(), flags});
}

void requestToNv(const http::RequestHeaders& request, NvList& out) {
  out.reserve(request.headers.size() + 4);
  out.add(":method", request.method);
  out.add(":scheme", request.scheme);
  out.add(":authority", request.authority);
  out.add(":path", request.path);
  addFields(request.headers, out);
}

void responseToNv(const http::ResponseHeaders& response, char (&status_text)[4], NvList& out) {
  int status = response.status >= 100 && response.status <= 999 ? response.status : 502;
  std::to_chars(status_text, status_text + 3, status);
  status_text[3] = '\0';
  out.reserve(response.headers.size() + 1);
  out.add(":status", std::string_view(status_text, 3));
  addFields(response.headers, out);
}

void trailersToNv(const http::HeaderMap& trailers, NvList& out) {
  out.reserve(trailers.size());
  addFields(trailers, out);
}

RequestBuilder::RequestBuilder() : request_(std::make_unique<http::RequestHeaders>()) {
  request_->http_major = 2;
  request_->http_minor = 0;
}

void RequestBuilder::add(std::string_view name, std::string_view value) {
  bytes_ += name.size() + value.size();
  http::RequestHeaders& r = *request_;
  if (!name.empty() && name.front() == ':') {
    std::string_view copy = r.headers.copy(value);
    if (name == ":method") {
      r.method = copy;
    } else if (name == ":path") {
      r.path = copy;
    } else if (name == ":authority") {
      r.authority = copy;
    }
    // :scheme is not taken: the connection is cleartext whatever the
    // client claims, and x-forwarded-proto must say so.
    return;
  }
  if (name == "cookie") {
    // RFC 9113 §8.2.3: crumbs are joined for HTTP/1.1 (and for filters,
    // which then see one field).
    if (has_cookie_) cookie_.append("; ");
    cookie_.append(value);
    has_cookie_ = true;
    return;
  }
  if (name == "host") {
    // Kept out of the fields as HTTP/1.1 does; :authority wins if both came.
    if (r.authority.empty()) r.authority = r.headers.copy(value);
    return;
  }
  r.headers.addView(r.headers.copy(name), r.headers.copy(value));
}

std::unique_ptr<http::RequestHeaders> RequestBuilder::finish(std::string& error) {
  http::RequestHeaders& r = *request_;
  if (r.method.empty() || r.path.empty()) {
    error = r.method == "CONNECT" ? "CONNECT is not supported" : "missing :method or :path";
    return nullptr;
  }
  if (r.authority.empty()) {
    error = "missing :authority and Host";
    return nullptr;
  }
  if (r.path.front() != '/') {
    error = "the :path is not origin-form";
    return nullptr;
  }
  if (has_cookie_) r.headers.addView("cookie", r.headers.copy(cookie_));
  return std::move(request_);
}

ResponseBuilder::ResponseBuilder() : response_(std::make_unique<http::ResponseHeaders>()) {
  response_->http_major = 2;
  response_->http_minor = 0;
}

void ResponseBuilder::add(std::string_view name, std::string_view value) {
  bytes_ += name.size() + value.size();
  if (name == ":status") {
    int status = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), status);
    if (ec == std::errc() && end == value.data() + value.size() && value.size() == 3)
      status_ = status;
    return;
  }
  if (!name.empty() && name.front() == ':') return;
  http::HeaderMap& h = response_->headers;
  h.addView(h.copy(name), h.copy(value));
}

std::unique_ptr<http::ResponseHeaders> ResponseBuilder::finish(std::string& error) {
  if (status_ < 100 || status_ > 999) {
    error = "missing or malformed :status";
    return nullptr;
  }
  response_->status = status_;
  return std::move(response_);
}

void TrailersBuilder::add(std::string_view name, std::string_view value) {
  bytes_ += name.size() + value.size();
  if (!name.empty() && name.front() == ':') return;
  trailers_->addView(trailers_->copy(name), trailers_->copy(value));
}

}  // namespace courier::http2
