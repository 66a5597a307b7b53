// Canonical JSON: one byte string per JSON value, so that a POST body's cache
// key does not depend on whitespace or object key order.
//
// The form: no whitespace; object members sorted by their unescaped key bytes
// (unsigned, so UTF-8 sorts by code point; duplicate keys are kept, in input
// order); strings re-escaped minimally (\" \\ \b \f \n \r \t, other control
// characters as \u00xx, everything else raw UTF-8, so "\u00e9" and "é" agree);
// array order kept. Numbers compare by value: an integer, or a float with an
// integral value that fits in int64/uint64, is written as a plain integer (1,
// 1.0, 1e0 and 10e-1 are all "1"; -0 is "0"); other floats are written in the
// shortest form that reads back as the same double (std::to_chars), and
// integral floats beyond uint64 in scientific form ("1e+20") so that the
// output parses again. The output is itself canonical: canonicalizing it
// again gives the same bytes.
#pragma once

#include <string>
#include <string_view>

namespace courier::filters::cache {

// Writes the canonical form of `in` to `out` (replacing its contents).
// Returns false (out unspecified) if `in` is not exactly one valid JSON
// document (bad syntax, invalid UTF-8, lone surrogates, nesting deeper than
// 1024, or an integer literal outside int64/uint64, which simdjson rejects).
bool canonicalizeJson(std::string_view in, std::string& out);

}  // namespace courier::filters::cache
