// FilterFactory: how the loader turns a route key (e.g. `headers = {...}`)
// into a filter's immutable config. filters/registry.cc lists every factory;
// the loader receives that list as a parameter, so config/ never links
// filters/.
#pragma once

#include <toml++/toml.h>

#include <memory>
#include <string_view>

#include "config/config.h"
#include "config/parse_context.h"

namespace courier::config {

struct FilterFactory {
  // The [[routes]] key this filter owns, e.g. "headers".
  std::string_view route_key;
  // Position in the chain; lower runs first on the request path (and last on
  // the response path). See filters/registry.h for the assigned values.
  int chain_order;
  // Parses the route key's value. `ctx.path()` is already "routes[i].<key>".
  // Reports problems through `ctx` and returns nullptr on error; must not
  // copy toml tables (positions would be lost).
  std::shared_ptr<const FilterConfig> (*parse)(const toml::node& node, ParseContext& ctx);
};

}  // namespace courier::config
