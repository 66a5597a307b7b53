// validRequestTarget and validAuthority: what a reverse proxy accepts as a
// request-target (RFC 9112 §3.2) and as a host.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string_view>

#include "proxy/http/http1_parser.h"

namespace courier::http1 {
namespace {

TEST(RequestTarget, OriginForm) {
  for (const char* t : {"/", "/v1/completions", "/a?b=c&d=%20e", "//double", "/a/../b",
                        "/q?x=[1]{2}|\"3\"", "/~user/;p=1"})
    EXPECT_TRUE(validRequestTarget("GET", t)) << t;
}

TEST(RequestTarget, AbsoluteForm) {
  for (const char* t : {"http://api.example/v1", "https://api.example:8443/", "HTTP://Host",
                        "http://10.0.0.1:80?q", "http://[::1]:8080/x", "http://a.b-c_d~e/"})
    EXPECT_TRUE(validRequestTarget("GET", t)) << t;
  for (const char* t : {"ftp://x/", "http:/x", "http://", "http:///path", "http://user@x/",
                        "http://x:port/", "http://x:123456/", "http://[::1/", "http://[v1.x]/",
                        "http://x y/", "http//x/", "x", "api.example:443", "httpx://a/"})
    EXPECT_FALSE(validRequestTarget("GET", t)) << t;
}

TEST(RequestTarget, AsteriskOnlyForOptions) {
  EXPECT_TRUE(validRequestTarget("OPTIONS", "*"));
  EXPECT_TRUE(validRequestTarget("OPTIONS", "/x"));
  EXPECT_FALSE(validRequestTarget("GET", "*"));
  EXPECT_FALSE(validRequestTarget("OPTIONS", "*x"));
}

TEST(RequestTarget, ConnectIsRejected) {
  EXPECT_FALSE(validRequestTarget("CONNECT", "api.example:443"));
  EXPECT_FALSE(validRequestTarget("CONNECT", "/"));
}

TEST(RequestTarget, RejectsBadBytes) {
  for (std::string_view t : std::initializer_list<std::string_view>{
           "", "/a b", "/a\tb", "/a#f", "/a\x01", "/\x7f", "/caf\xc3\xa9", "/a\r",
           std::string_view("/a\0b", 4)})
    EXPECT_FALSE(validRequestTarget("GET", t)) << t;
}

TEST(Authority, HostsAndPorts) {
  for (const char* a : {"example.com", "example.com:80", "10.0.0.1", "[::1]", "[2001:db8::1]:443",
                        "[::ffff:10.0.0.1]", "a%41b", "x:1"})
    EXPECT_TRUE(validAuthority(a)) << a;
  for (const char* a :
       {"", ":80", "example.com:", "example.com:80:90", "u@example.com", "exa mple", "a%4", "a%zz",
        "[::1", "[]", "[::1]x", "[::1]:", "x:-1", "x/y", "x?y", "x\\y", "[v1.a]"})
    EXPECT_FALSE(validAuthority(a)) << a;
}

}  // namespace
}  // namespace courier::http1
