// Canonical JSON for POST cache keys: what must and must not split the cache.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "filters/cache/canonical_json.h"

namespace courier::filters::cache {
namespace {

// The canonical form, or "<invalid>".
std::string canon(std::string_view in) {
  std::string out;
  return canonicalizeJson(in, out) ? out : "<invalid>";
}

TEST(CanonicalJson, RemovesWhitespace) {
  EXPECT_EQ(canon(" { \"a\" : [ 1 , 2 ] ,\n\t\"b\" : null }\r\n"), R"({"a":[1,2],"b":null})");
  EXPECT_EQ(canon(R"({"a":[1,2],"b":null})"), canon("{\"a\":\n[1,\n2],\"b\":null}"));
}

TEST(CanonicalJson, SortsKeysAtEveryLevel) {
  EXPECT_EQ(canon(R"({"b":1,"a":{"z":true,"y":[{"d":1,"c":2}]}})"),
            R"({"a":{"y":[{"c":2,"d":1}],"z":true},"b":1})");
  EXPECT_EQ(canon(R"({"model":"m","messages":[{"role":"user","content":"hi"}]})"),
            canon(R"({"messages":[{"content":"hi","role":"user"}],"model":"m"})"));
}

TEST(CanonicalJson, SortsKeysByUnescapedBytes) {
  // Upper case before lower case, and UTF-8 after ASCII (code point order);
  // an escaped key sorts by what it stands for.
  EXPECT_EQ(canon(R"({"a":1,"B":2,"é":3,"z":4})"), R"({"B":2,"a":1,"z":4,"é":3})");
  EXPECT_EQ(canon(R"({"\u0062":1,"a":2})"), R"({"a":2,"b":1})");
  EXPECT_EQ(canon(R"({"ab":1,"a":2,"":3})"), R"({"":3,"a":2,"ab":1})");
}

TEST(CanonicalJson, KeepsDuplicateKeysInOrder) {
  EXPECT_EQ(canon(R"({"b":0,"a":2,"a":1})"), R"({"a":2,"a":1,"b":0})");
  EXPECT_NE(canon(R"({"a":2,"a":1})"), canon(R"({"a":1,"a":2})"));
}

TEST(CanonicalJson, ArraysKeepOrder) {
  EXPECT_EQ(canon("[3,1,2]"), "[3,1,2]");
  EXPECT_NE(canon("[1,2]"), canon("[2,1]"));
  EXPECT_EQ(canon("[ ]"), "[]");
  EXPECT_EQ(canon("{ }"), "{}");
}

// Strings are written by json::appendString (as everywhere in courier):
// quotes, backslashes and control characters (DEL too) escaped.
TEST(CanonicalJson, EscapesMinimally) {
  EXPECT_EQ(canon(R"("a\"b\\c\/d")"), R"("a\"b\\c/d")");
  EXPECT_EQ(canon(R"("\b\f\n\r\t")"), R"("\b\f\n\r\t")");
  EXPECT_EQ(canon(R"("\u0000\u0001\u001f\u007f")"), "\"\\u0000\\u0001\\u001f\\u007f\"");
  EXPECT_EQ(canon(R"("\u0041\u00e9")"), "\"A\xc3\xa9\"");
  EXPECT_EQ(canon(R"("\u00e9")"), canon("\"\xc3\xa9\""));
  EXPECT_EQ(canon(R"("\u0009")"), canon(R"("\t")"));
}

TEST(CanonicalJson, KeepsUnicodeRaw) {
  EXPECT_EQ(canon("\"\xe6\x97\xa5\xe6\x9c\xac\""), "\"\xe6\x97\xa5\xe6\x9c\xac\"");
  // A surrogate pair becomes the 4-byte UTF-8 of U+1F600.
  EXPECT_EQ(canon(R"("\ud83d\ude00")"), "\"\xf0\x9f\x98\x80\"");
  EXPECT_EQ(canon(R"("\ud83d\ude00")"), canon("\"\xf0\x9f\x98\x80\""));
}

TEST(CanonicalJson, NumbersCompareByValue) {
  // Decision: an integral value is written as an integer however it was
  // spelled, so 1, 1.0 and 1e0 key the same, as do 1e2 and 100.
  EXPECT_EQ(canon("1"), "1");
  EXPECT_EQ(canon("1.0"), "1");
  EXPECT_EQ(canon("1e0"), "1");
  EXPECT_EQ(canon("10e-1"), "1");
  EXPECT_EQ(canon("1e2"), "100");
  EXPECT_EQ(canon("1E+2"), "100");
  EXPECT_EQ(canon("100.000"), "100");
  EXPECT_EQ(canon("-0"), "0");
  EXPECT_EQ(canon("-0.0"), "0");
  EXPECT_EQ(canon("-2.50"), "-2.5");
  EXPECT_EQ(canon("0.1"), "0.1");
  EXPECT_EQ(canon("1.5e-7"), canon("0.00000015"));
  EXPECT_EQ(canon("[1,1.0,1e2]"), "[1,1,100]");
}

TEST(CanonicalJson, NumbersAtTheEdges) {
  EXPECT_EQ(canon("9223372036854775807"), "9223372036854775807");
  EXPECT_EQ(canon("-9223372036854775808"), "-9223372036854775808");
  EXPECT_EQ(canon("18446744073709551615"), "18446744073709551615");
  EXPECT_EQ(canon("1e19"), "10000000000000000000");
  // Past 2^53 a float is not exact: the integer keeps its digits, the float
  // its (rounded) value.
  EXPECT_EQ(canon("9007199254740993"), "9007199254740993");
  EXPECT_EQ(canon("9007199254740993.0"), "9007199254740992");
  // Integral floats past uint64 use the exponent form, which parses again.
  EXPECT_EQ(canon("1e20"), "1e+20");
  EXPECT_EQ(canon("18446744073709551616.0"), "1.8446744073709552e+19");
  EXPECT_EQ(canon("-1e19"), "-1e+19");
  EXPECT_EQ(canon("1.7976931348623157e308"), "1.7976931348623157e+308");
  EXPECT_EQ(canon("5e-324"), "5e-324");
}

TEST(CanonicalJson, DifferentValuesDiffer) {
  const std::vector<std::string> docs = {
      "1",         "2",         "1.5",    "\"1\"",        "true",          "false",
      "null",      "[]",        "{}",     "[1]",          "[[1]]",         "{\"a\":1}",
      "{\"a\":2}", "{\"b\":1}", "\"\"",   "\"a\"",        "\"A\"",         "{\"a\":[1,2]}",
      "[1,2]",     "[2,1]",     "[null]", "{\"a\":null}", "{\"a\":\"1\"}", "{\"a\":{}}"};
  for (size_t i = 0; i < docs.size(); ++i)
    for (size_t j = i + 1; j < docs.size(); ++j)
      EXPECT_NE(canon(docs[i]), canon(docs[j])) << docs[i] << " vs " << docs[j];
}

TEST(CanonicalJson, TopLevelScalars) {
  EXPECT_EQ(canon(" true "), "true");
  EXPECT_EQ(canon("null"), "null");
  EXPECT_EQ(canon(" \"x\" "), "\"x\"");
  EXPECT_EQ(canon("-12"), "-12");
}

TEST(CanonicalJson, RejectsInvalid) {
  const std::vector<std::string> bad = {"",         "   ",
                                        "{",        "}",
                                        "[1,]",     "{\"a\":1,}",
                                        "1 2",      "[1] x",
                                        "{'a':1}",  "{a:1}",
                                        "NaN",      "Infinity",
                                        "01",       "1.",
                                        ".5",       "+1",
                                        "1e400",    "\"\\ud800\"",
                                        "\"\\x\"",  "\"a",
                                        "\"\xff\"", "tru",
                                        "\"\x01\"", "[1 2]",
                                        "{\"a\"}",  "100000000000000000000"};
  for (const auto& doc : bad) EXPECT_EQ(canon(doc), "<invalid>") << doc;
  std::string with_nul("[1]\0", 4);
  EXPECT_EQ(canon(with_nul), "<invalid>");
}

TEST(CanonicalJson, BoundsNesting) {
  EXPECT_NE(canon(std::string(512, '[') + std::string(512, ']')), "<invalid>");
  EXPECT_EQ(canon(std::string(5000, '[') + std::string(5000, ']')), "<invalid>");
}

TEST(CanonicalJson, IsIdempotent) {
  const std::vector<std::string> docs = {
      R"({"b":[1.0,2e3,-0.5,{"y":"\u00e9\n","x":null}],"a":true})",
      R"(["\u0000\"\\",1e20,18446744073709551615,-9223372036854775808,5e-324])",
      R"({"":{"":[]},"\u0001":0.1})", "18446744073709551616.0", "1.8446744073709552e19"};
  for (const auto& doc : docs) {
    std::string once = canon(doc);
    ASSERT_NE(once, "<invalid>") << doc;
    EXPECT_EQ(canon(once), once) << doc;
  }
}

TEST(CanonicalJson, LargeDocumentUsesItsOwnParser) {
  // Past the reused-parser size, and then a small one again on the same thread.
  std::string big = "[";
  for (int i = 0; i < 20000; ++i) big += (i ? ", " : "") + std::to_string(i) + ".0";
  big += "]";
  std::string out = canon(big);
  ASSERT_NE(out, "<invalid>");
  EXPECT_EQ(out.substr(0, 8), "[0,1,2,3");
  EXPECT_EQ(canon("{ \"b\":1, \"a\":2 }"), R"({"a":2,"b":1})");
}

}  // namespace
}  // namespace courier::filters::cache
