#include "proxy/stats/json_number.h"

#include <cmath>
#include <cstdio>

namespace courier::stats {

void appendJsonNumber(std::string& out, double value, bool negative_is_null) {
  if (!std::isfinite(value) || (negative_is_null && value < 0)) {
    out += "null";
    return;
  }
  char buf[32];
  int n = std::snprintf(buf, sizeof(buf), "%.6g", value);
  out.append(buf, static_cast<size_t>(n));
}

}  // namespace courier::stats
