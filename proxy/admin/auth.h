// Bearer-token check for mutating admin calls.
#pragma once

#include <string_view>

namespace courier::admin {

// Does an Authorization header value carry exactly `token` as a bearer
// token? The scheme is case-insensitive (RFC 9110 §11.1); the token is
// compared in time independent of where it first differs. An empty
// `token` never matches (callers skip the check when none is configured).
bool bearerTokenMatches(std::string_view authorization, std::string_view token);

}  // namespace courier::admin
