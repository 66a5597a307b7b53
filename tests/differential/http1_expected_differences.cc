// Corpus cases on which courier and libhttp-parser legitimately disagree.
// Every entry is a place where courier is the stricter parser; the test fails
// on any difference not listed here and on any entry that no longer differs.
#include "tests/differential/http1_differential.h"

namespace courier::http1::diff {

const std::vector<ExpectedDifference>& expectedDifferences() {
  static const std::vector<ExpectedDifference> list = {
      // Framing: a proxy refuses what the next hop might read differently.
      {"cl_over_int64", "Content-Length is capped at INT64_MAX (signed offsets downstream)"},
      {"te_gzip_chunked", "courier cannot decode gzip transfer coding: 501 (RFC 9112 §6.1)"},
      {"te_two_fields_gzip", "same as te_gzip_chunked, split over two fields"},
      {"te_two_fields", "chunked applied twice is invalid (RFC 9112 §6.1); http_parser dedups"},
      {"te_http10", "Transfer-Encoding in HTTP/1.0 is faulty framing (RFC 9112 §6.1)"},
      {"te_space_before_colon",
       "whitespace before ':' must be rejected (RFC 9112 §5.1); "
       "http_parser reads an unknown field, a TE.TE smuggling vector"},
      {"cl_space_before_colon", "whitespace before ':' must be rejected (RFC 9112 §5.1)"},
      {"te_obs_fold", "obs-fold is rejected outright (RFC 9112 §5.2 allows it)"},
      // Line syntax.
      {"obs_fold", "obs-fold is rejected outright (RFC 9112 §5.2 allows it)"},
      {"obs_fold_tab", "obs-fold is rejected outright (RFC 9112 §5.2 allows it)"},
      {"ws_before_first_field", "whitespace after the start line must be rejected (RFC 9112 §2.2)"},
      {"bare_lf_everywhere", "only CRLF ends a line; RFC 9112 §2.2 merely permits bare LF"},
      {"bare_lf_field", "only CRLF ends a line"},
      {"bare_lf_terminator", "only CRLF ends a line"},
      {"bare_lf_request_line", "only CRLF ends a line"},
      {"double_space_before_target", "exactly one SP between request-line parts (RFC 9112 §3)"},
      {"double_space_before_version", "exactly one SP between request-line parts (RFC 9112 §3)"},
      {"missing_version", "HTTP/0.9-style request lines are not HTTP/1.x"},
      {"version_http2", "only HTTP/1.0 and HTTP/1.1 are served on this codec: 505"},
      {"version_http12", "only HTTP/1.0 and HTTP/1.1 are served on this codec: 505"},
      {"version_http09", "only HTTP/1.0 and HTTP/1.1 are served on this codec: 505"},
      // Request targets (validRequestTarget).
      {"target_fragment", "a fragment is never sent in a request-target (RFC 9112 §3.2)"},
      {"target_star_get", "asterisk-form is only for OPTIONS (RFC 9112 §3.2.4)"},
      {"target_tab", "no whitespace or CTL in a request-target"},
      {"target_non_ascii", "request-target is ASCII; non-ASCII must be percent-encoded"},
      {"target_userinfo", "userinfo in an http(s) URI is forbidden (RFC 9110 §4.2.4)"},
      {"target_ftp", "a reverse proxy only takes http and https absolute-form targets"},
      {"connect", "courier is not a forward proxy; CONNECT is refused"},
      // Limits.
      {"long_request_line", "request line over 8 KiB: 414"},
      {"huge_head", "head over 64 KiB (http_parser allows 80 KiB): 431"},
      {"too_many_fields", "more than 128 fields: 431"},
      // Chunked framing.
      {"chunk_size_ws", "whitespace after chunk-size is only BWS before ';' (RFC 9112 §7.1.1)"},
      {"chunk_size_ws_garbage", "http_parser skips anything after the size; courier parses it"},
      {"chunk_size_2_63", "chunk sizes are capped at INT64_MAX, like Content-Length"},
      {"chunk_ext_ctl", "chunk extensions are validated, not skipped blindly"},
      {"chunk_ext_empty", "chunk-ext needs a name after ';'"},
      {"chunk_ext_no_name", "chunk-ext needs a name after ';'"},
      {"chunk_ext_unterminated_quote", "a quoted chunk-ext value must be closed"},
      {"chunk_ext_long", "chunk-size lines are limited to 1 KiB"},
      {"trailer_obs_fold", "trailer fields are validated like header fields"},
      {"trailer_bare_lf", "only CRLF ends a line, in trailers too"},
      {"trailer_ws_before_colon", "trailer fields are validated like header fields"},
      {"last_chunk_bare_lf", "only CRLF ends a line, after the last chunk too"},
      // Responses: anything odd from an origin is a 502, not a guess.
      {"res_te_gzip", "response TE without final chunked means read-until-close: refused"},
      {"res_te_gzip_chunked", "courier cannot decode gzip transfer coding"},
      {"res_te_chunked_twice", "chunked applied twice is invalid"},
      {"res_status_099", "status codes are 100..999 (RFC 9110 §15)"},
      {"res_status_2_digits", "status code is exactly three digits"},
      {"res_version_http2", "only HTTP/1.0 and HTTP/1.1 responses"},
      {"res_version_http12", "only HTTP/1.0 and HTTP/1.1 responses"},
      {"res_leading_crlf", "empty lines are tolerated before requests only (RFC 9112 §2.2)"},
      {"res_bare_lf", "only CRLF ends a line"},
      {"res_obs_fold", "obs-fold is rejected outright"},
      {"res_ctl_reason", "no CTL in a reason phrase (RFC 9112 §4)"},
      {"res_ws_before_colon", "whitespace before ':' must be rejected (RFC 9112 §5.1)"},
      {"res_chunk_size_ws", "whitespace after chunk-size is only BWS before ';'"},
      {"res_chunk_ext_ctl", "chunk extensions are validated"},
      {"res_trailer_obs_fold", "trailer fields are validated like header fields"},
  };
  return list;
}

}  // namespace courier::http1::diff
