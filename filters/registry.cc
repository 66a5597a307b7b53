#include "filters/registry.h"

#include "config/filter_factory.h"
#include "filters/headers/config.h"

namespace courier::filters {

std::span<const config::FilterFactory> registry() {
  static constexpr config::FilterFactory kFactories[] = {
      {"headers", kHeadersOrder, &headers::parseHeadersConfig},
  };
  return kFactories;
}

}  // namespace courier::filters
