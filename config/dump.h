// The effective typed config as JSON, for the admin GET /config endpoint.
#pragma once

#include <string>

#include "config/config.h"

namespace courier::config {

// Every field with defaults applied (what courier actually runs with, not
// what the file says): durations as strings like "250ms", sizes as byte
// counts, addresses as {"address": as written, "resolved": "ip:port"}.
// Compact, one line; keys in a fixed order. The TOML source is not included
// (Config::source_text has it).
std::string renderConfigJson(const Config& config);

}  // namespace courier::config
