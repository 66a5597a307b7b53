// Translation between courier's message model (RequestHeaders,
// ResponseHeaders, HeaderMap) and HTTP/2 field lists (nghttp2_nv), for both
// directions of both sides. Pure: no I/O, no nghttp2 session.
//
// RFC 9113 §8.2-8.3: pseudo-fields first; connection-specific fields never
// sent; `te` only as "trailers"; Host becomes :authority; cookie crumbs are
// joined with "; " when a request is built (HTTP/1.1 wants one field).
// nghttp2 itself rejects malformed messages on receipt (upper-case names,
// pseudo-field order and duplicates, connection-specific fields, bad TE);
// the builders here only assemble what it let through.
#pragma once

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/http/header_map.h"

namespace courier::http2 {

// An nghttp2_nv list that points into the messages it was made from: valid
// while they live and are unchanged. nghttp2 copies it when it is submitted.
class NvList {
 public:
  void reserve(size_t n) { nva_.reserve(n); }
  // `never_index`: HPACK never adds it to the dynamic table (RFC 7541
  // §6.2.3), for values that do not repeat.
  void add(std::string_view name, std::string_view value, bool never_index = false);
  const nghttp2_nv* data() const { return nva_.data(); }
  size_t size() const { return nva_.size(); }
  std::string_view name(size_t i) const {
    return {reinterpret_cast<const char*>(nva_[i].name), nva_[i].namelen};
  }
  std::string_view value(size_t i) const {
    return {reinterpret_cast<const char*>(nva_[i].value), nva_[i].valuelen};
  }

 private:
  std::vector<nghttp2_nv> nva_;
};

// A request for an HTTP/2 upstream: :method, :scheme, :authority, :path,
// then the fields minus hop-by-hop ones (`te: trailers`, which the codecs
// keep in the model when a client sends it, goes on: gRPC needs it).
void requestToNv(const http::RequestHeaders& request, NvList& out);

// A response for an HTTP/2 client. `status_text` holds ":status"'s digits
// and must outlive `out` (until it is submitted).
void responseToNv(const http::ResponseHeaders& response, char (&status_text)[4], NvList& out);

// Trailers (either direction): fields minus hop-by-hop ones and pseudo-fields.
void trailersToNv(const http::HeaderMap& trailers, NvList& out);

// Builds a request from the fields of a received HEADERS block. Fields are
// copied into the request's own storage, so nghttp2's buffers may go.
class RequestBuilder {
 public:
  RequestBuilder();
  // One field, as nghttp2 validated it.
  void add(std::string_view name, std::string_view value);
  // Sum of name and value lengths so far (the header-list-size limit).
  size_t bytes() const { return bytes_; }
  // The request, or nullptr with `error` set (a request nghttp2 passes but
  // courier cannot serve, e.g. no :authority and no Host).
  std::unique_ptr<http::RequestHeaders> finish(std::string& error);

 private:
  std::unique_ptr<http::RequestHeaders> request_;
  std::string cookie_;  // crumbs joined as they come
  size_t bytes_ = 0;
  bool has_cookie_ = false;
};

// Builds a response (or trailers) from a received HEADERS block.
class ResponseBuilder {
 public:
  ResponseBuilder();
  void add(std::string_view name, std::string_view value);
  size_t bytes() const { return bytes_; }
  // nullptr with `error` set when :status is missing or not a number.
  std::unique_ptr<http::ResponseHeaders> finish(std::string& error);

 private:
  std::unique_ptr<http::ResponseHeaders> response_;
  int status_ = 0;
  size_t bytes_ = 0;
};

// Trailers from a received HEADERS block (pseudo-fields are not allowed
// there; nghttp2 already rejects them).
class TrailersBuilder {
 public:
  TrailersBuilder() : trailers_(std::make_unique<http::HeaderMap>()) {}
  void add(std::string_view name, std::string_view value);
  size_t bytes() const { return bytes_; }
  std::unique_ptr<http::HeaderMap> finish() { return std::move(trailers_); }

 private:
  std::unique_ptr<http::HeaderMap> trailers_;
  size_t bytes_ = 0;
};

}  // namespace courier::http2
