#include "filters/cache/http_date.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace courier::filters::cache {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
// Days from 0000-03-01 (the start of the calendar used below) to 1970-01-01.
constexpr int64_t kEpochShiftDays = 719468;
constexpr int64_t kDaysPer400Years = 146097;

constexpr std::array<std::string_view, 7> kShortDays = {"Sun", "Mon", "Tue", "Wed",
                                                        "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};
constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// The calendar below starts each year on March 1st, so the leap day is the
// last day of a year and the month lengths before it follow one pattern:
// (153 * month_from_march + 2) / 5 is the first day of that month.
int64_t daysFromCivil(int64_t year, int month, int day) {
  if (month <= 2) --year;
  int64_t era = (year >= 0 ? year : year - 399) / 400;
  int64_t year_of_era = year - era * 400;
  int64_t month_from_march = (month + 9) % 12;
  int64_t day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
  int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * kDaysPer400Years + day_of_era - kEpochShiftDays;
}

struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};

CivilDate civilFromDays(int64_t days) {
  days += kEpochShiftDays;
  int64_t era = (days >= 0 ? days : days - (kDaysPer400Years - 1)) / kDaysPer400Years;
  int64_t day_of_era = days - era * kDaysPer400Years;
  // Undo the leap days (every 4th year, not every 100th, every 400th) to get the year.
  int64_t year_of_era =
      (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
  int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
  int64_t month_from_march = (5 * day_of_year + 2) / 153;
  int day = static_cast<int>(day_of_year - (153 * month_from_march + 2) / 5 + 1);
  int month = static_cast<int>(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
  return {year_of_era + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

bool isLeapYear(int64_t year) {
  return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

int daysInMonth(int64_t year, int month) {
  constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : kDays[month - 1];
}

struct DateParts {
  int64_t year = 0;
  int month = 0;  // 1..12
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
};

// Consumes the date text left to right; each reader returns false on a mismatch.
class DateReader {
 public:
  explicit DateReader(std::string_view text) : rest_(text) {}

  bool done() const { return rest_.empty(); }

  bool literal(std::string_view expected) {
    if (!rest_.starts_with(expected)) return false;
    rest_.remove_prefix(expected.size());
    return true;
  }

  // Exactly `count` ASCII digits.
  bool digits(size_t count, int& out) {
    if (rest_.size() < count) return false;
    int value = 0;
    for (size_t i = 0; i < count; ++i) {
      char c = rest_[i];
      if (c < '0' || c > '9') return false;
      value = value * 10 + (c - '0');
    }
    rest_.remove_prefix(count);
    out = value;
    return true;
  }

  std::string_view letters() {
    size_t n = 0;
    while (n < rest_.size() &&
           ((rest_[n] >= 'A' && rest_[n] <= 'Z') || (rest_[n] >= 'a' && rest_[n] <= 'z')))
      ++n;
    std::string_view word = rest_.substr(0, n);
    rest_.remove_prefix(n);
    return word;
  }

  bool month(int& out) {
    std::string_view word = letters();
    for (size_t i = 0; i < kMonths.size(); ++i) {
      if (word == kMonths[i]) {
        out = static_cast<int>(i) + 1;
        return true;
      }
    }
    return false;
  }

  // hour ":" minute ":" second
  bool timeOfDay(DateParts& p) {
    return digits(2, p.hour) && literal(":") && digits(2, p.minute) && literal(":") &&
           digits(2, p.second);
  }

 private:
  std::string_view rest_;
};

bool isDayName(std::string_view word) {
  return std::find(kShortDays.begin(), kShortDays.end(), word) != kShortDays.end() ||
         std::find(kLongDays.begin(), kLongDays.end(), word) != kLongDays.end();
}

// After "day-name,": " 06 Nov 1994 08:49:37 GMT" (IMF) or " 06-Nov-94 08:49:37 GMT" (RFC 850).
bool readCommaForm(DateReader& r, DateParts& p) {
  if (!r.literal(" ") || !r.digits(2, p.day)) return false;
  int year = 0;
  if (r.literal(" ")) {
    if (!r.month(p.month) || !r.literal(" ") || !r.digits(4, year)) return false;
  } else if (r.literal("-")) {
    if (!r.month(p.month) || !r.literal("-") || !r.digits(2, year)) return false;
    year += year < 70 ? 2000 : 1900;
  } else {
    return false;
  }
  p.year = year;
  return r.literal(" ") && r.timeOfDay(p) && r.literal(" GMT");
}

// After "day-name": " Nov  6 08:49:37 1994" (asctime; a one-digit day is space-padded).
bool readAsctimeForm(DateReader& r, DateParts& p) {
  if (!r.literal(" ") || !r.month(p.month) || !r.literal(" ")) return false;
  bool day_ok = r.literal(" ") ? r.digits(1, p.day) : r.digits(2, p.day);
  int year = 0;
  if (!day_ok || !r.literal(" ") || !r.timeOfDay(p) || !r.literal(" ") || !r.digits(4, year))
    return false;
  p.year = year;
  return true;
}

bool isValid(const DateParts& p) {
  // second 60 is a leap second; it counts as the first second of the next minute.
  return p.month >= 1 && p.month <= 12 && p.day >= 1 && p.day <= daysInMonth(p.year, p.month) &&
         p.hour <= 23 && p.minute <= 59 && p.second <= 60;
}

std::string_view trimWhitespace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<int64_t> parseHttpDate(std::string_view text) {
  DateReader r(trimWhitespace(text));
  if (!isDayName(r.letters())) return std::nullopt;
  DateParts p;
  bool ok = r.literal(",") ? readCommaForm(r, p) : readAsctimeForm(r, p);
  if (!ok || !r.done() || !isValid(p)) return std::nullopt;
  return daysFromCivil(p.year, p.month, p.day) * kSecondsPerDay + p.hour * 3600 + p.minute * 60 +
         p.second;
}

std::string formatHttpDate(int64_t unix_seconds) {
  const int64_t earliest = daysFromCivil(1, 1, 1) * kSecondsPerDay;
  const int64_t latest = daysFromCivil(9999, 12, 31) * kSecondsPerDay + kSecondsPerDay - 1;
  unix_seconds = std::clamp(unix_seconds, earliest, latest);

  // Floor division, so times before 1970 land on the right day.
  int64_t days = unix_seconds / kSecondsPerDay;
  int64_t second_of_day = unix_seconds % kSecondsPerDay;
  if (second_of_day < 0) {
    second_of_day += kSecondsPerDay;
    --days;
  }
  CivilDate date = civilFromDays(days);
  int64_t weekday = ((days % 7) + 11) % 7;  // 1970-01-01 was a Thursday (4)

  char buf[40];
  int n = std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                        kShortDays[weekday].data(), date.day, kMonths[date.month - 1].data(),
                        static_cast<int>(date.year), static_cast<int>(second_of_day / 3600),
                        static_cast<int>(second_of_day / 60 % 60),
                        static_cast<int>(second_of_day % 60));
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

}  // namespace courier::filters::cache
