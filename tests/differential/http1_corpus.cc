// The differential corpus: valid messages, the request-smuggling classics
// and assorted malformations, each with courier's expected verdict.
#include <string>

#include "tests/differential/http1_differential.h"

namespace courier::http1::diff {
namespace {

using namespace std::string_literals;

constexpr int kIncomplete = -1;

const std::string kPost = "POST /v1/completions HTTP/1.1\r\nHost: api\r\n";
const std::string kChunked = kPost + "Transfer-Encoding: chunked\r\n\r\n";

std::string manyFields(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "X-Field-" + std::to_string(i) + ": value " + std::to_string(i) + "\r\n";
  return s;
}

void requests(std::vector<Case>& v) {
  auto req = [&v](std::string name, std::string bytes, int expect) {
    v.push_back({std::move(name), Kind::Request, std::move(bytes), expect});
  };
  // Valid.
  req("get_simple", "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("get_http10", "GET /x HTTP/1.0\r\n\r\n", 0);
  req("get_query", "GET /search?q=a%20b&x=%2F HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("get_absolute", "GET http://api.example/v1/models HTTP/1.1\r\nHost: api.example\r\n\r\n", 0);
  req("get_absolute_port", "GET https://api.example:8443/x?y HTTP/1.1\r\n\r\n", 0);
  req("get_absolute_ipv6", "GET http://[::1]:8080/ HTTP/1.1\r\n\r\n", 0);
  req("options_star", "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("head", "HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("delete", "DELETE /v1/files/7 HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("put_cl", "PUT /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc", 0);
  req("patch_cl", "PATCH /x HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n{}", 0);
  req("leading_crlf", "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("post_cl", kPost + "Content-Length: 5\r\n\r\nhello", 0);
  req("post_cl_zero", kPost + "Content-Length: 0\r\n\r\n", 0);
  req("post_cl_leading_zeros", kPost + "Content-Length: 007\r\n\r\nabcdefg", 0);
  req("post_cl_ows", kPost + "Content-Length: \t 3  \r\n\r\nabc", 0);
  req("post_chunked", kChunked + "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0);
  req("post_chunked_many", kChunked + "1\r\na\r\n1\r\nb\r\n2\r\ncd\r\n3\r\nefg\r\n0\r\n\r\n", 0);
  req("post_chunked_hex", kChunked + "A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n", 0);
  req("post_chunked_zeros", kChunked + "0005\r\nhello\r\n000\r\n\r\n", 0);
  req("post_chunked_ext", kChunked + "5;name=value;flag\r\nhello\r\n0;last\r\n\r\n", 0);
  req("post_chunked_ext_quoted", kChunked + "5;a=\"q;\\\"x\"\r\nhello\r\n0\r\n\r\n", 0);
  req("post_chunked_ext_bws", kChunked + "5 ;a = b\r\nhello\r\n0\r\n\r\n", 0);
  req("post_chunked_trailers", kChunked + "3\r\nabc\r\n0\r\nX-Sum: 1\r\nX-Checksum: abc \r\n\r\n",
      0);
  req("te_case", kPost + "Transfer-Encoding: cHuNkEd\r\n\r\n0\r\n\r\n", 0);
  req("te_tab_before_value", kPost + "Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n", 0);
  req("te_trailing_space", kPost + "Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n", 0);
  req("te_underscore_is_other_field", kPost + "Transfer_Encoding: chunked\r\n\r\n0\r\n\r\n", 0);
  req("pipelined", "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("pipelined_after_body", kPost + "Content-Length: 2\r\n\r\nokGET / HTTP/1.1\r\n\r\n", 0);
  req("empty_values", "GET / HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Blank:   \r\n\r\n", 0);
  req("ows_values", "GET / HTTP/1.1\r\nHost: a\r\nX-A: \t v a l \t\r\n\r\n", 0);
  req("obs_text_value", "GET / HTTP/1.1\r\nHost: a\r\nX-Name: caf\xc3\xa9\xff\r\n\r\n", 0);
  req("mixed_case_names", "GET / HTTP/1.1\r\nHOST: a\r\nx-REQUEST-id: 7\r\n\r\n", 0);
  req("token_chars_name", "GET / HTTP/1.1\r\nX!#$%&'*+-.^_`|~1: v\r\n\r\n", 0);
  req("many_fields", "GET / HTTP/1.1\r\nHost: a\r\n" + manyFields(100) + "\r\n", 0);
  req("upgrade_websocket",
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n", 0);
  req("expect_continue", kPost + "Expect: 100-continue\r\nContent-Length: 2\r\n\r\nhi", 0);
  req("long_target", "GET /" + std::string(4000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 0);
  req("agent_request",
      "POST /v1/chat/completions HTTP/1.1\r\nHost: llm.internal:8000\r\n"
      "User-Agent: agent-sdk/1.4.2 python/3.12\r\nAccept: text/event-stream\r\n"
      "Authorization: Bearer sk-test-0123456789abcdef\r\nContent-Type: application/json\r\n"
      "X-Request-Id: 4f1c2d3e-aaaa-bbbb-cccc-0123456789ab\r\nContent-Length: 50\r\n\r\n"
      "{\"model\":\"m\",\"messages\":[],\"stream\":true,\"n\":1234}",
      0);
  // Incomplete.
  req("truncated_head", "GET / HTTP/1.1\r\nHost: a\r\n", kIncomplete);
  req("truncated_cl_body", kPost + "Content-Length: 10\r\n\r\nabc", kIncomplete);
  req("truncated_chunk", kChunked + "5\r\nhel", kIncomplete);
  req("truncated_last_chunk", kChunked + "0\r\n", kIncomplete);
  // Smuggling classics: conflicting or obfuscated framing.
  req("cl_te", kPost + "Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nX", 400);
  req("te_cl", kPost + "Transfer-Encoding: chunked\r\nContent-Length: 6\r\n\r\n0\r\n\r\nX", 400);
  req("te_cl_zero", kPost + "Transfer-Encoding: chunked\r\nContent-Length: 0\r\n\r\n0\r\n\r\n",
      400);
  req("double_cl_same", kPost + "Content-Length: 3\r\nContent-Length: 3\r\n\r\nabc", 400);
  req("double_cl_diff", kPost + "Content-Length: 3\r\nContent-Length: 5\r\n\r\nabcde", 400);
  req("cl_list", kPost + "Content-Length: 3, 3\r\n\r\nabc", 400);
  req("cl_negative", kPost + "Content-Length: -1\r\n\r\n", 400);
  req("cl_plus", kPost + "Content-Length: +3\r\n\r\nabc", 400);
  req("cl_hex", kPost + "Content-Length: 0x3\r\n\r\nabc", 400);
  req("cl_inner_space", kPost + "Content-Length: 1 2\r\n\r\nabcdefghijkl", 400);
  req("cl_empty", kPost + "Content-Length:\r\n\r\n", 400);
  req("cl_overflow", kPost + "Content-Length: 99999999999999999999\r\n\r\n", 400);
  req("cl_over_int64", kPost + "Content-Length: 9223372036854775808\r\n\r\n", 400);
  req("te_xchunked", kPost + "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", 400);
  req("te_chunkedx", kPost + "Transfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n", 400);
  req("te_gzip", kPost + "Transfer-Encoding: gzip\r\n\r\n", 400);
  req("te_identity", kPost + "Transfer-Encoding: identity\r\n\r\n", 400);
  req("te_gzip_chunked", kPost + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501);
  req("te_chunked_gzip", kPost + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n", 400);
  req("te_chunked_twice", kPost + "Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 400);
  req("te_two_fields",
      kPost + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  req("te_two_fields_gzip",
      kPost + "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501);
  req("te_quoted", kPost + "Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n", 400);
  req("te_trailing_comma", kPost + "Transfer-Encoding: chunked,\r\n\r\n0\r\n\r\n", 400);
  req("te_leading_comma", kPost + "Transfer-Encoding: , chunked\r\n\r\n0\r\n\r\n", 400);
  req("te_param", kPost + "Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n", 400);
  req("te_vtab", kPost + "Transfer-Encoding: \vchunked\r\n\r\n0\r\n\r\n", 400);
  req("te_empty", kPost + "Transfer-Encoding:\r\n\r\n", 400);
  req("te_http10", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400);
  req("te_space_before_colon", kPost + "Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n", 400);
  req("cl_space_before_colon", kPost + "Content-Length : 3\r\n\r\nabc", 400);
  req("te_obs_fold", kPost + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", 400);
  req("te_obs_fold_value", kPost + "Transfer-Encoding: gzip\r\n ,chunked\r\n\r\n0\r\n\r\n", 400);
  // Line endings and control characters.
  req("obs_fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n 2\r\n\r\n", 400);
  req("obs_fold_tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n\t2\r\n\r\n", 400);
  req("ws_before_first_field", "GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400);
  req("bare_lf_everywhere", "GET / HTTP/1.1\nHost: a\n\n", 400);
  req("bare_lf_field", "GET / HTTP/1.1\r\nHost: a\nX: 1\r\n\r\n", 400);
  req("bare_lf_terminator", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
  req("bare_lf_request_line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
  req("bare_cr_field", "GET / HTTP/1.1\r\nHost: a\rX: 1\r\n\r\n", 400);
  req("bare_cr_request_line", "GET / HTTP/1.1\rHost: a\r\n\r\n", 400);
  req("nul_value", "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n"s, 400);
  req("nul_name", "GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n"s, 400);
  req("nul_target", "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"s, 400);
  req("ctl_value", "GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400);
  req("del_value", "GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400);
  req("empty_name", "GET / HTTP/1.1\r\n: a\r\n\r\n", 400);
  req("no_colon", "GET / HTTP/1.1\r\nHost a\r\n\r\n", 400);
  req("name_separator", "GET / HTTP/1.1\r\nX(y): a\r\n\r\n", 400);
  // Request line.
  req("double_space_before_target", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("double_space_before_version", "GET /  HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("tab_separator", "GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("trailing_space_version", "GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
  req("missing_version", "GET /\r\nHost: a\r\n\r\n", 400);
  req("version_http2", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
  req("version_http12", "GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
  req("version_http09", "GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505);
  req("version_lowercase", "GET / http/1.1\r\nHost: a\r\n\r\n", 400);
  req("version_two_digits", "GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
  req("target_fragment", "GET /a#frag HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("target_star_get", "GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("target_ctl", "GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("target_tab", "GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("target_non_ascii", "GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("target_userinfo", "GET http://user:pw@api.example/ HTTP/1.1\r\n\r\n", 400);
  req("target_ftp", "GET ftp://api.example/ HTTP/1.1\r\n\r\n", 400);
  req("target_relative", "GET a/b HTTP/1.1\r\nHost: a\r\n\r\n", 400);
  req("connect", "CONNECT api.example:443 HTTP/1.1\r\nHost: api.example:443\r\n\r\n", 400);
  req("h2_preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
  req("tls_client_hello", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n"s, 400);
  // Limits.
  req("long_request_line", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\n\r\n", 414);
  req("huge_head", "GET / HTTP/1.1\r\nX: " + std::string(70000, 'v') + "\r\n\r\n", 431);
  req("too_many_fields", "GET / HTTP/1.1\r\n" + manyFields(129) + "\r\n", 431);
  // Chunked framing.
  req("chunk_size_ws", kChunked + "5 \r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_ws_garbage", kChunked + "5 x\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_leading_ws", kChunked + " 5\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_empty", kChunked + "\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_nonhex", kChunked + "g\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_0x", kChunked + "0x5\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_negative", kChunked + "-5\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_size_2_63", kChunked + "8000000000000000\r\nhello\r\n", 400);
  req("chunk_size_overflow", kChunked + "fffffffffffffffff\r\nhello\r\n", 400);
  req("chunk_missing_crlf", kChunked + "5\r\nhelloX\r\n0\r\n\r\n", 400);
  req("chunk_lf_after_data", kChunked + "5\r\nhello\n0\r\n\r\n", 400);
  req("chunk_bare_lf_size", kChunked + "5\nhello\r\n0\r\n\r\n", 400);
  req("chunk_too_short", kChunked + "6\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_ext_ctl", kChunked + "5;a=\x01\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_ext_empty", kChunked + "5;\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_ext_no_name", kChunked + "5;=x\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_ext_unterminated_quote", kChunked + "5;a=\"x\r\nhello\r\n0\r\n\r\n", 400);
  req("chunk_ext_long", kChunked + "5;" + std::string(2000, 'x') + "\r\nhello\r\n0\r\n\r\n", 400);
  req("trailer_obs_fold", kChunked + "0\r\nX: 1\r\n 2\r\n\r\n", 400);
  req("trailer_nul", kChunked + "0\r\nX: a\0b\r\n\r\n"s, 400);
  req("trailer_bare_lf", kChunked + "0\r\nX: 1\n\r\n", 400);
  req("trailer_ws_before_colon", kChunked + "0\r\nX : 1\r\n\r\n", 400);
  req("last_chunk_bare_lf", kChunked + "0\r\n\n", 400);
}

void responses(std::vector<Case>& v) {
  auto res = [&v](std::string name, std::string bytes, int expect, std::string method = "GET") {
    v.push_back({std::move(name), Kind::Response, std::move(bytes), expect, std::move(method)});
  };
  // Valid.
  res("res_cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP", 0);
  res("res_cl_zero", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0);
  res("res_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
      0);
  res("res_sse",
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
      "f\r\ndata: {\"a\":1}\n\n\r\nf\r\ndata: {\"b\":2}\n\n\r\nc\r\ndata: [DONE]\r\n0\r\n\r\n",
      0);
  res("res_chunked_trailers",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n"
      "2\r\nok\r\n0\r\ngrpc-status: 0\r\ngrpc-message: \r\n\r\n",
      0);
  res("res_chunked_ext",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=1\r\nok\r\n0\r\n\r\n", 0);
  res("res_until_close", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nall of this", 0);
  res("res_http10_close", "HTTP/1.0 200 OK\r\n\r\nbody", 0);
  res("res_204", "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", 0);
  res("res_304", "HTTP/1.1 304 Not Modified\r\nContent-Length: 1234\r\nETag: \"x\"\r\n\r\n", 0);
  res("res_100", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n\r\n", 0);
  res("res_103", "HTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n", 0);
  res("res_head", "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", 0, "HEAD");
  res("res_head_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, "HEAD");
  res("res_404_body", "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot found", 0);
  res("res_reason_empty", "HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n", 0);
  res("res_reason_missing", "HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", 0);
  res("res_reason_obs_text", "HTTP/1.1 200 Tr\xe8s bien\r\nContent-Length: 0\r\n\r\n", 0);
  res("res_reason_tab", "HTTP/1.1 200 O\tK\r\nContent-Length: 0\r\n\r\n", 0);
  res("res_many_fields", "HTTP/1.1 200 OK\r\n" + manyFields(60) + "Content-Length: 0\r\n\r\n", 0);
  res("res_te_case", "HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n", 0);
  // Incomplete.
  res("res_truncated_cl", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", kIncomplete);
  res("res_truncated_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab",
      kIncomplete);
  res("res_truncated_head", "HTTP/1.1 200 OK\r\nContent-Len", kIncomplete);
  // Malformed.
  res("res_te_cl",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 502);
  res("res_double_cl", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\nhello",
      502);
  res("res_cl_list", "HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\nhello", 502);
  res("res_cl_negative", "HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello", 502);
  res("res_te_gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", 502);
  res("res_te_gzip_chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
      502);
  res("res_te_chunked_twice",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n", 502);
  res("res_status_099", "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_status_2_digits", "HTTP/1.1 20 OK\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_status_4_digits", "HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_version_http2", "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_version_http12", "HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_leading_crlf", "\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_bare_lf", "HTTP/1.1 200 OK\nContent-Length: 0\n\n", 502);
  res("res_obs_fold", "HTTP/1.1 200 OK\r\nX-A: 1\r\n 2\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_nul_value", "HTTP/1.1 200 OK\r\nX-A: a\0b\r\nContent-Length: 0\r\n\r\n"s, 502);
  res("res_ctl_reason", "HTTP/1.1 200 O\x01K\r\nContent-Length: 0\r\n\r\n", 502);
  res("res_ws_before_colon", "HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n", 502);
  res("res_chunk_size_ws",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2 \r\nok\r\n0\r\n\r\n", 502);
  res("res_chunk_ext_ctl",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;\x01\r\nok\r\n0\r\n\r\n", 502);
  res("res_chunk_missing_crlf",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokX0\r\n\r\n", 502);
  res("res_trailer_obs_fold",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n 2\r\n\r\n", 502);
}

}  // namespace

const std::vector<Case>& corpus() {
  static const std::vector<Case> all = [] {
    std::vector<Case> v;
    requests(v);
    responses(v);
    return v;
  }();
  return all;
}

}  // namespace courier::http1::diff
