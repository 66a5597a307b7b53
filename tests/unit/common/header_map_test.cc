#include "proxy/http/header_map.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace courier::http {
namespace {

TEST(HeaderMapTest, AddLowerCasesNameAndCopiesBytes) {
  HeaderMap h;
  std::string name = "X-Custom-Header";
  std::string value = "Some Value";
  h.add(name, value);
  name.assign("ZZZZZZZZZZZZZZZ");
  value.assign("overwritten");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.fields()[0].name, "x-custom-header");
  EXPECT_EQ(h.fields()[0].value, "Some Value");  // values keep their case
  ASSERT_NE(h.get("x-custom-header"), nullptr);
  EXPECT_EQ(*h.get("x-custom-header"), "Some Value");
}

TEST(HeaderMapTest, EmptyValuesNeverHaveANullPointer) {
  // They reach memcpy and evbuffer_add, where a null source is undefined
  // even for zero bytes (an empty grpc-message trailer did, under UBSan).
  HeaderMap h;
  h.add("grpc-message", "");
  ASSERT_EQ(h.size(), 1u);
  EXPECT_NE(h.fields()[0].value.data(), nullptr);
  EXPECT_TRUE(h.fields()[0].value.empty());
  EXPECT_NE(h.copy("").data(), nullptr);
}

TEST(HeaderMapTest, GetReturnsFirstValueOrNull) {
  HeaderMap h;
  h.add("accept", "a");
  h.add("vary", "v");
  h.add("accept", "b");
  ASSERT_NE(h.get("accept"), nullptr);
  EXPECT_EQ(*h.get("accept"), "a");
  EXPECT_EQ(h.get("missing"), nullptr);
  EXPECT_EQ(h.getOr("vary"), "v");
  EXPECT_EQ(h.getOr("missing", "fallback"), "fallback");
  EXPECT_EQ(h.getOr("missing"), "");
  EXPECT_EQ(h.count("accept"), 2u);
  EXPECT_EQ(h.count("vary"), 1u);
  EXPECT_EQ(h.count("missing"), 0u);
}

TEST(HeaderMapTest, SetReplacesEveryFieldOfThatName) {
  HeaderMap h;
  h.add("a", "1");
  h.add("b", "2");
  h.add("a", "3");
  h.set("A", "new");
  EXPECT_EQ(h.count("a"), 1u);
  EXPECT_EQ(*h.get("a"), "new");
  EXPECT_EQ(*h.get("b"), "2");
  EXPECT_EQ(h.size(), 2u);
  h.set("c", "only");
  EXPECT_EQ(*h.get("c"), "only");
  EXPECT_EQ(h.size(), 3u);
}

TEST(HeaderMapTest, RemoveReturnsCountAndKeepsOrder) {
  HeaderMap h;
  h.add("a", "1");
  h.add("x", "2");
  h.add("b", "3");
  h.add("x", "4");
  h.add("c", "5");
  EXPECT_EQ(h.remove("x"), 2u);
  EXPECT_EQ(h.remove("x"), 0u);
  EXPECT_EQ(h.remove("nothing"), 0u);
  ASSERT_EQ(h.size(), 3u);
  EXPECT_EQ(h.fields()[0].name, "a");
  EXPECT_EQ(h.fields()[1].name, "b");
  EXPECT_EQ(h.fields()[2].name, "c");
  EXPECT_EQ(h.fields()[2].value, "5");
}

TEST(HeaderMapTest, HasTokenIsCaseInsensitiveAcrossFields) {
  HeaderMap h;
  h.add("connection", "Keep-Alive, Upgrade");
  h.add("connection", " close ");
  h.add("te", "trailers");
  EXPECT_TRUE(h.hasToken("connection", "keep-alive"));
  EXPECT_TRUE(h.hasToken("connection", "upgrade"));
  EXPECT_TRUE(h.hasToken("connection", "close"));
  EXPECT_FALSE(h.hasToken("connection", "trailers"));
  EXPECT_FALSE(h.hasToken("connection", "keep"));
  EXPECT_TRUE(h.hasToken("te", "trailers"));
  EXPECT_FALSE(h.hasToken("missing", "close"));
}

TEST(HeaderMapTest, ListHasTokenMatchesWholeItemsOnly) {
  EXPECT_TRUE(listHasToken("close", "close"));
  EXPECT_TRUE(listHasToken("CLOSE", "close"));
  EXPECT_TRUE(listHasToken("a,\tb ,  close", "close"));
  EXPECT_TRUE(listHasToken("gzip, chunked", "gzip"));
  EXPECT_FALSE(listHasToken("closed", "close"));
  EXPECT_FALSE(listHasToken("not-close", "close"));
  EXPECT_FALSE(listHasToken("", "close"));
  EXPECT_FALSE(listHasToken(",,", "close"));
}

TEST(HeaderMapTest, HeaderNameEquals) {
  EXPECT_TRUE(headerNameEquals("content-length", "Content-Length"));
  EXPECT_TRUE(headerNameEquals("content-length", "CONTENT-LENGTH"));
  EXPECT_FALSE(headerNameEquals("content-length", "content-lengthx"));
  EXPECT_FALSE(headerNameEquals("content-length", "content_length"));
  EXPECT_TRUE(headerNameEquals("", ""));
}

