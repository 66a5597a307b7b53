#include "proxy/http/http1_wire.h"

#include <gtest/gtest.h>

#include <string>

namespace courier::http1 {
namespace {

class WireTest : public ::testing::Test {
 protected:
  ~WireTest() override { evbuffer_free(out_); }
  std::string take() {
    std::string s(evbuffer_get_length(out_), '\0');
    evbuffer_remove(out_, s.data(), s.size());
    return s;
  }
  evbuffer* out_ = evbuffer_new();
};

TEST(Http1WireHopByHop, NamesTheRfcFields) {
  for (const char* n : {"connection", "keep-alive", "proxy-connection", "te", "trailer",
                        "transfer-encoding", "upgrade"}) {
    EXPECT_TRUE(http::isHopByHop(n)) << n;
  }
  for (const char* n : {"content-length", "host", "tea", "upgrades", "x-connection", "",
                        "content-type", "trailers", "connectionx"}) {
    EXPECT_FALSE(http::isHopByHop(n)) << n;
  }
}

TEST(Http1WireHopByHop, RemovesHopByHopAndFieldsNamedByConnection) {
  http::HeaderMap h;
  h.add("host", "a");
  h.add("connection", "X-Secret, keep-alive");
  h.add("x-secret", "s");
  h.add("keep-alive", "timeout=5");
  h.add("transfer-encoding", "chunked");
  h.add("upgrade", "websocket");
  h.add("te", "trailers");
  h.add("x-keep", "k");
  h.add("connection", " x-other ");
  h.add("x-other", "o");
  http::removeHopByHop(h);
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h.fields()[0].name, "host");
  EXPECT_EQ(h.fields()[1].name, "x-keep");
  EXPECT_EQ(h.fields()[1].value, "k");
}

// The header promises "every field the Connection header names", not the first few.
TEST(Http1WireHopByHop, RemovesEveryFieldNamedByConnection) {
  http::HeaderMap h;
  std::string names;
  for (int i = 0; i < 10; ++i) names += (i ? ", x-h" : "x-h") + std::to_string(i);
  h.add("connection", names);
  for (int i = 0; i < 10; ++i) h.add("x-h" + std::to_string(i), "v");
  h.add("x-end-to-end", "kept");
  http::removeHopByHop(h);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(h.count("x-h" + std::to_string(i)), 0u) << i;
  EXPECT_EQ(h.size(), 1u);
}

TEST(Http1WireHopByHop, NoConnectionFieldLeavesEndToEndFields) {
  http::HeaderMap h;
  h.add("content-type", "text/plain");
  h.add("content-length", "3");
  http::removeHopByHop(h);
  EXPECT_EQ(h.size(), 2u);
}

TEST_F(WireTest, StatusLine) {
  writeStatusLine(out_, 1, 200);
  EXPECT_EQ(take(), "HTTP/1.1 200 OK\r\n");
  writeStatusLine(out_, 0, 404);
  EXPECT_EQ(take(), "HTTP/1.0 404 Not Found\r\n");
  writeStatusLine(out_, 1, 299);
  EXPECT_EQ(take(), "HTTP/1.1 299 Unknown\r\n");
}

TEST_F(WireTest, RequestLineIsAlwaysHttp11) {
  writeRequestLine(out_, "POST", "/v1/chat?x=1");
  EXPECT_EQ(take(), "POST /v1/chat?x=1 HTTP/1.1\r\n");
}

TEST_F(WireTest, FieldAndFields) {
  writeField(out_, "content-type", "application/json");
  EXPECT_EQ(take(), "content-type: application/json\r\n");
  writeField(out_, "x-empty", "");
  EXPECT_EQ(take(), "x-empty: \r\n");
  http::HeaderMap h;
  h.add("a", "1");
  h.add("B", "two");
  writeFields(out_, h);
  writeEndOfHead(out_);
  EXPECT_EQ(take(), "a: 1\r\nb: two\r\n\r\n");
}

TEST_F(WireTest, LongFieldIsWrittenWhole) {
  std::string value(100000, 'v');
  writeField(out_, "x-big", value);
  EXPECT_EQ(take(), "x-big: " + value + "\r\n");
}

TEST_F(WireTest, ChunkFraming) {
  writeChunkHeader(out_, 255);
  writeChunkEnd(out_);
  writeChunkHeader(out_, 1);
  EXPECT_EQ(take(), "ff\r\n\r\n1\r\n");
}

TEST_F(WireTest, LastChunkWithAndWithoutTrailers) {
  writeLastChunk(out_, nullptr);
  EXPECT_EQ(take(), "0\r\n\r\n");
  http::HeaderMap t;
  t.add("grpc-status", "0");
  t.add("grpc-message", "ok");
  writeLastChunk(out_, &t);
  EXPECT_EQ(take(), "0\r\ngrpc-status: 0\r\ngrpc-message: ok\r\n\r\n");
}

}  // namespace
}  // namespace courier::http1
