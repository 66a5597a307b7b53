// HTTP-date (RFC 9110 §5.6.7) for the cache's Date, Expires, Last-Modified
// and If-Modified-Since arithmetic. Pure calendar math on unix seconds: no
// timegm, no locale, no time zone database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace courier::filters::cache {

// Unix seconds of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), an RFC 850
// date ("Sunday, 06-Nov-94 08:49:37 GMT") or an asctime date ("Sun Nov  6
// 08:49:37 1994"); nullopt for anything else, including impossible dates.
// RFC 850 two-digit years 70-99 mean 19xx and 00-69 mean 20xx (a pure function
// has no clock to apply RFC 9110's "50 years in the future" rule with).
std::optional<int64_t> parseHttpDate(std::string_view text);

// IMF-fixdate of `unix_seconds`, clamped to the years 0001..9999 the format
// can spell.
std::string formatHttpDate(int64_t unix_seconds);

}  // namespace courier::filters::cache
