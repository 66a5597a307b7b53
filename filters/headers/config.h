// Config of the `headers` filter, parsed from a route's
//   headers = { request_add = { "x-a" = "v" }, request_remove = ["x-b"],
//               response_add = { ... }, response_remove = [ ... ] }
// `*_add` sets the field (replacing any the message already has).
#pragma once

#include <memory>

#include "config/filter_factory.h"
#include "filters/headers/filter.h"

namespace courier::filters::headers {

class HeadersConfig : public config::FilterConfig {
 public:
  HeadersConfig(HeaderEdits request, HeaderEdits response)
      : request_(std::move(request)), response_(std::move(response)) {}

  std::string_view name() const override { return "headers"; }
  std::unique_ptr<http::StreamFilter> createFilter() const override;
  std::string renderJson() const override;

  const HeaderEdits& request() const { return request_; }
  const HeaderEdits& response() const { return response_; }

 private:
  HeaderEdits request_;
  HeaderEdits response_;
};

// The FilterFactory parse function for route key "headers".
std::shared_ptr<const config::FilterConfig> parseHeadersConfig(const toml::node& node,
                                                               config::ParseContext& ctx);

}  // namespace courier::filters::headers
