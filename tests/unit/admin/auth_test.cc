#include "proxy/admin/auth.h"

#include <gtest/gtest.h>

namespace courier::admin {
namespace {

TEST(Auth, BearerToken) {
  EXPECT_TRUE(bearerTokenMatches("Bearer abc", "abc"));
  EXPECT_TRUE(bearerTokenMatches("bearer abc", "abc"));
  EXPECT_TRUE(bearerTokenMatches("BEARER   abc ", "abc"));
  EXPECT_FALSE(bearerTokenMatches("Bearer abcd", "abc"));
  EXPECT_FALSE(bearerTokenMatches("Bearer ab", "abc"));
  EXPECT_FALSE(bearerTokenMatches("Bearer ABC", "abc"));  // tokens are case-sensitive
  EXPECT_FALSE(bearerTokenMatches("Bearerabc", "abc"));
  EXPECT_FALSE(bearerTokenMatches("Basic abc", "abc"));
  EXPECT_FALSE(bearerTokenMatches("abc", "abc"));
  EXPECT_FALSE(bearerTokenMatches("", "abc"));
  EXPECT_FALSE(bearerTokenMatches("Bearer ", ""));
}

}  // namespace
}  // namespace courier::admin
