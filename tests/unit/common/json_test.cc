#include "proxy/common/json.h"

#include <gtest/gtest.h>

#include <cstdio>

#include <string>

namespace courier::json {
namespace {

std::string quoted(std::string_view s) {
  std::string out;
  appendString(out, s);
  return out;
}

TEST(JsonAppendStringTest, PlainTextIsQuoted) {
  EXPECT_EQ(quoted("hello"), "\"hello\"");
  EXPECT_EQ(quoted(""), "\"\"");
}

TEST(JsonAppendStringTest, AppendsWithoutClearing) {
  std::string out = "{\"k\":";
  appendString(out, "v");
  EXPECT_EQ(out, "{\"k\":\"v\"");
}

TEST(JsonAppendStringTest, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(quoted("a\"b"), "\"a\\\"b\"");
  EXPECT_EQ(quoted("C:\\dir\\"), "\"C:\\\\dir\\\\\"");
  EXPECT_EQ(quoted("\\\""), "\"\\\\\\\"\"");
}

TEST(JsonAppendStringTest, EscapesNamedControlCharacters) {
  EXPECT_EQ(quoted("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(quoted("\r\t"), "\"\\r\\t\"");
}

TEST(JsonAppendStringTest, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(quoted(std::string_view("\0", 1)), "\"\\u0000\"");
  EXPECT_EQ(quoted("\x01"), "\"\\u0001\"");
  EXPECT_EQ(quoted("\b\f"), "\"\\b\\f\"");  // the two with short escapes
  EXPECT_EQ(quoted("\x1f"), "\"\\u001f\"");
  EXPECT_EQ(quoted("\x7f"), "\"\\u007f\"");
  EXPECT_EQ(quoted(" ~"), "\" ~\"");  // 0x20 and 0x7e are printable
}

TEST(JsonAppendStringTest, Utf8PassesThrough) {
  EXPECT_EQ(quoted("h\xc3\xa9llo"), "\"h\xc3\xa9llo\"");          // é
  EXPECT_EQ(quoted("\xe2\x82\xac"), "\"\xe2\x82\xac\"");          // €
  EXPECT_EQ(quoted("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");  // emoji
  EXPECT_EQ(quoted("\xff\x80"), "\"\xff\x80\"");                  // high bytes kept as is
}

// The word-at-a-time scan against a byte-by-byte reference: every byte
// value at every position of strings of 1..20 bytes (words, partial words,
// and bytes >= 0x80 next to the ones that need escaping).
TEST(JsonAppendStringTest, MatchesAByteByByteReferenceAtEveryPosition) {
  auto reference = [](std::string_view s) {
    std::string out = "\"";
    char hex[8];
    for (unsigned char c : s) {
      if (c == '"')
        out += "\\\"";
      else if (c == '\\')
        out += "\\\\";
      else if (c == '\n')
        out += "\\n";
      else if (c == '\r')
        out += "\\r";
      else if (c == '\t')
        out += "\\t";
      else if (c == '\b')
        out += "\\b";
      else if (c == '\f')
        out += "\\f";
      else if (c < 0x20 || c == 0x7f) {
        snprintf(hex, sizeof hex, "\\u%04x", c);
        out += hex;
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  };
  for (size_t len = 1; len <= 20; ++len) {
    for (size_t pos = 0; pos < len; ++pos) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string s(len, 'a');
        if (pos + 1 < len) s[pos + 1] = '\xc3';  // a high byte beside it
        s[pos] = static_cast<char>(byte);
        ASSERT_EQ(quoted(std::string_view(s)), reference(s))
            << "len " << len << " pos " << pos << " byte " << byte;
      }
    }
  }
}

}  // namespace
}  // namespace courier::json
