// Header translation between courier's message model and HTTP/2 field lists.
#include "proxy/http/http2_headers.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace courier::http2 {
namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

Fields fieldsOf(const NvList& nva) {
  Fields out;
  for (size_t i = 0; i < nva.size(); ++i) out.emplace_back(nva.name(i), nva.value(i));
  return out;
}

TEST(Http2Headers, RequestPseudoFieldsFirstAndHopByHopDropped) {
  http::RequestHeaders request;
  request.method = "POST";
  request.path = "/v1/chat?x=1";
  request.authority = "api.example.com";
  request.headers.add("content-type", "application/json");
  request.headers.add("connection", "keep-alive");
  request.headers.add("keep-alive", "timeout=5");
  request.headers.add("transfer-encoding", "chunked");
  request.headers.add("upgrade", "h2c");
  request.headers.add("host", "ignored.example.com");
  request.headers.add("te", "trailers");
  request.headers.add("x-request-id", "abc");
  NvList nva;
  requestToNv(request, nva);
  EXPECT_EQ(fieldsOf(nva), (Fields{{":method", "POST"},
                                   {":scheme", "http"},
                                   {":authority", "api.example.com"},
                                   {":path", "/v1/chat?x=1"},
                                   {"content-type", "application/json"},
                                   {"te", "trailers"},
                                   {"x-request-id", "abc"}}));
}

TEST(Http2Headers, TeOtherThanTrailersIsDropped) {
  http::RequestHeaders request;
  request.method = "GET";
  request.path = "/";
  request.authority = "a";
  request.headers.add("te", "gzip");
  NvList nva;
  requestToNv(request, nva);
  EXPECT_EQ(nva.size(), 4u);
}

TEST(Http2Headers, ResponseStatusAndFields) {
  http::ResponseHeaders response;
  response.status = 404;
  response.headers.add("content-type", "text/plain");
  response.headers.add("connection", "close");
  response.headers.add("proxy-connection", "keep-alive");
  NvList nva;
  char status[4];
  responseToNv(response, status, nva);
  EXPECT_EQ(fieldsOf(nva), (Fields{{":status", "404"}, {"content-type", "text/plain"}}));
}

TEST(Http2Headers, ResponseOutOfRangeStatusBecomes502) {
  http::ResponseHeaders response;
  response.status = 1200;
  NvList nva;
  char status[4];
  responseToNv(response, status, nva);
  EXPECT_EQ(fieldsOf(nva), (Fields{{":status", "502"}}));
}

TEST(Http2Headers, TrailersWithoutHopByHopOrPseudoFields) {
  http::HeaderMap trailers;
  trailers.add("grpc-status", "0");
  trailers.add("grpc-message", "ok");
  trailers.add("transfer-encoding", "chunked");
  NvList nva;
  trailersToNv(trailers, nva);
  EXPECT_EQ(fieldsOf(nva), (Fields{{"grpc-status", "0"}, {"grpc-message", "ok"}}));
}

TEST(Http2Headers, RequestBuilderTakesPseudoFieldsAndJoinsCookies) {
  RequestBuilder b;
  b.add(":method", "GET");
  b.add(":scheme", "https");  // cleartext connection: ignored
  b.add(":authority", "api.example.com");
  b.add(":path", "/a?b=c");
  b.add("cookie", "a=1");
  b.add("accept", "*/*");
  b.add("cookie", "b=2");
  b.add("cookie", "c=3");
  std::string error;
  auto r = b.finish(error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->scheme, "http");
  EXPECT_EQ(r->authority, "api.example.com");
  EXPECT_EQ(r->path, "/a?b=c");
  EXPECT_EQ(r->http_major, 2);
  EXPECT_EQ(r->headers.count("cookie"), 1u);
  EXPECT_EQ(r->headers.getOr("cookie"), "a=1; b=2; c=3");
  EXPECT_EQ(r->headers.getOr("accept"), "*/*");
}

TEST(Http2Headers, RequestBuilderFallsBackToHostAndKeepsItOutOfFields) {
  RequestBuilder b;
  b.add(":method", "GET");
  b.add(":path", "/");
  b.add("host", "h.example.com");
  std::string error;
  auto r = b.finish(error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->authority, "h.example.com");
  EXPECT_EQ(r->headers.get("host"), nullptr);
}

TEST(Http2Headers, AuthorityWinsOverHost) {
  RequestBuilder b;
  b.add(":method", "GET");
  b.add(":authority", "a.example.com");
  b.add(":path", "/");
  b.add("host", "b.example.com");
  std::string error;
  auto r = b.finish(error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->authority, "a.example.com");
}

TEST(Http2Headers, RequestBuilderRejectsWhatCourierCannotServe) {
  std::string error;
  {
    RequestBuilder b;
    b.add(":method", "GET");
    b.add(":path", "/");
    EXPECT_FALSE(b.finish(error));
    EXPECT_EQ(error, "missing :authority and Host");
  }
  {
    RequestBuilder b;
    b.add(":method", "CONNECT");
    b.add(":authority", "a:443");
    EXPECT_FALSE(b.finish(error));
    EXPECT_EQ(error, "CONNECT is not supported");
  }
  {
    RequestBuilder b;
    b.add(":method", "OPTIONS");
    b.add(":authority", "a");
    b.add(":path", "*");
    EXPECT_FALSE(b.finish(error));
    EXPECT_EQ(error, "the :path is not origin-form");
  }
}

TEST(Http2Headers, RequestBuilderCountsBytes) {
  RequestBuilder b;
  b.add(":method", "GET");  // 7 + 3
  b.add("x", "yz");         // 1 + 2
  EXPECT_EQ(b.bytes(), 13u);
}

TEST(Http2Headers, ResponseBuilder) {
  ResponseBuilder b;
  b.add(":status", "204");
  b.add("x-a", "1");
  std::string error;
  auto r = b.finish(error);
  ASSERT_TRUE(r) << error;
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->http_major, 2);
  EXPECT_EQ(r->headers.getOr("x-a"), "1");
}

TEST(Http2Headers, ResponseBuilderRejectsBadStatus) {
  for (const char* bad : {"", "20", "2000", "abc", "2 0"}) {
    ResponseBuilder b;
    b.add(":status", bad);
    std::string error;
    EXPECT_FALSE(b.finish(error)) << bad;
    EXPECT_EQ(error, "missing or malformed :status");
  }
  ResponseBuilder none;
  std::string error;
  EXPECT_FALSE(none.finish(error));
}

TEST(Http2Headers, TrailersBuilderDropsPseudoFields) {
  TrailersBuilder b;
  b.add("grpc-status", "5");
  b.add(":status", "200");
  auto t = b.finish();
  ASSERT_EQ(t->size(), 1u);
  EXPECT_EQ(t->getOr("grpc-status"), "5");
}

}  // namespace
}  // namespace courier::http2
