// Http1ServerCodec over real evbuffers: request parsing, errors, response framing.
#include "proxy/http/http1_server_codec.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace courier::http1 {
namespace {

struct FakeDecoder : http::RequestDecoder {
  void decodeHeaders(std::unique_ptr<http::RequestHeaders> h, bool end_stream) override {
    headers = std::move(h);
    headers_end = end_stream;
    ended += end_stream;
    if (on_headers) on_headers();
  }
  void decodeData(Buffer& data, bool end_stream) override {
    if (ended) data_after_end = true;
    body += data.toString();
    data.clear();
    ++data_calls;
    ended += end_stream;
  }
  void decodeTrailers(std::unique_ptr<http::HeaderMap> t) override {
    if (ended) data_after_end = true;
    trailers = std::move(t);
    ++ended;
  }
  std::unique_ptr<http::RequestHeaders> headers;
  bool headers_end = false;
  std::string body;
  int data_calls = 0;
  int ended = 0;  // end_stream flags seen, trailers included
  bool data_after_end = false;
  std::unique_ptr<http::HeaderMap> trailers;
  std::function<void()> on_headers;
};

struct ProtocolError {
  int status;
  std::string code;
};

class FakeConnection : public http::ServerCodecCallbacks, public ServerCodecEvents {
 public:
  http::RequestDecoder& newStream(http::ResponseEncoder& e) override {
    encoder = &e;
    streams.push_back(std::make_unique<FakeDecoder>());
    if (on_new_stream) on_new_stream(*streams.back());
    return *streams.back();
  }
  void onProtocolError(int status, std::string_view code, std::string_view) override {
    errors.push_back({status, std::string(code)});
  }
  void onResponseComplete() override { ++completes; }
  void onResponseReset() override { ++resets; }
  void onRequestBodyDiscarded() override { ++discarded; }

  http::ResponseEncoder* encoder = nullptr;
  std::vector<std::unique_ptr<FakeDecoder>> streams;
  std::vector<ProtocolError> errors;
  std::function<void(FakeDecoder&)> on_new_stream;
  int completes = 0;
  int resets = 0;
  int discarded = 0;
};

class ServerCodecTest : public ::testing::Test {
 protected:
  ~ServerCodecTest() override {
    codec_.reset();
    evbuffer_free(in_);
    evbuffer_free(out_);
  }
  Http1ServerCodec& codec() {
    if (!codec_) codec_ = std::make_unique<Http1ServerCodec>(conn_, conn_, out_, settings_);
    return *codec_;
  }
  void feed(std::string_view s) {
    evbuffer_add(in_, s.data(), s.size());
    codec().dispatch(in_);
  }
  void feedInPieces(std::string_view s, size_t piece) {
    for (size_t i = 0; i < s.size(); i += piece) feed(s.substr(i, piece));
  }
  std::string output() {
    std::string s(evbuffer_get_length(out_), '\0');
    evbuffer_remove(out_, s.data(), s.size());
    return s;
  }
  FakeDecoder& stream(size_t i = 0) {
    EXPECT_LT(i, conn_.streams.size());
    return *conn_.streams.at(i);
  }
  void respond(int status, std::vector<std::pair<std::string, std::string>> fields,
               std::string_view body, bool trailers = false) {
    http::ResponseHeaders h;
    h.status = status;
    for (auto& [n, v] : fields) h.headers.add(n, v);
    bool headers_only = body.empty() && !trailers;
    conn_.encoder->encodeHeaders(h, headers_only);
    if (headers_only) return;
    Buffer b;
    b.add(body);
    conn_.encoder->encodeData(b, !trailers);
    if (trailers) {
      http::HeaderMap t;
      t.add("grpc-status", "0");
      conn_.encoder->encodeTrailers(t);
    }
  }

