#include "filters/headers/filter.h"

namespace courier::filters::headers {

void HeaderEdits::apply(http::HeaderMap& headers) const {
  for (const auto& name : remove) headers.remove(name);
  for (const auto& [name, value] : set) headers.set(name, value);
}

http::FilterHeadersStatus HeadersFilter::decodeHeaders(http::RequestHeaders& headers,
                                                       bool /*end_stream*/) {
  request_.apply(headers.headers);
  return http::FilterHeadersStatus::Continue;
}

http::FilterHeadersStatus HeadersFilter::encodeHeaders(http::ResponseHeaders& headers,
                                                       bool /*end_stream*/) {
  response_.apply(headers.headers);
  return http::FilterHeadersStatus::Continue;
}

}  // namespace courier::filters::headers
