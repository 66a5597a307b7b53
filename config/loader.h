// Loads and validates a courier TOML config into an immutable Config.
//
// Every problem found is reported (not just the first), each with file,
// line, column and key path, sorted by position. Hostnames are resolved
// with getaddrinfo, so loading blocks: run it on the main thread (startup,
// SIGHUP, POST /reload), never on a worker.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "config/config_error.h"
#include "proxy/common/result.h"

namespace courier::config {

struct FilterFactory;  // config/filter_factory.h

using LoadResult = Result<std::shared_ptr<const Config>, std::vector<ConfigError>>;

// `filters`: the filter factories (filters::registry()); passed in so
// config/ does not link filters/. Route keys that no factory claims are
// errors.
LoadResult loadConfigFile(const std::string& path, std::span<const FilterFactory> filters);

// As loadConfigFile, from text; `path_for_errors` names it in errors and
// becomes Config::source_path.
LoadResult loadConfigString(std::string_view text, std::string_view path_for_errors,
                            std::span<const FilterFactory> filters);

// Every error on its own line, formatted (what --check-config prints).
std::string formatErrors(const std::vector<ConfigError>& errors);

}  // namespace courier::config