  Http1ServerCodec::Settings settings_;
  FakeConnection conn_;
  evbuffer* in_ = evbuffer_new();
  evbuffer* out_ = evbuffer_new();
  std::unique_ptr<Http1ServerCodec> codec_;
};

TEST_F(ServerCodecTest, ParsesRequestHead) {
  feed("GET /a/b?c=1 HTTP/1.1\r\nHost: api.example:8080\r\nUser-Agent: t\r\nAccept: */*\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  const http::RequestHeaders& r = *stream().headers;
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/a/b?c=1");
  EXPECT_EQ(r.authority, "api.example:8080");
  EXPECT_EQ(r.http_major, 1);
  EXPECT_EQ(r.http_minor, 1);
  EXPECT_EQ(r.headers.get("host"), nullptr);
  EXPECT_EQ(r.headers.getOr("user-agent"), "t");
  EXPECT_EQ(r.headers.getOr("accept"), "*/*");
  EXPECT_EQ(r.headers.size(), 2u);
  EXPECT_TRUE(stream().headers_end);
  EXPECT_EQ(stream().data_calls, 0);
  EXPECT_TRUE(codec().requestComplete());
}

TEST_F(ServerCodecTest, AbsoluteFormTargetIsSplit) {
  feed("GET http://origin.example:81/x?y=2 HTTP/1.1\r\nHost: other.example\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().headers->authority, "origin.example:81");
  EXPECT_EQ(stream().headers->path, "/x?y=2");
  EXPECT_EQ(stream().headers->headers.get("host"), nullptr);
}

TEST_F(ServerCodecTest, AbsoluteFormWithoutPathGetsSlash) {
  feed("GET http://origin.example HTTP/1.1\r\nHost: origin.example\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().headers->authority, "origin.example");
  EXPECT_EQ(stream().headers->path, "/");
}

TEST_F(ServerCodecTest, HopByHopRemovedButTeTrailersKept) {
  feed(
      "GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, X-Drop\r\nX-Drop: 1\r\n"
      "Keep-Alive: timeout=5\r\nTE: trailers, deflate\r\nProxy-Connection: x\r\n"
      "X-Keep: yes\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  const http::HeaderMap& h = stream().headers->headers;
  EXPECT_EQ(h.getOr("x-keep"), "yes");
  EXPECT_EQ(h.count("te"), 1u);
  EXPECT_EQ(h.getOr("te"), "trailers");
  for (const char* n : {"connection", "x-drop", "keep-alive", "proxy-connection", "host"})
    EXPECT_EQ(h.get(n), nullptr) << n;
}

TEST_F(ServerCodecTest, TeWithoutTrailersIsDropped) {
  feed("GET / HTTP/1.1\r\nHost: a\r\nTE: gzip\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().headers->headers.get("te"), nullptr);
}

TEST_F(ServerCodecTest, ContentLengthBodyByteByByte) {
  feedInPieces("POST /u HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\nhello world", 1);
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_FALSE(stream().headers_end);
  EXPECT_EQ(stream().headers->headers.getOr("content-length"), "11");
  EXPECT_EQ(stream().body, "hello world");
  EXPECT_EQ(stream().ended, 1);
  EXPECT_FALSE(stream().data_after_end);
  EXPECT_TRUE(codec().requestComplete());
}

TEST_F(ServerCodecTest, ChunkedBodyByteByByteWithTrailers) {
  feedInPieces(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Checksum: abc\r\n\r\n",
      1);
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().headers->headers.get("transfer-encoding"), nullptr);
  EXPECT_EQ(stream().body, "hello world");
  ASSERT_NE(stream().trailers, nullptr);
  EXPECT_EQ(stream().trailers->getOr("x-checksum"), "abc");
  EXPECT_EQ(stream().ended, 1);  // the trailers end it; no data call had end_stream
  EXPECT_FALSE(stream().data_after_end);
}

TEST_F(ServerCodecTest, TrailerSectionLargerThanTheFramingWindow) {
  // 20 KiB of trailers: larger than the codec's first 4 KiB framing window,
  // well inside the decoder's trailer limit. Fed at once, so the whole
  // section sits behind the window and the codec must widen it.
  std::string trailers;
  for (int i = 0; i < 20; ++i)
    trailers += "x-t" + std::to_string(i) + ": " + std::string(1000, 'v') + "\r\n";
  feed(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "5\r\nhello\r\n0\r\n" +
      trailers + "\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_TRUE(conn_.errors.empty());
  EXPECT_EQ(stream().body, "hello");
  ASSERT_NE(stream().trailers, nullptr);
  EXPECT_EQ(stream().trailers->size(), 20u);
  EXPECT_EQ(stream().trailers->getOr("x-t19"), std::string(1000, 'v'));
}

TEST_F(ServerCodecTest, HopelessIncompleteHeadIsRejectedAtOnce) {
  // Bare LF line ends: the head can never become valid, so the client hears
  // 400 now instead of after header_timeout.
  feed("GET / HTTP/1.1\nHost: a\n");
  ASSERT_EQ(conn_.errors.size(), 1u);
  EXPECT_EQ(conn_.errors[0].status, 400);
  EXPECT_TRUE(conn_.streams.empty());
}

TEST_F(ServerCodecTest, ValidIncompleteHeadWaits) {
  feed("GET / HTTP/1.1\r\nHost: a\r\n");
  EXPECT_TRUE(conn_.errors.empty());
  EXPECT_TRUE(conn_.streams.empty());
  feed("\r\n");
  EXPECT_TRUE(conn_.errors.empty());
  EXPECT_EQ(conn_.streams.size(), 1u);
}

TEST_F(ServerCodecTest, ChunkedBodyInSmallPiecesEndsOnce) {
  feedInPieces(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
      3);
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().body, "abc0123456789abcdef");
  EXPECT_EQ(stream().ended, 1);
  EXPECT_EQ(stream().trailers, nullptr);
  EXPECT_FALSE(stream().data_after_end);
}

TEST_F(ServerCodecTest, ZeroContentLengthIsHeadersOnly) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_TRUE(stream().headers_end);
  EXPECT_EQ(stream().data_calls, 0);
}

TEST_F(ServerCodecTest, PipelinedRequestWaitsForReset) {
  feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().headers->path, "/1");
  respond(200, {{"content-length", "2"}}, "ok");
  EXPECT_EQ(conn_.completes, 1);
  EXPECT_TRUE(codec().keepAlive());
  codec().dispatch(in_);
  EXPECT_EQ(conn_.streams.size(), 1u) << "parsed before resetForNextRequest";
  codec().resetForNextRequest();
  codec().dispatch(in_);
  ASSERT_EQ(conn_.streams.size(), 2u);
  EXPECT_EQ(stream(1).headers->path, "/2");
}

TEST_F(ServerCodecTest, EmptyLineBetweenPipelinedRequestsIsTolerated) {
  feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  respond(200, {}, "");
  codec().resetForNextRequest();
  codec().dispatch(in_);
  ASSERT_EQ(conn_.streams.size(), 2u);
  EXPECT_EQ(stream(1).headers->path, "/2");
  EXPECT_TRUE(conn_.errors.empty());
}

struct ErrorCase {
  const char* name;
  std::string input;
  int status;
  const char* code;
};

class ServerCodecErrorTest : public ServerCodecTest,
                             public ::testing::WithParamInterface<ErrorCase> {};

TEST_P(ServerCodecErrorTest, ReportsProtocolError) {
  settings_.max_header_bytes = 256;
  settings_.max_body_bytes = 10;
  feed(GetParam().input);
  ASSERT_EQ(conn_.errors.size(), 1u);
  EXPECT_EQ(conn_.errors[0].status, GetParam().status);
  EXPECT_EQ(conn_.errors[0].code, GetParam().code);
  EXPECT_FALSE(codec().keepAlive());
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");  // nothing more is parsed
  EXPECT_EQ(conn_.errors.size(), 1u);
  EXPECT_LE(conn_.streams.size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Errors, ServerCodecErrorTest,
    ::testing::Values(
        ErrorCase{"MissingHost", "GET / HTTP/1.1\r\n\r\n", 400, "bad_request"},
        ErrorCase{"TwoHosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400, "bad_request"},
        ErrorCase{"BadContentLength", "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n",
                  400, "bad_request"},
        ErrorCase{"BadChunkSize",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400,
                  "bad_request"},
        ErrorCase{"Http2Version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "bad_request"},
        ErrorCase{"UnknownCoding",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
                  "not_implemented"},
        ErrorCase{"UnknownExpect", "POST / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417,
                  "bad_request"},
        ErrorCase{"ContentLengthTooLarge",
                  "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413,
                  "payload_too_large"},
        ErrorCase{"ChunkedBodyTooLarge",
                  "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "b\r\n0123456789a\r\n",
                  413, "payload_too_large"},
        ErrorCase{"HeadTooLarge", "GET / HTTP/1.1\r\nX: " + std::string(300, 'a'), 431,
                  "headers_too_large"}),
    [](const ::testing::TestParamInfo<ErrorCase>& p) { return p.param.name; });

TEST_F(ServerCodecTest, ExpectContinueWrites100) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\nContent-Length: 3\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(output(), "HTTP/1.1 100 Continue\r\n\r\n");
  EXPECT_EQ(stream().headers->headers.get("expect"), nullptr);
  feed("abc");
  EXPECT_EQ(stream().body, "abc");
  EXPECT_EQ(output(), "");
}

TEST_F(ServerCodecTest, ExpectContinueNotSentWithoutBody) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(output(), "");
}

TEST_F(ServerCodecTest, ExpectContinueNotSentToHttp10) {
  feed("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(output(), "");
}

TEST_F(ServerCodecTest, ExpectContinueNotSentWhenStreamAnsweredEarly) {
  conn_.on_new_stream = [&](FakeDecoder& d) {
    d.on_headers = [&] { respond(413, {{"content-length", "0"}}, ""); };
  };
  feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  std::string out = output();
  EXPECT_EQ(out.find("100 Continue"), std::string::npos) << out;
  EXPECT_EQ(out.rfind("HTTP/1.1 413 Content Too Large\r\n", 0), 0u) << out;
}

TEST_F(ServerCodecTest, ResponseWithContentLength) {
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  respond(200, {{"content-length", "5"}, {"content-type", "text/plain"}}, "hello");
  EXPECT_EQ(output(),
            "HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-type: text/plain\r\n\r\nhello");
  EXPECT_EQ(conn_.completes, 1);
  EXPECT_TRUE(codec().keepAlive());
}

TEST_F(ServerCodecTest, ResponseWithoutLengthIsChunkedForHttp11) {
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  http::ResponseHeaders h;
  conn_.encoder->encodeHeaders(h, false);
  Buffer b;
  b.add("hello");
  conn_.encoder->encodeData(b, false);
  EXPECT_EQ(conn_.completes, 0);
  Buffer empty;
  conn_.encoder->encodeData(empty, true);
  EXPECT_EQ(output(),
            "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");
  EXPECT_EQ(conn_.completes, 1);
  EXPECT_TRUE(codec().keepAlive());
}

TEST_F(ServerCodecTest, HeadersOnlyResponseGetsZeroLength) {
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  respond(200, {}, "");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  EXPECT_EQ(conn_.completes, 1);
}

TEST_F(ServerCodecTest, Http10ResponseIsCloseDelimited) {
  feed("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(conn_.streams.size(), 1u);
  EXPECT_EQ(stream().headers->http_minor, 0);
  respond(200, {}, "abc");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc");
  EXPECT_FALSE(codec().keepAlive());
}

TEST_F(ServerCodecTest, Http10KeepAliveIsHonoured) {
  feed("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  respond(200, {{"content-length", "2"}}, "ok");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok");
  EXPECT_TRUE(codec().keepAlive());
}

TEST_F(ServerCodecTest, ConnectionCloseRequestClosesAfterResponse) {
  feed("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
  EXPECT_FALSE(codec().keepAlive());
  respond(200, {{"content-length", "2"}}, "ok");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
}

TEST_F(ServerCodecTest, HeadResponseDropsBody) {
  feed("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
  respond(200, {{"content-length", "5"}}, "hello");
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n");
  EXPECT_EQ(conn_.completes, 1);
  EXPECT_TRUE(codec().keepAlive());
}

TEST_F(ServerCodecTest, NoContentAndNotModifiedDropBodyAndFraming) {
  feed("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n");
  respond(204, {}, "junk");
  EXPECT_EQ(output(), "HTTP/1.1 204 No Content\r\n\r\n");
  codec().resetForNextRequest();
  codec().dispatch(in_);
  ASSERT_EQ(conn_.streams.size(), 2u);
  respond(304, {{"etag", "\"v1\""}}, "junk");
  EXPECT_EQ(output(), "HTTP/1.1 304 Not Modified\r\netag: \"v1\"\r\n\r\n");
  EXPECT_EQ(conn_.completes, 2);
}

TEST_F(ServerCodecTest, TrailersAreWrittenInTheLastChunk) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nTE: trailers\r\nContent-Length: 0\r\n\r\n");
  respond(200, {{"content-type", "application/grpc"}}, "msg", /*trailers=*/true);
  EXPECT_EQ(output(),
            "HTTP/1.1 200 OK\r\ncontent-type: application/grpc\r\ntransfer-encoding: chunked\r\n"
            "\r\n3\r\nmsg\r\n0\r\ngrpc-status: 0\r\n\r\n");
  EXPECT_EQ(conn_.completes, 1);
}

// A response may start while the request body streams; the connection
// survives only if the request is complete when the response ends.
TEST_F(ServerCodecTest, EarlyResponseKeepsAliveIfRequestEndsFirst) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\n\r\nabc");
  http::ResponseHeaders h;
  h.headers.add("content-length", "6");
  conn_.encoder->encodeHeaders(h, false);
  feed("def");
  EXPECT_EQ(stream().body, "abcdef");
  EXPECT_EQ(stream().ended, 1);
  Buffer b;
  b.add("abcdef");
  conn_.encoder->encodeData(b, true);
  EXPECT_EQ(output(), "HTTP/1.1 200 OK\r\ncontent-length: 6\r\n\r\nabcdef");
  EXPECT_EQ(conn_.completes, 1);
  EXPECT_TRUE(codec().keepAlive());
}

// An answer before the body (a 429 to a POST): the rest of a small body is
// read and dropped, and the connection carries the next request.
TEST_F(ServerCodecTest, EarlyAnswerDiscardsTheRestOfASmallBody) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
  respond(429, {{"content-length", "0"}}, "");
  EXPECT_EQ(output(), "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\n\r\n");
  EXPECT_EQ(conn_.completes, 1);
  EXPECT_TRUE(codec().keepAlive());
  EXPECT_TRUE(codec().discardingBody());
  feed("defg");
  EXPECT_EQ(conn_.discarded, 0);
  feed("hijGET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.discarded, 1);
  EXPECT_EQ(conn_.streams.size(), 1u) << "the next request waits for resetForNextRequest";
  EXPECT_EQ(stream().body, "abc") << "dropped bytes never reach the stream";
  codec().resetForNextRequest();
  codec().dispatch(in_);
  ASSERT_EQ(conn_.streams.size(), 2u);
  EXPECT_EQ(conn_.streams[1]->headers->path, "/next");
}

TEST_F(ServerCodecTest, EarlyAnswerClosesWhenTooMuchBodyIsLeft) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\nabc");
  respond(429, {{"content-length", "0"}}, "");
  EXPECT_EQ(output(),
            "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  EXPECT_FALSE(codec().keepAlive());
  EXPECT_FALSE(codec().discardingBody());
}

// A client waiting for "100 Continue" may never send the body.
TEST_F(ServerCodecTest, EarlyAnswerToExpectContinueCloses) {
  conn_.on_new_stream = [this](FakeDecoder& d) {
    d.on_headers = [this] { respond(429, {{"content-length", "0"}}, ""); };
  };
  feed("POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  EXPECT_EQ(output(),
            "HTTP/1.1 429 Too Many Requests\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
  EXPECT_FALSE(codec().keepAlive());
}

TEST_F(ServerCodecTest, DiscardingAChunkedBodyStopsAtTheBudget) {
  feed("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
  respond(429, {{"content-length", "0"}}, "");
  EXPECT_TRUE(codec().discardingBody());
  std::string chunk(64 * 1024, 'x');
  for (int i = 0; i < 5 && conn_.resets == 0; ++i) feed("10000\r\n" + chunk + "\r\n");
  EXPECT_EQ(conn_.resets, 1) << "over kMaxDiscardBytes: the connection closes";
  EXPECT_FALSE(codec().keepAlive());
}

TEST_F(ServerCodecTest, ResetStreamStopsTheConnection) {
  feed("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  http::ResponseHeaders h;
  conn_.encoder->encodeHeaders(h, false);
  conn_.encoder->resetStream();
  EXPECT_EQ(conn_.resets, 1);
  EXPECT_FALSE(codec().keepAlive());
  codec().resetForNextRequest();
  feed("GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
  EXPECT_EQ(conn_.streams.size(), 1u);
}

}  // namespace
}  // namespace courier::http1
