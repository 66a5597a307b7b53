// The JSON error answers courier makes itself (SPEC "Errors"):
// {"error":"rate_limited","message":"...","request_id":"..."}.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "proxy/http/header_map.h"

namespace courier::http {

std::string localReplyBody(std::string_view error, std::string_view message,
                           std::string_view request_id);
std::unique_ptr<ResponseHeaders> localReplyHeaders(int status, size_t body_length);

}  // namespace courier::http
