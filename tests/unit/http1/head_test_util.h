// Shared helpers of the request- and response-head parser tests.
#pragma once

#include <string>
#include <string_view>

#include "proxy/http/http1_parser.h"

namespace courier::http1::testing {

// A parsed head with the buffer its views point into.
template <typename Head>
struct Parsed {
  std::string buffer;
  Head head;
  HeadResult result;
};

template <typename Head, auto kParse>
Parsed<Head> parseWith(std::string text, Limits limits) {
  Parsed<Head> p;
  p.buffer = std::move(text);
  p.result = kParse(p.buffer.data(), p.buffer.size(), limits, p.head);
  return p;
}

// The status of an Error result, 0 when Complete, -1 when Incomplete.
template <typename Head>
int statusOf(const Parsed<Head>& p) {
  if (p.result.state == HeadState::Complete) return 0;
  if (p.result.state == HeadState::Incomplete) return -1;
  return p.result.error.status;
}

}  // namespace courier::http1::testing
