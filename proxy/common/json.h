// Small helpers for writing JSON text (access log lines, error bodies).
#pragma once

#include <string>
#include <string_view>

namespace courier::json {

// Appends `s` as a quoted JSON string, escaping quotes, backslashes and
// control characters; bytes >= 0x80 pass through (UTF-8 is kept as is).
void appendString(std::string& out, std::string_view s);

}  // namespace courier::json
