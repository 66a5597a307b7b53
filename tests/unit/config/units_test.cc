#include "config/units.h"

#include <gtest/gtest.h>

namespace courier::config {
namespace {

Duration ms(int64_t n) {
  return Duration(n);
}

TEST(ParseDuration, AcceptsEveryUnit) {
  EXPECT_EQ(*parseDuration("250ms"), ms(250));
  EXPECT_EQ(*parseDuration("1.5s"), ms(1500));
  EXPECT_EQ(*parseDuration("5m"), ms(300'000));
  EXPECT_EQ(*parseDuration("1h"), ms(3'600'000));
  EXPECT_EQ(*parseDuration("2d"), ms(172'800'000));
  EXPECT_EQ(*parseDuration("0s"), ms(0));
  EXPECT_EQ(*parseDuration("0.001s"), ms(1));
  EXPECT_EQ(*parseDuration("1.25m"), ms(75'000));
  EXPECT_EQ(*parseDuration("007s"), ms(7'000));
}

TEST(ParseDuration, RejectsMalformedText) {
  for (const char* bad : {"", "s", "ms", ".5s", "1.s", "5 s", " 5s", "5s ", "1e3s", "+5s", "5S",
                          "5sec", "1m30s", "0x10s", "five seconds"}) {
    auto r = parseDuration(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r.ok()) {
      EXPECT_TRUE(r.error().starts_with("expected a duration like \"30s\"")) << r.error();
    }
  }
}

TEST(ParseDuration, ExplainsWhatIsWrong) {
  EXPECT_EQ(parseDuration("abc").error(), "expected a duration like \"30s\"");
  EXPECT_EQ(parseDuration("10").error(),
            "expected a duration like \"30s\"; \"10\" has no unit (units: ms, s, m, h, d)");
  EXPECT_EQ(parseDuration("10sec").error(),
            "expected a duration like \"30s\"; unknown unit \"sec\" (units: ms, s, m, h, d)");
  EXPECT_EQ(parseDuration("-5s").error(), "a duration cannot be negative");
  EXPECT_EQ(parseDuration("0.5ms").error(), "duration \"0.5ms\" is finer than the 1ms resolution");
  EXPECT_EQ(parseDuration("1.0001s").error(),
            "duration \"1.0001s\" is finer than the 1ms resolution");
}

TEST(ParseDuration, RejectsOverflow) {
  // Overflows while reading the digits.
  EXPECT_EQ(parseDuration("99999999999999999999s").error(),
            "duration \"99999999999999999999s\" is too large");
  // Fits in 64 bits, overflows when scaled to milliseconds.
  EXPECT_EQ(parseDuration("999999999999999999d").error(),
            "duration \"999999999999999999d\" is too large");
  // Fits in uint64 milliseconds but not in Duration's signed rep.
  EXPECT_FALSE(parseDuration("10000000000000000000ms").ok());
  EXPECT_EQ(*parseDuration("9223372036854775807ms"), Duration::max());
  // Too many fraction digits to scale exactly.
  EXPECT_FALSE(parseDuration("1.0000000000000000001s").ok());
}

TEST(ParseSize, AcceptsUnitsAndBareBytes) {
  EXPECT_EQ(*parseSize("16MiB"), 16ull << 20);
  EXPECT_EQ(*parseSize("64KiB"), 64ull << 10);
  EXPECT_EQ(*parseSize("1GiB"), 1ull << 30);
  EXPECT_EQ(*parseSize("2TiB"), 2ull << 40);
  EXPECT_EQ(*parseSize("1GB"), 1'000'000'000ull);
  EXPECT_EQ(*parseSize("1KB"), 1000ull);
  EXPECT_EQ(*parseSize("3MB"), 3'000'000ull);
  EXPECT_EQ(*parseSize("512B"), 512ull);
  EXPECT_EQ(*parseSize("4096"), 4096ull);
  EXPECT_EQ(*parseSize("1.5KiB"), 1536ull);
  EXPECT_EQ(*parseSize("0"), 0ull);
}

TEST(ParseSize, RejectsBadSizes) {
  EXPECT_EQ(parseSize("16mb").error(),
            "expected a size like \"16MiB\" or a number of bytes; unknown unit \"mb\" (units: B, "
            "KB, MB, GB, TB, KiB, MiB, GiB, TiB)");
  EXPECT_EQ(parseSize("").error(), "expected a size like \"16MiB\" or a number of bytes");
  EXPECT_EQ(parseSize("MiB").error(), "expected a size like \"16MiB\" or a number of bytes");
  EXPECT_EQ(parseSize("-1").error(), "a size cannot be negative");
  EXPECT_EQ(parseSize("0.5B").error(), "size \"0.5B\" is not a whole number of bytes");
  EXPECT_EQ(parseSize("99999999999TiB").error(), "size \"99999999999TiB\" is too large");
  EXPECT_EQ(parseSize("18446744073709551616").error(),
            "size \"18446744073709551616\" is too large");
  EXPECT_EQ(*parseSize("18446744073709551615"), UINT64_MAX);
}

TEST(FormatDuration, UsesTheLargestExactUnit) {
  EXPECT_EQ(formatDuration(ms(0)), "0s");
  EXPECT_EQ(formatDuration(ms(250)), "250ms");
  EXPECT_EQ(formatDuration(ms(1500)), "1500ms");
  EXPECT_EQ(formatDuration(ms(10'000)), "10s");
  EXPECT_EQ(formatDuration(ms(120'000)), "2m");
  EXPECT_EQ(formatDuration(ms(3'600'000)), "1h");
  EXPECT_EQ(formatDuration(ms(172'800'000)), "2d");
}

TEST(FormatDuration, RoundTripsThroughParse) {
  for (int64_t v : {0, 1, 999, 1000, 61'000, 90'000, 3'600'000, 86'400'001}) {
    EXPECT_EQ(*parseDuration(formatDuration(ms(v))), ms(v)) << v;
  }
}

}  // namespace
}  // namespace courier::config
