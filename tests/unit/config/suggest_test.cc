#include "config/suggest.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

TEST(EditDistance, CountsEditsAndTranspositions) {
  EXPECT_EQ(editDistance("ttl", "ttl"), 0u);
  EXPECT_EQ(editDistance("ttll", "ttl"), 1u);
  EXPECT_EQ(editDistance("tiemout", "timeout"), 1u);  // one transposition
  EXPECT_EQ(editDistance("", "abc"), 3u);
  EXPECT_EQ(editDistance("kitten", "sitting"), 3u);
}

TEST(ClosestMatch, SuggestsPlausibleTypos) {
  const std::vector<std::string_view> keys = {"ttl", "timeout", "cluster", "match"};
  EXPECT_EQ(closestMatch("ttll", keys), "ttl");
  EXPECT_EQ(closestMatch("tiemout", keys), "timeout");
  EXPECT_EQ(closestMatch("clsuter", keys), "cluster");
  EXPECT_EQ(closestMatch("mach", keys), "match");
}

TEST(ClosestMatch, StaysQuietWhenNothingIsClose) {
  const std::vector<std::string_view> keys = {"ttl", "timeout", "cluster"};
  EXPECT_EQ(closestMatch("frobnicate", keys), std::nullopt);
  EXPECT_EQ(closestMatch("ab", keys), std::nullopt);
  EXPECT_EQ(didYouMean("zzz", keys), "");
  EXPECT_EQ(didYouMean("ttll", keys), " (did you mean 'ttl'?)");
}

}  // namespace
}  // namespace courier::config