TEST(HeaderMapTest, ViewsStayValidAfterManyAdds) {
  HeaderMap h;
  std::vector<std::string_view> names, values;
  std::vector<std::string> expected;
  for (int i = 0; i < 3000; ++i) {
    // Mixed sizes, including values over one arena chunk.
    std::string value(static_cast<size_t>((i * 37) % 200 + (i % 500 == 0 ? 5000 : 0)),
                      static_cast<char>('a' + i % 26));
    value += std::to_string(i);
    h.add("X-Field-" + std::to_string(i), value);
    expected.push_back(value);
    names.push_back(h.fields().back().name);
    values.push_back(h.fields().back().value);
  }
  ASSERT_EQ(h.size(), 3000u);
  for (int i = 0; i < 3000; ++i) {
    EXPECT_EQ(names[i], "x-field-" + std::to_string(i)) << i;
    EXPECT_EQ(values[i], expected[i]) << i;
  }
  // Removing fields does not move the bytes of the remaining ones.
  h.remove("x-field-0");
  EXPECT_EQ(values[1], expected[1]);
  EXPECT_EQ(h.fields()[0].value.data(), values[1].data());
}

TEST(HeaderMapTest, CopyReturnsOwnedView) {
  HeaderMap h;
  std::string src = "hello arena";
  std::string_view v = h.copy(src);
  EXPECT_EQ(v, "hello arena");
  EXPECT_NE(v.data(), src.data());
  src[0] = 'J';
  EXPECT_EQ(v, "hello arena");
  EXPECT_TRUE(h.copy("").empty());
  std::string big(4000, 'q');
  std::string_view vb = h.copy(big);
  EXPECT_EQ(vb, big);
  EXPECT_EQ(v, "hello arena");
  EXPECT_TRUE(h.empty());  // copy() adds no field
}

TEST(HeaderMapTest, AdoptStorageKeepsViewsAlive) {
  HeaderMap h;
  {
    const char kHead[] = "hostexample.com";
    auto storage = std::make_unique<char[]>(sizeof kHead);
    memcpy(storage.get(), kHead, sizeof kHead);
    std::string_view all(storage.get(), sizeof kHead - 1);
    h.addView(all.substr(0, 4), all.substr(4));
    h.adoptStorage(std::move(storage));
  }
  h.add("other", "x");  // arena allocation after adopting
  ASSERT_NE(h.get("host"), nullptr);
  EXPECT_EQ(*h.get("host"), "example.com");
  HeaderMap moved(std::move(h));
  EXPECT_EQ(*moved.get("host"), "example.com");
  EXPECT_EQ(*moved.get("other"), "x");
}

TEST(HeaderMapTest, ByteSizeSumsNamesAndValues) {
  HeaderMap h;
  EXPECT_EQ(h.byteSize(), 0u);
  h.add("abc", "12345");
  h.add("d", "");
  EXPECT_EQ(h.byteSize(), 3u + 5u + 1u);
  h.remove("abc");
  EXPECT_EQ(h.byteSize(), 1u);
}

TEST(HeaderMapTest, ClearEmptiesAndMapStaysUsable) {
  HeaderMap h;
  h.add("a", "1");
  h.clear();
  EXPECT_TRUE(h.empty());
  EXPECT_EQ(h.get("a"), nullptr);
  h.add("b", "2");
  EXPECT_EQ(*h.get("b"), "2");
}

TEST(HeaderMapTest, RequestHeadersCopiesPathAndAuthority) {
  RequestHeaders r;
  {
    std::string p = "/v1/chat?stream=true";
    std::string a = "api.example:8443";
    r.setPath(p);
    r.setAuthority(a);
    p.assign(p.size(), 'x');
    a.assign(a.size(), 'y');
  }
  EXPECT_EQ(r.path, "/v1/chat?stream=true");
  EXPECT_EQ(r.pathOnly(), "/v1/chat");
  EXPECT_EQ(r.authority, "api.example:8443");
  r.setPath("/plain");
  EXPECT_EQ(r.pathOnly(), "/plain");
}

TEST(ReasonPhraseTest, KnownAndUnknownStatuses) {
  EXPECT_EQ(reasonPhrase(200), "OK");
  EXPECT_EQ(reasonPhrase(204), "No Content");
  EXPECT_EQ(reasonPhrase(304), "Not Modified");
  EXPECT_EQ(reasonPhrase(404), "Not Found");
  EXPECT_EQ(reasonPhrase(413), "Content Too Large");
  EXPECT_EQ(reasonPhrase(429), "Too Many Requests");
  EXPECT_EQ(reasonPhrase(431), "Request Header Fields Too Large");
  EXPECT_EQ(reasonPhrase(502), "Bad Gateway");
  EXPECT_EQ(reasonPhrase(505), "HTTP Version Not Supported");
  EXPECT_EQ(reasonPhrase(299), "Unknown");
  EXPECT_EQ(reasonPhrase(0), "Unknown");
}

}  // namespace
}  // namespace courier::http
