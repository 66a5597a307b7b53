// ConfigError: one problem found while loading a config file, with the
// source position and key path an operator needs to find it.
#pragma once

#include <string>

namespace courier::config {

struct ConfigError {
  std::string file;
  int line = 0;          // 1-based; 0 when the error is about the whole file
  int column = 0;        // 1-based; 0 when unknown
  std::string key_path;  // "routes[2].cache.ttl"; empty for file-level errors
  std::string message;

  // "courier.toml:14:9: routes[2].cache.ttl: expected a duration like \"30s\"".
  // Parts that are unknown (line 0, empty key path) are left out.
  std::string format() const;
};

}  // namespace courier::config
