// parseRequestHead: request line, field lines and limits.
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http1_parser.h"
#include "tests/unit/http1/head_test_util.h"

namespace courier::http1 {
namespace {

using namespace std::string_literals;

using Parsed = testing::Parsed<ParsedRequestHead>;

Parsed parse(std::string text, Limits limits = {}) {
  return testing::parseWith<ParsedRequestHead, parseRequestHead>(std::move(text), limits);
}

int statusOf(const std::string& text, Limits limits = {}) {
  return testing::statusOf(parse(text, limits));
}

std::string withField(std::string_view field) {
  return "GET / HTTP/1.1\r\nHost: a\r\n" + std::string(field) + "\r\n\r\n";
}

TEST(RequestHead, ParsesRequestLineAndFields) {
  Parsed p =
      parse("POST /v1/completions?x=1 HTTP/1.1\r\nHost: api\r\nContent-Length: 5\r\n\r\nhello");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.result.consumed, p.buffer.size() - 5);
  EXPECT_EQ(p.head.method, "POST");
  EXPECT_EQ(p.head.target, "/v1/completions?x=1");
  EXPECT_EQ(p.head.version_minor, 1);
  ASSERT_EQ(p.head.fields.size(), 2u);
  EXPECT_EQ(p.head.fields[0].name, "host");
  EXPECT_EQ(p.head.fields[0].value, "api");
  EXPECT_EQ(p.head.fields[1].name, "content-length");
  EXPECT_EQ(p.head.fields[1].value, "5");
}

TEST(RequestHead, NoFields) {
  Parsed p = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.result.consumed, p.buffer.size());
  EXPECT_EQ(p.head.version_minor, 0);
  EXPECT_TRUE(p.head.fields.empty());
}

TEST(RequestHead, LowerCasesNamesInPlace) {
  Parsed p = parse("GET / HTTP/1.1\r\nX-Custom-HEADER: MiXed\r\n\r\n");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.head.fields[0].name, "x-custom-header");
  EXPECT_EQ(p.head.fields[0].value, "MiXed");  // values are untouched
  EXPECT_NE(p.buffer.find("x-custom-header"), std::string::npos);
  EXPECT_EQ(p.head.fields[0].name.data(), p.buffer.data() + 16);  // a view, not a copy
}

TEST(RequestHead, TrimsOwsAroundValues) {
  Parsed p = parse(withField("X-A: \t v a l \t ") + "");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.head.fields[1].value, "v a l");
  Parsed empty = parse(withField("X-Empty:   "));
  ASSERT_EQ(empty.result.state, HeadState::Complete);
  EXPECT_EQ(empty.head.fields[1].value, "");
}

