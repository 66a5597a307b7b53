// requestFraming / responseFraming: how a body is delimited, and every
// ambiguity that has to be refused.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proxy/http/http1_parser.h"

namespace courier::http1 {
namespace {

using Fields = std::vector<http::HeaderField>;

struct Outcome {
  bool ok = false;
  BodyFraming framing;
  ParseError error;
};

Outcome request(const Fields& fields, uint8_t minor = 1) {
  Outcome o;
  o.ok = requestFraming(fields, minor, o.framing, o.error);
  return o;
}

Outcome response(const Fields& fields, int status = 200, std::string_view method = "GET") {
  Outcome o;
  o.ok = responseFraming(fields, status, method, o.framing, o.error);
  return o;
}

// The request's error status, or 0 when accepted.
int requestStatus(const Fields& fields, uint8_t minor = 1) {
  Outcome o = request(fields, minor);
  return o.ok ? 0 : o.error.status;
}

int responseStatus(const Fields& fields) {
  Outcome o = response(fields);
  return o.ok ? 0 : o.error.status;
}

Fields te(std::string_view value) {
  return {{"host", "a"}, {"transfer-encoding", value}};
}
Fields cl(std::string_view value) {
  return {{"host", "a"}, {"content-length", value}};
}

TEST(RequestFraming, NoBodyFields) {
  Outcome o = request({{"host", "a"}});
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.framing.kind, BodyKind::None);
}

TEST(RequestFraming, ContentLength) {
  Outcome o = request(cl("42"));
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.framing.kind, BodyKind::ContentLength);
  EXPECT_EQ(o.framing.content_length, 42u);
  Outcome zero = request(cl("0"));
  ASSERT_TRUE(zero.ok);
  EXPECT_EQ(zero.framing.kind, BodyKind::ContentLength);
  EXPECT_EQ(zero.framing.content_length, 0u);
  Outcome padded = request(cl("007"));
  ASSERT_TRUE(padded.ok);
  EXPECT_EQ(padded.framing.content_length, 7u);
  Outcome max = request(cl("9223372036854775807"));
  ASSERT_TRUE(max.ok);
  EXPECT_EQ(max.framing.content_length, 9223372036854775807u);
}

TEST(RequestFraming, RepeatedContentLengthIs400) {
  EXPECT_EQ(requestStatus({{"content-length", "5"}, {"content-length", "5"}}), 400);
  EXPECT_EQ(requestStatus({{"content-length", "5"}, {"content-length", "6"}}), 400);
  EXPECT_EQ(requestStatus(cl("5, 5")), 400);
  EXPECT_EQ(requestStatus(cl("5,5")), 400);
  EXPECT_EQ(requestStatus(cl("5,")), 400);
}

TEST(RequestFraming, InvalidContentLengthIs400) {
  for (const char* v : {"", "abc", "+5", "-1", "0x10", "5 5", "5.0", "1e3", "\"5\"", "5;x"})
    EXPECT_EQ(requestStatus(cl(v)), 400) << v;
}

TEST(RequestFraming, ContentLengthOverflowIs400) {
  EXPECT_EQ(requestStatus(cl("9223372036854775808")), 400);   // INT64_MAX + 1
  EXPECT_EQ(requestStatus(cl("18446744073709551616")), 400);  // UINT64_MAX + 1
  EXPECT_EQ(requestStatus(cl("99999999999999999999999999")), 400);
}

TEST(RequestFraming, Chunked) {
  for (const char* v : {"chunked", "Chunked", "CHUNKED"}) {
    Outcome o = request(te(v));
    ASSERT_TRUE(o.ok) << v;
    EXPECT_EQ(o.framing.kind, BodyKind::Chunked);
  }
}

TEST(RequestFraming, TransferEncodingWithContentLengthIs400) {
  EXPECT_EQ(requestStatus({{"transfer-encoding", "chunked"}, {"content-length", "5"}}), 400);
  EXPECT_EQ(requestStatus({{"content-length", "5"}, {"transfer-encoding", "chunked"}}), 400);
  EXPECT_EQ(requestStatus({{"content-length", "0"}, {"transfer-encoding", "chunked"}}), 400);
}

