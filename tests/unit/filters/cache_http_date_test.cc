#include <gtest/gtest.h>

#include <ctime>

#include "filters/cache/http_date.h"

namespace courier::filters::cache {
namespace {

constexpr int64_t kRfcExample = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110 §5.6.7)

TEST(HttpDateParse, ImfFixdate) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
}

TEST(HttpDateParse, Rfc850) {
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
}

TEST(HttpDateParse, AsctimeWithSpacePaddedDay) {
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), kRfcExample);
}

TEST(HttpDateParse, AsctimeWithTwoDigitDay) {
  EXPECT_EQ(parseHttpDate("Wed Nov 16 08:49:37 1994"), kRfcExample + 10 * 86400);
}

TEST(HttpDateParse, UnixEpoch) {
  EXPECT_EQ(parseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(HttpDateParse, BeforeEpochIsNegative) {
  EXPECT_EQ(parseHttpDate("Wed, 31 Dec 1969 23:59:59 GMT"), -1);
  EXPECT_EQ(parseHttpDate("Mon, 01 Jan 1900 00:00:00 GMT"), -2208988800);
}

TEST(HttpDateParse, LeapDays) {
  EXPECT_EQ(parseHttpDate("Thu, 29 Feb 2024 12:00:00 GMT"), 1709208000);
  EXPECT_EQ(parseHttpDate("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400);  // 400-year rule
  EXPECT_FALSE(parseHttpDate("Wed, 29 Feb 2023 00:00:00 GMT"));
  EXPECT_FALSE(parseHttpDate("Mon, 29 Feb 2100 00:00:00 GMT"));  // 100-year rule
}

TEST(HttpDateParse, Rfc850TwoDigitYearsPivotAt70) {
  EXPECT_EQ(parseHttpDate("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
  EXPECT_EQ(parseHttpDate("Saturday, 01-Jan-00 00:00:00 GMT"), 946684800);
  EXPECT_EQ(parseHttpDate("Friday, 31-Dec-99 23:59:59 GMT"), 946684799);
}

TEST(HttpDateParse, SurroundingWhitespaceIsIgnored) {
  EXPECT_EQ(parseHttpDate("  Sun, 06 Nov 1994 08:49:37 GMT\t"), kRfcExample);
}

TEST(HttpDateParse, LeapSecondIsAccepted) {
  EXPECT_EQ(parseHttpDate("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800);
}

TEST(HttpDateParse, LastRepresentableDay) {
  EXPECT_EQ(parseHttpDate("Fri, 31 Dec 9999 23:59:59 GMT"), 253402300799);
}

TEST(HttpDateParse, RejectsGarbage) {
  for (const char* bad : {
           "",
           "0",
           "-1",
           "tomorrow",
           "Sun, 06 Nov 1994 08:49:37 PST",
           "Sun, 06 Nov 1994 08:49:37",
           "Sun, 06 Nov 1994 08:49:37 GMT junk",
           "Sun, 6 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 94 08:49:37 GMT",
           "Sun, 06 nov 1994 08:49:37 GMT",
           "Sun, 06 Foo 1994 08:49:37 GMT",
           "Xyz, 06 Nov 1994 08:49:37 GMT",
           "06 Nov 1994 08:49:37 GMT",
           "Sun 06 Nov 1994 08:49:37 GMT",
           "Sun, 06 Nov 1994 24:00:00 GMT",
           "Sun, 06 Nov 1994 08:60:00 GMT",
           "Sun, 06 Nov 1994 08:49:61 GMT",
           "Sun, 06 Nov 1994 8:49:37 GMT",
           "Sun, 00 Nov 1994 08:49:37 GMT",
           "Sun, 31 Nov 1994 08:49:37 GMT",
           "Sun, 06-Nov-1994 08:49:37 GMT",
           "Sun Nov 6 08:49:37 1994",
           "Sun Nov  6 08:49:37 94",
           "2024-02-29T12:00:00Z",
       }) {
    EXPECT_FALSE(parseHttpDate(bad)) << bad;
  }
}

TEST(HttpDateFormat, RfcExample) {
  EXPECT_EQ(formatHttpDate(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDateFormat, EpochAndBefore) {
  EXPECT_EQ(formatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(formatHttpDate(-1), "Wed, 31 Dec 1969 23:59:59 GMT");
}

TEST(HttpDateFormat, ClampsToFourDigitYears) {
  EXPECT_EQ(formatHttpDate(INT64_MAX), "Fri, 31 Dec 9999 23:59:59 GMT");
  EXPECT_EQ(formatHttpDate(INT64_MIN), "Mon, 01 Jan 0001 00:00:00 GMT");
}

// libc's gmtime/strftime (C locale) is the oracle for the calendar arithmetic.
TEST(HttpDateFormat, AgreesWithGmtimeAndRoundTrips) {
  for (int64_t t = -2208988800; t < 4102444800; t += 7777777) {
    time_t tt = static_cast<time_t>(t);
    struct tm utc {};
    ASSERT_NE(gmtime_r(&tt, &utc), nullptr);
    char expected[64];
    strftime(expected, sizeof(expected), "%a, %d %b %Y %H:%M:%S GMT", &utc);
    std::string formatted = formatHttpDate(t);
    EXPECT_EQ(formatted, expected) << t;
    EXPECT_EQ(parseHttpDate(formatted), t) << formatted;
  }
}

}  // namespace
}  // namespace courier::filters::cache
