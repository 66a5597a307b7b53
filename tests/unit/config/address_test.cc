#include "config/address.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

TEST(ResolveSocketAddress, NumericAddresses) {
  auto v4 = resolveSocketAddress("127.0.0.1:8080", PortRule::RequireNonZero);
  ASSERT_TRUE(v4.ok()) << v4.error();
  EXPECT_EQ(v4->text, "127.0.0.1:8080");
  EXPECT_EQ(v4->addr.ss_family, AF_INET);
  EXPECT_EQ(v4->len, sizeof(sockaddr_in));
  EXPECT_EQ(formatResolved(*v4), "127.0.0.1:8080");

  auto v6 = resolveSocketAddress("[::1]:80", PortRule::RequireNonZero);
  ASSERT_TRUE(v6.ok()) << v6.error();
  EXPECT_EQ(v6->addr.ss_family, AF_INET6);
  EXPECT_EQ(formatResolved(*v6), "[::1]:80");
}

TEST(ResolveSocketAddress, ResolvesNames) {
  auto r = resolveSocketAddress("localhost:9000", PortRule::RequireNonZero);
  ASSERT_TRUE(r.ok()) << r.error();
  EXPECT_EQ(r->text, "localhost:9000");
  EXPECT_TRUE(r->addr.ss_family == AF_INET || r->addr.ss_family == AF_INET6);
  EXPECT_TRUE(formatResolved(*r).ends_with(":9000"));
}

TEST(ResolveSocketAddress, PortZeroOnlyForListeners) {
  EXPECT_TRUE(resolveSocketAddress("127.0.0.1:0", PortRule::AllowZero).ok());
  EXPECT_EQ(resolveSocketAddress("127.0.0.1:0", PortRule::RequireNonZero).error(),
            "port 0 is not a valid upstream port");
}

TEST(ResolveSocketAddress, RejectsMalformedAddresses) {
  auto err = [](std::string_view text) {
    auto r = resolveSocketAddress(text, PortRule::AllowZero);
    return r.ok() ? std::string("ok") : r.error();
  };
  EXPECT_EQ(err("127.0.0.1"), "expected \"host:port\", got \"127.0.0.1\" (the port is required)");
  EXPECT_EQ(err("::1:80"), "an IPv6 address needs brackets, like \"[::1]:8080\"");
  EXPECT_EQ(err("[::1]80"), "expected \"[ipv6]:port\", got \"[::1]80\"");
  EXPECT_EQ(err(":80"), "missing host in \":80\" (use \"0.0.0.0:port\" for every IPv4 address)");
  EXPECT_EQ(err("1.2.3.4:70000"), "bad port \"70000\" in \"1.2.3.4:70000\" (expected 0-65535)");
  EXPECT_EQ(err("1.2.3.4:http"), "bad port \"http\" in \"1.2.3.4:http\" (expected 0-65535)");
  EXPECT_EQ(err("1.2.3.4:"), "bad port \"\" in \"1.2.3.4:\" (expected 0-65535)");
  EXPECT_TRUE(
      err("no-such-host.invalid:80").starts_with("cannot resolve \"no-such-host.invalid\": "));
}

TEST(ParseCidr, AcceptsRangesAndHosts) {
  for (const char* ok : {"10.0.0.0/8", "192.168.1.0/24", "0.0.0.0/0", "10.1.2.3", "10.1.2.3/32",
                         "fd00::/8", "::1/128", "::1", "2001:db8::/32"}) {
    auto r = parseCidr(ok);
    EXPECT_TRUE(r.ok()) << ok << ": " << (r.ok() ? "" : r.error());
  }
}

TEST(ParseCidr, RejectsBadRanges) {
  EXPECT_EQ(parseCidr("10.0.0.1/8").error(),
            "\"10.0.0.1/8\" has host bits set (did you mean \"10.0.0.0/8\"?)");
  EXPECT_EQ(parseCidr("fd00::1/8").error(),
            "\"fd00::1/8\" has host bits set (did you mean \"fd00::/8\"?)");
  EXPECT_EQ(parseCidr("10.0.0.0/33").error(),
            "bad prefix length in \"10.0.0.0/33\" (expected 0-32)");
  EXPECT_EQ(parseCidr("::/129").error(), "bad prefix length in \"::/129\" (expected 0-128)");
  EXPECT_EQ(parseCidr("10.0.0.0/").error(), "bad prefix length in \"10.0.0.0/\" (expected 0-32)");
  EXPECT_EQ(parseCidr("10.0.0/8").error(),
            "expected an address or CIDR range like \"10.0.0.0/8\" or \"fd00::/8\", got "
            "\"10.0.0/8\"");
  EXPECT_FALSE(parseCidr("localhost").ok());
  EXPECT_FALSE(parseCidr("").ok());
}

}  // namespace
}  // namespace courier::config