TEST(RequestFraming, TransferEncodingInHttp10Is400) {
  EXPECT_EQ(requestStatus(te("chunked"), 0), 400);
}

TEST(RequestFraming, UnknownCodingIs501) {
  EXPECT_EQ(requestStatus(te("gzip, chunked")), 501);
  EXPECT_EQ(requestStatus(te("gzip;q=1, chunked")), 501);
  EXPECT_EQ(requestStatus({{"transfer-encoding", "gzip"}, {"transfer-encoding", "chunked"}}), 501);
}

TEST(RequestFraming, ChunkedNotLastIs400) {
  EXPECT_EQ(requestStatus(te("chunked, gzip")), 400);
  EXPECT_EQ(requestStatus({{"transfer-encoding", "chunked"}, {"transfer-encoding", "gzip"}}), 400);
  // With no chunked at all, the length cannot be determined (RFC 9112 §6.3).
  EXPECT_EQ(requestStatus(te("gzip")), 400);
  EXPECT_EQ(requestStatus(te("identity")), 400);
}

TEST(RequestFraming, ChunkedTwiceIs400) {
  EXPECT_EQ(requestStatus(te("chunked, chunked")), 400);
  EXPECT_EQ(requestStatus({{"transfer-encoding", "chunked"}, {"transfer-encoding", "chunked"}}),
            400);
}

TEST(RequestFraming, ObfuscatedTransferEncodingIs400) {
  for (const char* v : {"xchunked", "chunkedx", "chunk", "\"chunked\"", "chunked;q=1", "chunked,",
                        ", chunked", "chunked, ,", "", "chunked chunked", "chu nked"})
    EXPECT_EQ(requestStatus(te(v)), 400) << v;
}

TEST(ResponseFraming, NoBodyStatusesAndHead) {
  Fields fields = {{"content-length", "10"}};
  for (int status : {100, 101, 103, 204, 304}) {
    Outcome o = response(fields, status);
    ASSERT_TRUE(o.ok);
    EXPECT_EQ(o.framing.kind, BodyKind::None) << status;
  }
  Outcome head = response({{"transfer-encoding", "chunked"}}, 200, "HEAD");
  ASSERT_TRUE(head.ok);
  EXPECT_EQ(head.framing.kind, BodyKind::None);
}

TEST(ResponseFraming, ChunkedContentLengthAndUntilClose) {
  Outcome chunked = response({{"transfer-encoding", "Chunked"}});
  ASSERT_TRUE(chunked.ok);
  EXPECT_EQ(chunked.framing.kind, BodyKind::Chunked);
  Outcome length = response({{"content-length", "12"}});
  ASSERT_TRUE(length.ok);
  EXPECT_EQ(length.framing.kind, BodyKind::ContentLength);
  EXPECT_EQ(length.framing.content_length, 12u);
  Outcome close = response({{"server", "x"}});
  ASSERT_TRUE(close.ok);
  EXPECT_EQ(close.framing.kind, BodyKind::UntilClose);
  Outcome partial = response({}, 206);
  EXPECT_EQ(partial.framing.kind, BodyKind::UntilClose);
}

TEST(ResponseFraming, TransferEncodingWithContentLengthIs502) {
  EXPECT_EQ(responseStatus({{"transfer-encoding", "chunked"}, {"content-length", "5"}}), 502);
}

TEST(ResponseFraming, RepeatedOrInvalidContentLengthIs502) {
  EXPECT_EQ(responseStatus({{"content-length", "5"}, {"content-length", "5"}}), 502);
  EXPECT_EQ(responseStatus({{"content-length", "5, 5"}}), 502);
  EXPECT_EQ(responseStatus({{"content-length", "-1"}}), 502);
  EXPECT_EQ(responseStatus({{"content-length", "99999999999999999999"}}), 502);
}

TEST(ResponseFraming, AnythingButALoneChunkedIs502) {
  for (const char* v : {"gzip", "gzip, chunked", "chunked, gzip", "chunked, chunked", "xchunked",
                        "chunked;x=1", ""})
    EXPECT_EQ(responseStatus({{"transfer-encoding", v}}), 502) << v;
}

}  // namespace
}  // namespace courier::http1
