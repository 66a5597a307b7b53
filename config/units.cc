#include "config/units.h"

#include <limits>

namespace courier::config {
namespace {

struct Unit {
  std::string_view name;
  uint64_t scale;
};

// A non-negative decimal split into its integer digits and up to 18
// fraction digits, so scaling stays exact integer arithmetic (a double would
// turn "0.1s" into 100.00000000000001ms).
struct Decimal {
  uint64_t whole = 0;
  uint64_t fraction = 0;
  uint64_t fraction_scale = 1;  // 10^(fraction digits)
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

enum class NumberStatus { Ok, Malformed, TooLarge };

// Consumes the leading number of `text`; leaves the unit in `text`.
NumberStatus parseDecimal(std::string_view& text, Decimal& out) {
  size_t i = 0;
  if (i == text.size() || !isDigit(text[i])) return NumberStatus::Malformed;
  for (; i < text.size() && isDigit(text[i]); ++i) {
    if (__builtin_mul_overflow(out.whole, 10u, &out.whole) ||
        __builtin_add_overflow(out.whole, static_cast<uint64_t>(text[i] - '0'), &out.whole))
      return NumberStatus::TooLarge;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (i == text.size() || !isDigit(text[i])) return NumberStatus::Malformed;
    for (; i < text.size() && isDigit(text[i]); ++i) {
      if (out.fraction_scale >= 1'000'000'000'000'000'000ull) return NumberStatus::Malformed;
      out.fraction = out.fraction * 10 + static_cast<uint64_t>(text[i] - '0');
      out.fraction_scale *= 10;
    }
  }
  text.remove_prefix(i);
  return NumberStatus::Ok;
}

// whole * scale + fraction * scale / fraction_scale, if that is an integer.
enum class ScaleStatus { Ok, NotWhole, TooLarge };
ScaleStatus scaleDecimal(const Decimal& d, uint64_t scale, uint64_t& out) {
  uint64_t whole;
  if (__builtin_mul_overflow(d.whole, scale, &whole)) return ScaleStatus::TooLarge;
  // fraction < fraction_scale <= 10^18 and scale <= 2^40: use 128 bits.
  unsigned __int128 part = static_cast<unsigned __int128>(d.fraction) * scale;
  if (part % d.fraction_scale != 0) return ScaleStatus::NotWhole;
  uint64_t frac = static_cast<uint64_t>(part / d.fraction_scale);
  if (__builtin_add_overflow(whole, frac, &out)) return ScaleStatus::TooLarge;
  return ScaleStatus::Ok;
}

constexpr Unit kDurationUnits[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}, {"d", 86'400'000},
};

constexpr Unit kSizeUnits[] = {
    {"", 1},
    {"B", 1},
    {"KB", 1000},
    {"MB", 1000 * 1000},
    {"GB", 1000ull * 1000 * 1000},
    {"TB", 1000ull * 1000 * 1000 * 1000},
    {"KiB", 1ull << 10},
    {"MiB", 1ull << 20},
    {"GiB", 1ull << 30},
    {"TiB", 1ull << 40},
};

const Unit* findUnit(std::string_view name, const Unit* begin, const Unit* end) {
  for (const Unit* u = begin; u != end; ++u)
    if (u->name == name) return u;
  return nullptr;
}

std::string quoted(std::string_view text) {
  return "\"" + std::string(text) + "\"";
}

}  // namespace

Result<Duration, std::string> parseDuration(std::string_view text) {
  using R = Result<Duration, std::string>;
  // The SPEC's wording; details follow after "; " where there are any.
  const std::string kExpected = "expected a duration like \"30s\"";
  const std::string kUnits = " (units: ms, s, m, h, d)";
  if (!text.empty() && text.front() == '-') return R::failure("a duration cannot be negative");
  std::string_view rest = text;
  Decimal d;
  NumberStatus ns = parseDecimal(rest, d);
  if (ns == NumberStatus::TooLarge) return R::failure("duration " + quoted(text) + " is too large");
  if (ns != NumberStatus::Malformed && rest.empty())
    return R::failure(kExpected + "; " + quoted(text) + " has no unit" + kUnits);
  if (ns == NumberStatus::Malformed) return R::failure(kExpected);
  const Unit* unit = findUnit(rest, std::begin(kDurationUnits), std::end(kDurationUnits));
  if (!unit) return R::failure(kExpected + "; unknown unit " + quoted(rest) + kUnits);
  uint64_t ms;
  switch (scaleDecimal(d, unit->scale, ms)) {
    case ScaleStatus::TooLarge:
      return R::failure("duration " + quoted(text) + " is too large");
    case ScaleStatus::NotWhole:
      return R::failure("duration " + quoted(text) + " is finer than the 1ms resolution");
    case ScaleStatus::Ok:
      break;
  }
  if (ms > static_cast<uint64_t>(std::numeric_limits<Duration::rep>::max()))
    return R::failure("duration " + quoted(text) + " is too large");
  return Duration(static_cast<Duration::rep>(ms));
}

Result<uint64_t, std::string> parseSize(std::string_view text) {
  using R = Result<uint64_t, std::string>;
  const std::string kExpected = "expected a size like \"16MiB\" or a number of bytes";
  const std::string kUnits = " (units: B, KB, MB, GB, TB, KiB, MiB, GiB, TiB)";
  if (!text.empty() && text.front() == '-') return R::failure("a size cannot be negative");
  std::string_view rest = text;
  Decimal d;
  NumberStatus ns = parseDecimal(rest, d);
  if (ns == NumberStatus::TooLarge) return R::failure("size " + quoted(text) + " is too large");
  if (ns == NumberStatus::Malformed) return R::failure(kExpected);
  const Unit* unit = findUnit(rest, std::begin(kSizeUnits), std::end(kSizeUnits));
  if (!unit) return R::failure(kExpected + "; unknown unit " + quoted(rest) + kUnits);
  uint64_t bytes;
  switch (scaleDecimal(d, unit->scale, bytes)) {
    case ScaleStatus::TooLarge:
      return R::failure("size " + quoted(text) + " is too large");
    case ScaleStatus::NotWhole:
      return R::failure("size " + quoted(text) + " is not a whole number of bytes");
    case ScaleStatus::Ok:
      break;
  }
  return bytes;
}

std::string formatDuration(Duration d) {
  auto ms = d.count();
  if (ms == 0) return "0s";
  for (auto it = std::rbegin(kDurationUnits); it != std::rend(kDurationUnits); ++it) {
    auto scale = static_cast<Duration::rep>(it->scale);
    if (ms % scale == 0) return std::to_string(ms / scale) + std::string(it->name);
  }
  return std::to_string(ms) + "ms";  // unreachable: every value divides by 1ms
}

}  // namespace courier::config
