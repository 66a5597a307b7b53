// Durations and sizes as written in the config ("250ms", "16MiB").
// Pure functions: no toml, no I/O; ParseContext wraps them with positions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.h"
#include "proxy/common/result.h"

namespace courier::config {

// "250ms", "1.5s", "5m", "1h", "2d" (units ms, s, m, h, d). A decimal
// fraction is allowed as long as the result is a whole number of
// milliseconds (Duration's resolution). Negative values, missing units and
// values that overflow are errors; the message is ready for an operator.
Result<Duration, std::string> parseDuration(std::string_view text);

// "16MiB", "64KiB", "1GB", "512B", "4096" (bare digits are bytes). Binary
// units (KiB, MiB, GiB, TiB) are powers of 1024, decimal ones (KB, MB, GB,
// TB) powers of 1000, as IEC 80000-13 says. Units are case-sensitive because
// "Mb" (megabit) and "MB" are not the same thing.
Result<uint64_t, std::string> parseSize(std::string_view text);

// The inverse of parseDuration, in the largest unit that divides the value
// exactly: 1500ms -> "1500ms", 120000ms -> "2m", 0 -> "0s".
std::string formatDuration(Duration d);

}  // namespace courier::config
