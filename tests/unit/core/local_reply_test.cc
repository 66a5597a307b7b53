#include "proxy/http/local_reply.h"

#include <gtest/gtest.h>

namespace courier::http {
namespace {

TEST(LocalReplyTest, BodyIsExactJson) {
  EXPECT_EQ(localReplyBody("rate_limited", "too many requests", "req-1"),
            "{\"error\":\"rate_limited\",\"message\":\"too many requests\","
            "\"request_id\":\"req-1\"}\n");
}

TEST(LocalReplyTest, BodyEscapesItsStrings) {
  EXPECT_EQ(localReplyBody("bad_request", "bad \"header\"\n", "a\\b"),
            "{\"error\":\"bad_request\",\"message\":\"bad \\\"header\\\"\\n\","
            "\"request_id\":\"a\\\\b\"}\n");
  EXPECT_EQ(localReplyBody("", "", ""), "{\"error\":\"\",\"message\":\"\",\"request_id\":\"\"}\n");
}

TEST(LocalReplyTest, HeadersCarryStatusTypeLengthAndNoStore) {
  std::string body = localReplyBody("no_route", "no route", "r");
  auto h = localReplyHeaders(404, body.size());
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(h->status, 404);
  EXPECT_EQ(h->headers.size(), 3u);
  EXPECT_EQ(h->headers.getOr("content-type"), "application/json");
  EXPECT_EQ(h->headers.getOr("content-length"), std::to_string(body.size()));
  EXPECT_EQ(h->headers.getOr("cache-control"), "no-store");
}

TEST(LocalReplyTest, LargeLengthIsDecimal) {
  auto h = localReplyHeaders(413, 1234567);
  EXPECT_EQ(h->status, 413);
  EXPECT_EQ(h->headers.getOr("content-length"), "1234567");
}

}  // namespace
}  // namespace courier::http
