// The `headers` filter: adds (sets) and removes request and response
// header fields on a route. Header-only work: it opts out of body callbacks.
//
// Threading/ownership: one HeadersFilter per stream, on its worker. It
// keeps references to the route's edits, which live in the Config the
// stream holds for its whole life.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "proxy/http/filter.h"

namespace courier::filters::headers {

// One direction's edits. Names are lower-case and already validated.
struct HeaderEdits {
  std::vector<std::pair<std::string, std::string>> set;  // replaces every field of that name
  std::vector<std::string> remove;

  bool empty() const { return set.empty() && remove.empty(); }
  // Removals first, then sets (a name is never in both: the parser rejects it).
  void apply(http::HeaderMap& headers) const;
};

class HeadersFilter : public http::StreamFilter {
 public:
  HeadersFilter(const HeaderEdits& request, const HeaderEdits& response)
      : request_(request), response_(response) {}

  http::FilterHeadersStatus decodeHeaders(http::RequestHeaders& headers, bool end_stream) override;
  http::FilterHeadersStatus encodeHeaders(http::ResponseHeaders& headers, bool end_stream) override;

 private:
  const HeaderEdits& request_;
  const HeaderEdits& response_;
};

}  // namespace courier::filters::headers
