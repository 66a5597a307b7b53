// What courier_build_info{...} 1 reports.
#pragma once

#include <string>

namespace courier::stats {

struct BuildInfo {
  std::string version;   // COURIER_VERSION, e.g. "0.1.0"
  std::string revision;  // git revision, or "" when unknown
  std::string compiler;  // e.g. "gcc 12.2.0"; may be empty
};

}  // namespace courier::stats
