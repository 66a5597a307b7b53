// Http1ClientCodec over real evbuffers: request encoding, response parsing, reuse.
#include "proxy/http/http1_client_codec.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

namespace courier::http1 {
namespace {

class FakeExchange : public ClientCodecCallbacks {
 public:
  void onResponseHeaders(std::unique_ptr<http::ResponseHeaders> h, bool end_stream) override {
    headers = std::move(h);
    ++headers_calls;
    ends += end_stream;
  }
  void onResponseData(Buffer& data, bool end_stream) override {
    body += data.toString();
    data.clear();
    ends += end_stream;
  }
  void onResponseTrailers(std::unique_ptr<http::HeaderMap> t) override {
    trailers = std::move(t);
    ++ends;
  }
  void onResponseError(std::string_view reason) override { errors.emplace_back(reason); }

  std::unique_ptr<http::ResponseHeaders> headers;
  int headers_calls = 0;
  int ends = 0;  // end_stream flags seen, trailers included
  std::string body;
  std::unique_ptr<http::HeaderMap> trailers;
  std::vector<std::string> errors;
};

class ClientCodecTest : public ::testing::Test {
 protected:
  ~ClientCodecTest() override {
    evbuffer_free(in_);
    evbuffer_free(out_);
  }
  // Sends a request (headers only unless `body` is given).
  void request(std::string_view method, std::string_view path, bool end_stream,
               std::vector<std::pair<std::string, std::string>> fields = {}) {
    req_.method = method;
    req_.path = path;
    req_.authority = "up.example:8080";
    for (auto& [n, v] : fields) req_.headers.add(n, v);
    codec_.encodeHeaders(req_, end_stream);
  }
  void send(std::string_view s, bool end) {
    Buffer b;
    b.add(s);
    codec_.encodeData(b, end);
  }
  void feed(std::string_view s) {
    evbuffer_add(in_, s.data(), s.size());
    codec_.dispatch(in_);
  }
  void feedBytewise(std::string_view s) {
    for (char c : s) feed(std::string_view(&c, 1));
  }
  std::string output() {
    std::string s(evbuffer_get_length(out_), '\0');
    evbuffer_remove(out_, s.data(), s.size());
    return s;
  }

