// Number formatting for the hand-written JSON of /stats (strings go through
// proxy/common/json.h).
#pragma once

#include <string>
#include <string_view>

namespace courier::stats {

// Appends a finite number with up to 6 significant digits, or null if it is
// negative-as-missing (value < 0 and `negative_is_null`) or not finite.
void appendJsonNumber(std::string& out, double value, bool negative_is_null = false);

}  // namespace courier::stats