TEST(RequestHead, SkipsLeadingEmptyLines) {
  Parsed p = parse("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.result.consumed, p.buffer.size());
  EXPECT_EQ(p.head.method, "GET");
  EXPECT_EQ(statusOf("\nGET / HTTP/1.1\r\n\r\n"), 400);  // a bare LF is not an empty line
}

TEST(RequestHead, IncompleteUntilTerminator) {
  std::string full = "GET /path HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(statusOf(full.substr(0, n)), -1) << "prefix " << n;
  EXPECT_EQ(statusOf(full), 0);
}

TEST(RequestHead, ReusedHeadClearsFieldsAndKeepsCapacity) {
  ParsedRequestHead head;
  std::string a = "GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\n\r\n";
  std::string b = "GET / HTTP/1.1\r\nC: 3\r\n\r\n";
  ASSERT_EQ(parseRequestHead(a.data(), a.size(), {}, head).state, HeadState::Complete);
  size_t capacity = head.fields.capacity();
  EXPECT_GE(capacity, 16u);
  ASSERT_EQ(parseRequestHead(b.data(), b.size(), {}, head).state, HeadState::Complete);
  ASSERT_EQ(head.fields.size(), 1u);
  EXPECT_EQ(head.fields[0].name, "c");
  EXPECT_EQ(head.fields.capacity(), capacity);
}

TEST(RequestHead, MethodMustBeToken) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("get / HTTP/1.1\r\n\r\n"), 0);  // case-sensitive token, passed on as sent
  EXPECT_EQ(statusOf("M-SEARCH * HTTP/1.1\r\n\r\n"), 400);  // "*" is only for OPTIONS
  EXPECT_EQ(statusOf("G(T / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("G\x01T / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(" GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("/ HTTP/1.1\r\n\r\n"), 400);
}

TEST(RequestHead, ExactlyOneSpaceBetweenParts) {
  EXPECT_EQ(statusOf("GET  / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /  HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1 \r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET\t/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /\tHTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a b HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET\r\n\r\n"), 400);
}

TEST(RequestHead, VersionIsHttp10Or11) {
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET / HTTP/2.0\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/1.2\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / HTTP/0.9\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
  EXPECT_EQ(statusOf("GET / http/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.10\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.x\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTPS/1.1\r\n\r\n"), 400);
}

TEST(RequestHead, TargetIsValidated) {
  EXPECT_EQ(statusOf("GET http://api.example:8080/v1?q HTTP/1.1\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("OPTIONS * HTTP/1.1\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("GET * HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT api.example:443 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a#frag HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a\x01 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /\x7f HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /caf\xc3\xa9 HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET ftp://x/ HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET http://user@x/ HTTP/1.1\r\n\r\n"), 400);
}

TEST(RequestHead, LongRequestLineIs414) {
  Limits limits;
  limits.max_request_line_bytes = 100;
  std::string line = "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n";
  EXPECT_EQ(statusOf(line + "\r\n", limits), 414);
  EXPECT_EQ(statusOf(line.substr(0, 103), limits), 414);  // no CRLF yet, already too long
  EXPECT_EQ(statusOf(line.substr(0, 60), limits), -1);
  std::string fits = "GET /" + std::string(86, 'a') + " HTTP/1.1";  // exactly 100 bytes
  ASSERT_EQ(fits.size(), 100u);
  EXPECT_EQ(statusOf(fits + "\r\n\r\n", limits), 0);
  // A head limit below the line limit: a line that fills the head is still 414.
  Limits small;
  small.max_head_bytes = 64;
  EXPECT_EQ(statusOf("GET /" + std::string(80, 'a'), small), 414);
}

TEST(RequestHead, WhitespaceBeforeColonIs400) {
  EXPECT_EQ(statusOf(withField("Content-Length : 5")), 400);
  EXPECT_EQ(statusOf(withField("Content-Length\t: 5")), 400);
  EXPECT_EQ(statusOf(withField("Content Length: 5")), 400);
}

TEST(RequestHead, ObsFoldIs400) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nX-A: a\r\n b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nX-A: a\r\n\tb\r\n\r\n"), 400);
  // Whitespace between the request line and the first field (RFC 9112 §2.2).
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400);
}

TEST(RequestHead, InvalidFieldNamesAre400) {
  EXPECT_EQ(statusOf(withField(": empty-name")), 400);
  EXPECT_EQ(statusOf(withField("No-Colon")), 400);
  EXPECT_EQ(statusOf(withField("X(A): 1")), 400);
  EXPECT_EQ(statusOf(withField("X\x80: 1")), 400);
  EXPECT_EQ(statusOf(withField(std::string("X\0A: 1", 6))), 400);
}

TEST(RequestHead, ControlCharactersInValuesAre400) {
  EXPECT_EQ(statusOf(withField(std::string("X-A: a\0b", 8))), 400);
  EXPECT_EQ(statusOf(withField("X-A: a\x01")), 400);
  EXPECT_EQ(statusOf(withField("X-A: a\x1f")), 400);
  EXPECT_EQ(statusOf(withField("X-A: a\x7f")), 400);
  EXPECT_EQ(statusOf(withField("X-A: a\vb")), 400);
  EXPECT_EQ(statusOf(withField("X-A: a\tb")), 0);              // HTAB is allowed
  EXPECT_EQ(statusOf(withField("X-A: caf\xc3\xa9 \xff")), 0);  // obs-text is allowed
  Parsed p = parse(withField(std::string("X-A: \0", 6)));
  EXPECT_EQ(p.result.error.reason, "NUL in field value");
}

// Values are validated a word at a time; every position and length matters.
TEST(RequestHead, ControlCharacterAtAnyPositionOfAValue) {
  for (size_t len = 1; len <= 40; ++len) {
    std::string clean(len, 'v');
    clean[len / 2] = '\x80';  // obs-text is valid
    EXPECT_EQ(statusOf(withField("X-A: " + clean)), 0) << len;
    for (size_t i = 0; i < len; ++i) {
      for (char bad : {'\0', '\x01', '\x1f', '\x7f', '\r'}) {
        std::string value = clean;
        value[i] = bad;
        EXPECT_EQ(statusOf(withField("X-A: " + value)), 400) << len << " " << i << " " << int(bad);
      }
      std::string tab = clean;
      tab[i] = '\t';
      EXPECT_EQ(statusOf(withField("X-A: " + tab)), 0) << len << " " << i;
    }
  }
}

TEST(RequestHead, BareLfIs400) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\nHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\n\n"), 400);
  // Detected before the head is complete, so a client never waits for a timeout.
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\nAccept"), 400);
}

TEST(RequestHead, BareCrIs400) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(withField("X-A: a\rb")), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n"), 400);
}

TEST(RequestHead, BadRequestLineFailsBeforeHeadCompletes) {
  EXPECT_EQ(statusOf("GET / HTTP/3.0\r\nHost: a\r\n"), 505);
  EXPECT_EQ(statusOf("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n"s), 400);  // TLS
}

TEST(RequestHead, HeadOverMaxBytesIs431) {
  Limits limits;
  limits.max_head_bytes = 64;
  std::string head = "GET / HTTP/1.1\r\nX: " + std::string(50, 'v') + "\r\n\r\n";
  ASSERT_GT(head.size(), 64u);
  EXPECT_EQ(statusOf(head, limits), 431);
  EXPECT_EQ(statusOf(head.substr(0, 64), limits), 431);  // incomplete, already at the limit
  EXPECT_EQ(statusOf(head.substr(0, 63), limits), -1);
  limits.max_head_bytes = head.size();  // exactly at the limit is fine
  EXPECT_EQ(statusOf(head, limits), 0);
  // Body bytes after the head do not count.
  EXPECT_EQ(statusOf(head + std::string(1000, 'b'), limits), 0);
}

TEST(RequestHead, TooManyFieldsIs431) {
  Limits limits;
  limits.max_fields = 4;
  std::string head = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 4; ++i) head += "X-" + std::to_string(i) + ": v\r\n";
  EXPECT_EQ(statusOf(head + "\r\n", limits), 0);
  EXPECT_EQ(statusOf(head + "X-4: v\r\n\r\n", limits), 431);
}

TEST(RequestHead, LeadingEmptyLinesCountTowardsTheLimit) {
  Limits limits;
  limits.max_head_bytes = 32;
  std::string crlfs;
  for (int i = 0; i < 20; ++i) crlfs += "\r\n";
  EXPECT_NE(statusOf(crlfs + "GET / HTTP/1.1\r\n\r\n", limits), 0);
  EXPECT_EQ(statusOf(crlfs, limits), 431);  // the empty lines fill the head
}

}  // namespace
}  // namespace courier::http1
