// parseResponseHead: status line, field lines and limits; every error is 502.
#include <gtest/gtest.h>

#include <string>

#include "proxy/http/http1_parser.h"
#include "tests/unit/http1/head_test_util.h"

namespace courier::http1 {
namespace {

using Parsed = testing::Parsed<ParsedResponseHead>;

Parsed parse(std::string text, Limits limits = {}) {
  return testing::parseWith<ParsedResponseHead, parseResponseHead>(std::move(text), limits);
}

int statusOf(const std::string& text, Limits limits = {}) {
  return testing::statusOf(parse(text, limits));
}

std::string withField(std::string_view field) {
  return "HTTP/1.1 200 OK\r\n" + std::string(field) + "\r\n\r\n";
}

TEST(ResponseHead, ParsesStatusLineAndFields) {
  Parsed p = parse("HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nX-Id:  7 \r\n\r\nbody");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.result.consumed, p.buffer.size() - 4);
  EXPECT_EQ(p.head.status, 404);
  EXPECT_EQ(p.head.reason, "Not Found");
  EXPECT_EQ(p.head.version_minor, 1);
  ASSERT_EQ(p.head.fields.size(), 2u);
  EXPECT_EQ(p.head.fields[0].name, "content-type");
  EXPECT_EQ(p.head.fields[1].value, "7");
}

TEST(ResponseHead, Http10) {
  Parsed p = parse("HTTP/1.0 200 OK\r\n\r\n");
  ASSERT_EQ(p.result.state, HeadState::Complete);
  EXPECT_EQ(p.head.version_minor, 0);
}

TEST(ResponseHead, ReasonMayBeEmptyOrRich) {
  Parsed empty = parse("HTTP/1.1 204 \r\n\r\n");
  ASSERT_EQ(empty.result.state, HeadState::Complete);
  EXPECT_EQ(empty.head.status, 204);
  EXPECT_EQ(empty.head.reason, "");
  Parsed no_sp = parse("HTTP/1.1 200\r\n\r\n");  // tolerated: cannot affect framing
  ASSERT_EQ(no_sp.result.state, HeadState::Complete);
  EXPECT_EQ(no_sp.head.status, 200);
  Parsed rich = parse("HTTP/1.1 200 Tr\xe8s  bien\tOK \r\n\r\n");
  ASSERT_EQ(rich.result.state, HeadState::Complete);
  EXPECT_EQ(rich.head.reason, "Tr\xe8s  bien\tOK ");
}

TEST(ResponseHead, StatusIsThreeDigits100To999) {
  EXPECT_EQ(statusOf("HTTP/1.1 100 Continue\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("HTTP/1.1 999 Odd\r\n\r\n"), 0);
  EXPECT_EQ(statusOf("HTTP/1.1 099 Low\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 000 Zero\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 20 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 2000 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 2x0 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 -200 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1  200 OK\r\n\r\n"), 502);
}

TEST(ResponseHead, VersionIsHttp10Or11) {
  EXPECT_EQ(statusOf("HTTP/2.0 200 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.2 200 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("http/1.1 200 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1\t200 OK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("ICY 200 OK\r\n\r\n"), 502);
}

TEST(ResponseHead, ControlCharactersInReasonAre502) {
  EXPECT_EQ(statusOf("HTTP/1.1 200 O\x01K\r\n\r\n"), 502);
  EXPECT_EQ(statusOf(std::string("HTTP/1.1 200 O\0K\r\n\r\n", 20)), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 O\x7fK\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 O\rK\r\n\r\n"), 502);
}

TEST(ResponseHead, FieldErrorsAre502) {
  EXPECT_EQ(statusOf(withField("Content-Length : 5")), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\n\r\n"), 502);  // obs-fold
  EXPECT_EQ(statusOf(withField(std::string("X-A: \0", 6))), 502);
  EXPECT_EQ(statusOf(withField("X-A: a\x01")), 502);
  EXPECT_EQ(statusOf(withField(": v")), 502);
  EXPECT_EQ(statusOf(withField("X-A: a\rb")), 502);
}

TEST(ResponseHead, BareLfIs502) {
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\nServer: x\r\n\r\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nServer: x\n\n"), 502);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nServer: x\nMore"), 502);  // while incomplete
}

TEST(ResponseHead, LeadingEmptyLinesAreNotSkipped) {
  EXPECT_EQ(statusOf("\r\nHTTP/1.1 200 OK\r\n\r\n"), 502);
}

TEST(ResponseHead, IncompleteUntilTerminator) {
  std::string full = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(statusOf(full.substr(0, n)), -1) << "prefix " << n;
  EXPECT_EQ(statusOf(full), 0);
}

TEST(ResponseHead, BadStatusLineFailsBeforeHeadCompletes) {
  EXPECT_EQ(statusOf("HTTP/1.1 2000 OK\r\nServer: x\r\n"), 502);
}

TEST(ResponseHead, LimitsAre502) {
  Limits limits;
  limits.max_head_bytes = 40;
  std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(30, 'v') + "\r\n\r\n";
  EXPECT_EQ(statusOf(big, limits), 502);
  EXPECT_EQ(statusOf(big.substr(0, 40), limits), 502);
  Limits few;
  few.max_fields = 1;
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nA: 1\r\n\r\n", few), 0);
  EXPECT_EQ(statusOf("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", few), 502);
}

}  // namespace
}  // namespace courier::http1
