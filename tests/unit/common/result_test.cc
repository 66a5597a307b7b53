#include "proxy/common/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace courier {
namespace {

Result<int> parsePositive(int v) {
  if (v <= 0) return Result<int>::failure({7, "not positive"});
  return v;
}

TEST(ResultTest, HoldsValue) {
  Result<int> r = parsePositive(5);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r.value(), 5);
  EXPECT_EQ(*r, 5);
  *r = 6;
  EXPECT_EQ(r.value(), 6);
}

TEST(ResultTest, HoldsError) {
  Result<int> r = parsePositive(-1);
  ASSERT_FALSE(r.ok());
  EXPECT_FALSE(static_cast<bool>(r));
  EXPECT_EQ(r.error().code, 7);
  EXPECT_EQ(r.error().message, "not positive");
}

TEST(ResultTest, ArrowAndConstAccess) {
  const Result<std::string> r(std::string("abc"));
  EXPECT_EQ(r->size(), 3u);
  EXPECT_EQ(*r, "abc");
  EXPECT_EQ(r.value(), "abc");
}

TEST(ResultTest, MoveOnlyValue) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(42));
  ASSERT_TRUE(r.ok());
  std::unique_ptr<int> taken = std::move(r.value());
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 42);
}

enum class Error { Timeout, Refused };

TEST(ResultTest, CustomErrorType) {
  auto r = Result<std::string, Error>::failure(Error::Refused);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error(), Error::Refused);
  Result<std::string, Error> ok(std::string("fine"));
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, "fine");
}

}  // namespace
}  // namespace courier