  evbuffer* in_ = evbuffer_new();
  evbuffer* out_ = evbuffer_new();
  FakeExchange cb_;
  Http1ClientCodec codec_{cb_, out_, 1024};
  http::RequestHeaders req_;
};

TEST_F(ClientCodecTest, EncodesRequestHeadWithHost) {
  request("GET", "/x?y=1", true, {{"accept", "*/*"}});
  EXPECT_EQ(output(), "GET /x?y=1 HTTP/1.1\r\nhost: up.example:8080\r\naccept: */*\r\n\r\n");
  EXPECT_TRUE(codec_.requestComplete());
}

TEST_F(ClientCodecTest, BodylessPostGetsContentLengthZero) {
  request("POST", "/p", true);
  EXPECT_EQ(output(), "POST /p HTTP/1.1\r\nhost: up.example:8080\r\ncontent-length: 0\r\n\r\n");
}

TEST_F(ClientCodecTest, BodylessGetGetsNoFraming) {
  request("DELETE", "/d", true);
  EXPECT_EQ(output(), "DELETE /d HTTP/1.1\r\nhost: up.example:8080\r\n\r\n");
}

TEST_F(ClientCodecTest, BodyWithoutLengthIsChunked) {
  request("POST", "/p", false);
  EXPECT_FALSE(codec_.requestComplete());
  send("abc", false);
  send("0123456789abcdef", false);
  EXPECT_FALSE(codec_.requestComplete());
  send("", true);
  EXPECT_TRUE(codec_.requestComplete());
  EXPECT_EQ(output(),
            "POST /p HTTP/1.1\r\nhost: up.example:8080\r\ntransfer-encoding: chunked\r\n\r\n"
            "3\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
}

TEST_F(ClientCodecTest, BodyWithContentLengthIsSentAsIs) {
  request("PUT", "/p", false, {{"content-length", "3"}});
  send("abc", true);
  EXPECT_EQ(output(), "PUT /p HTTP/1.1\r\nhost: up.example:8080\r\ncontent-length: 3\r\n\r\nabc");
  EXPECT_TRUE(codec_.requestComplete());
}

TEST_F(ClientCodecTest, RequestTrailersGoInTheLastChunk) {
  request("POST", "/p", false);
  send("ab", false);
  http::HeaderMap t;
  t.add("x-sum", "9");
  codec_.encodeTrailers(t);
  EXPECT_TRUE(codec_.requestComplete());
  EXPECT_EQ(output(),
            "POST /p HTTP/1.1\r\nhost: up.example:8080\r\ntransfer-encoding: chunked\r\n\r\n"
            "2\r\nab\r\n0\r\nx-sum: 9\r\n\r\n");
}

TEST_F(ClientCodecTest, ParsesContentLengthResponseByteByByte) {
  request("GET", "/", true);
  feedBytewise("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_EQ(cb_.headers_calls, 1);
  EXPECT_EQ(cb_.headers->status, 200);
  EXPECT_EQ(cb_.headers->http_minor, 1);
  EXPECT_EQ(cb_.headers->headers.getOr("content-type"), "text/plain");
  EXPECT_EQ(cb_.headers->headers.getOr("content-length"), "5");
  EXPECT_EQ(cb_.body, "hello");
  EXPECT_EQ(cb_.ends, 1);
  EXPECT_TRUE(codec_.responseComplete());
  EXPECT_TRUE(codec_.reusable());
  EXPECT_TRUE(cb_.errors.empty());
}

TEST_F(ClientCodecTest, ParsesChunkedResponseWithTrailers) {
  request("GET", "/", true);
  feedBytewise(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
      "4\r\nwiki\r\n5\r\npedia\r\n0\r\nGrpc-Status: 0\r\n\r\n");
  ASSERT_EQ(cb_.headers_calls, 1);
  EXPECT_EQ(cb_.headers->headers.get("transfer-encoding"), nullptr);
  EXPECT_EQ(cb_.body, "wikipedia");
  ASSERT_NE(cb_.trailers, nullptr);
  EXPECT_EQ(cb_.trailers->getOr("grpc-status"), "0");
  EXPECT_EQ(cb_.ends, 1);
  EXPECT_TRUE(codec_.reusable());
}

TEST_F(ClientCodecTest, InterimContinueIsSkipped) {
  request("POST", "/", true);
  feed("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  ASSERT_EQ(cb_.headers_calls, 1);
  EXPECT_EQ(cb_.headers->status, 201);
  EXPECT_EQ(cb_.body, "ok");
  EXPECT_EQ(cb_.ends, 1);
}

TEST_F(ClientCodecTest, SwitchingProtocolsIsRejected) {
  request("GET", "/", true);
  feed("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n");
  EXPECT_EQ(cb_.headers_calls, 0);
  ASSERT_EQ(cb_.errors.size(), 1u);
  EXPECT_FALSE(codec_.reusable());
}

TEST_F(ClientCodecTest, HeadResponseHasNoBodyDespiteContentLength) {
  request("HEAD", "/", true);
  feed("HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n");
  ASSERT_EQ(cb_.headers_calls, 1);
  EXPECT_EQ(cb_.ends, 1);  // end_stream on the headers
  EXPECT_EQ(cb_.headers->headers.getOr("content-length"), "1234");
  EXPECT_TRUE(codec_.responseComplete());
  EXPECT_TRUE(codec_.reusable());
}

TEST_F(ClientCodecTest, NotModifiedHasNoBody) {
  request("GET", "/", true);
  feed("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n");
  ASSERT_EQ(cb_.headers_calls, 1);
  EXPECT_EQ(cb_.ends, 1);
  EXPECT_TRUE(codec_.reusable());
}

TEST_F(ClientCodecTest, CloseDelimitedResponseEndsOnClose) {
  request("GET", "/", true);
  feed("HTTP/1.1 200 OK\r\n\r\nabc");
  feed("def");
  ASSERT_EQ(cb_.headers_calls, 1);
  EXPECT_EQ(cb_.body, "abcdef");
  EXPECT_EQ(cb_.ends, 0);
  EXPECT_FALSE(codec_.reusable());
  EXPECT_TRUE(codec_.onUpstreamClosed());
  EXPECT_EQ(cb_.ends, 1);
  EXPECT_TRUE(codec_.responseComplete());
  EXPECT_FALSE(codec_.reusable());
}

TEST_F(ClientCodecTest, CloseBeforeContentLengthIsIncomplete) {
  request("GET", "/", true);
  feed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  EXPECT_FALSE(codec_.onUpstreamClosed());
  EXPECT_EQ(cb_.ends, 0);
  EXPECT_FALSE(codec_.responseComplete());
}

TEST_F(ClientCodecTest, ConnectionCloseIsNotReusable) {
  request("GET", "/", true);
  feed("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(codec_.responseComplete());
  EXPECT_FALSE(codec_.reusable());
  EXPECT_EQ(cb_.headers->headers.get("connection"), nullptr);
}

TEST_F(ClientCodecTest, Http10NeedsKeepAliveToBeReusable) {
  request("GET", "/", true);
  feed("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(codec_.responseComplete());
  EXPECT_FALSE(codec_.reusable());
}

TEST_F(ClientCodecTest, Http10KeepAliveIsReusable) {
  request("GET", "/", true);
  feed("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(codec_.reusable());
}

TEST_F(ClientCodecTest, IncompleteRequestIsNotReusable) {
  request("POST", "/", false);
  feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  EXPECT_TRUE(codec_.responseComplete());
  EXPECT_FALSE(codec_.reusable());
  send("", true);
  EXPECT_TRUE(codec_.reusable());
}

TEST_F(ClientCodecTest, BytesAfterResponseMakeItNotReusable) {
  request("GET", "/", true);
  feed("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxEXTRA");
  EXPECT_EQ(cb_.body, "x");
  EXPECT_FALSE(codec_.reusable());
}

TEST_F(ClientCodecTest, HopByHopFieldsAreRemovedFromResponse) {
  request("GET", "/", true);
  feed(
      "HTTP/1.1 200 OK\r\nConnection: keep-alive, X-Hop\r\nX-Hop: 1\r\nKeep-Alive: 5\r\n"
      "X-End: 2\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(cb_.headers_calls, 1);
  const http::HeaderMap& h = cb_.headers->headers;
  EXPECT_EQ(h.get("x-hop"), nullptr);
  EXPECT_EQ(h.get("keep-alive"), nullptr);
  EXPECT_EQ(h.get("connection"), nullptr);
  EXPECT_EQ(h.getOr("x-end"), "2");
  EXPECT_TRUE(codec_.reusable());
}

class ClientCodecMalformedTest : public ClientCodecTest,
                                 public ::testing::WithParamInterface<const char*> {};

TEST_P(ClientCodecMalformedTest, ReportsResponseError) {
  request("GET", "/", true);
  feed(GetParam());
  EXPECT_EQ(cb_.errors.size(), 1u);
  EXPECT_FALSE(codec_.reusable());
  feed("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");  // nothing more is parsed
  EXPECT_EQ(cb_.errors.size(), 1u);
  EXPECT_EQ(cb_.ends, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Responses, ClientCodecMalformedTest,
    ::testing::Values("HTTP/1.1 2x0 OK\r\n\r\n", "garbage here\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
                      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"));

TEST_F(ClientCodecTest, HeadLargerThanLimitIsAnError) {
  request("GET", "/", true);
  feed("HTTP/1.1 200 OK\r\nX-Big: " + std::string(2000, 'b'));
  EXPECT_EQ(cb_.errors.size(), 1u);
  EXPECT_EQ(cb_.headers_calls, 0);
}

}  // namespace
}  // namespace courier::http1
