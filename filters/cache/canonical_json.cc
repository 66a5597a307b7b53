// Canonical JSON (see canonical_json.h), on simdjson's DOM parser. Only the
// error_code-returning accessors are used: simdjson's value-returning forms
// throw, and nothing on the data path may throw.
#include "filters/cache/canonical_json.h"

#include "proxy/common/json.h"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace courier::filters::cache {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// Bodies up to this size reuse one parser per thread (its buffers stay
// allocated); larger ones get their own, so a thread does not keep the
// memory of the largest body it ever saw.
constexpr size_t kReusedParserMaxBytes = 64 * 1024;

template <typename T>
void appendNumber(T v, std::string& out) {
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, r.ptr);
}

// simdjson rejects numbers that overflow a double, so `d` is finite.
void appendDouble(double d, std::string& out) {
  if (std::trunc(d) != d) return appendNumber(d, out);  // shortest round trip
  // Integral: the same text an integer literal of this value gives.
  if (d >= -0x1p63 && d < 0x1p63) return appendNumber(static_cast<int64_t>(d), out);
  if (d >= 0 && d < 0x1p64) return appendNumber(static_cast<uint64_t>(d), out);
  // Beyond 64 bits: a plain integer would not parse again (simdjson rejects
  // integer literals past uint64), so always use the exponent form.
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  out.append(buf, r.ptr);
}

bool appendValue(element e, std::string& out) {
  switch (e.type()) {
    case element_type::ARRAY: {
      simdjson::dom::array array;
      if (e.get_array().get(array)) return false;
      out += '[';
      bool first = true;
      for (element item : array) {
        if (!first) out += ',';
        first = false;
        if (!appendValue(item, out)) return false;
      }
      out += ']';
      return true;
    }
    case element_type::OBJECT: {
      simdjson::dom::object object;
      if (e.get_object().get(object)) return false;
      std::vector<simdjson::dom::key_value_pair> members;
      members.reserve(object.size());
      for (auto member : object) members.push_back(member);
      // string_view compares bytes as unsigned char; stable keeps duplicates in order.
      std::stable_sort(members.begin(), members.end(),
                       [](const auto& a, const auto& b) { return a.key < b.key; });
      out += '{';
      bool first = true;
      for (const auto& member : members) {
        if (!first) out += ',';
        first = false;
        json::appendString(out, member.key);
        out += ':';
        if (!appendValue(member.value, out)) return false;
      }
      out += '}';
      return true;
    }
    case element_type::INT64: {
      int64_t v;
      if (e.get_int64().get(v)) return false;
      appendNumber(v, out);
      return true;
    }
    case element_type::UINT64: {
      uint64_t v;
      if (e.get_uint64().get(v)) return false;
      appendNumber(v, out);
      return true;
    }
    case element_type::DOUBLE: {
      double v;
      if (e.get_double().get(v)) return false;
      appendDouble(v, out);
      return true;
    }
    case element_type::STRING: {
      std::string_view v;
      if (e.get_string().get(v)) return false;
      json::appendString(out, v);
      return true;
    }
    case element_type::BOOL: {
      bool v;
      if (e.get_bool().get(v)) return false;
      out += v ? "true" : "false";
      return true;
    }
    case element_type::NULL_VALUE:
      out += "null";
      return true;
  }
  return false;
}

bool canonicalize(simdjson::dom::parser& parser, std::string_view in, std::string& out) {
  simdjson::padded_string padded(in.data(), in.size());
  element root;
  if (parser.parse(padded).get(root)) return false;
  out.clear();
  out.reserve(in.size());
  return appendValue(root, out);
}

}  // namespace

bool canonicalizeJson(std::string_view in, std::string& out) {
  if (in.size() <= kReusedParserMaxBytes) {
    thread_local simdjson::dom::parser parser;
    return canonicalize(parser, in, out);
  }
  simdjson::dom::parser parser;
  return canonicalize(parser, in, out);
}

}  // namespace courier::filters::cache
