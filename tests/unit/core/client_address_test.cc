#include "proxy/http/client_address.h"

#include <gtest/gtest.h>

#include <vector>

#include "config/address.h"

namespace courier::http {
namespace {

std::vector<config::Cidr> ranges(std::initializer_list<const char*> texts) {
  std::vector<config::Cidr> out;
  for (const char* t : texts) out.push_back(*config::parseCidr(t));
  return out;
}

HeaderMap xff(std::initializer_list<const char*> values) {
  HeaderMap h;
  for (const char* v : values) h.add("x-forwarded-for", v);
  return h;
}

TEST(ClientAddress, PeerWhenNothingIsTrusted) {
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"1.2.3.4"}), {}), "10.0.0.5");
  auto trusted = ranges({"192.168.0.0/16"});
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"1.2.3.4"}), trusted), "10.0.0.5");
}

TEST(ClientAddress, RightMostUntrustedHop) {
  auto trusted = ranges({"10.0.0.0/8", "fd00::/8"});
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"1.2.3.4"}), trusted), "1.2.3.4");
  // The client wrote "6.6.6.6"; our proxies appended the rest.
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"6.6.6.6, 1.2.3.4, 10.1.1.1"}), trusted),
            "1.2.3.4");
  // Several fields read as one list, in order.
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"6.6.6.6", "5.5.5.5 , 10.9.9.9"}), trusted),
            "5.5.5.5");
  // Ports and brackets are dropped; IPv6 works.
  EXPECT_EQ(effectiveClientAddress("fd00::1", xff({"[2001:db8::7]:443"}), trusted), "2001:db8::7");
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"1.2.3.4:5678"}), trusted), "1.2.3.4");
  // An IPv4-mapped peer counts as its IPv4 address.
  EXPECT_EQ(effectiveClientAddress("::ffff:10.0.0.5", xff({"1.2.3.4"}), trusted), "1.2.3.4");
}

TEST(ClientAddress, EdgeCases) {
  auto trusted = ranges({"10.0.0.0/8"});
  // No header: the peer.
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", HeaderMap(), trusted), "10.0.0.5");
  // Every hop trusted: the left-most is the client.
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"10.1.1.1, 10.2.2.2"}), trusted), "10.1.1.1");
  // Garbage to the right of trusted hops is still the right-most untrusted hop.
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({"1.2.3.4, unknown"}), trusted), "unknown");
  EXPECT_EQ(effectiveClientAddress("10.0.0.5", xff({" , "}), trusted), "10.0.0.5");
}

TEST(ClientAddress, InRanges) {
  auto r = ranges({"10.0.0.0/8", "192.168.1.128/25", "::1"});
  EXPECT_TRUE(inRanges("10.255.0.1", r));
  EXPECT_FALSE(inRanges("11.0.0.1", r));
  EXPECT_TRUE(inRanges("192.168.1.200", r));
  EXPECT_FALSE(inRanges("192.168.1.100", r));
  EXPECT_TRUE(inRanges("::1", r));
  EXPECT_FALSE(inRanges("::2", r));
  EXPECT_FALSE(inRanges("not-an-ip", r));
}

}  // namespace
}  // namespace courier::http
