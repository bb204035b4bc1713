// The bearer token check: a request is let in when no token is set, or when
// it carries the token as `Authorization: Bearer TOKEN` or as the
// `extrace_token` cookie (what the browser pages use: EventSource cannot set
// headers). Compared in constant time, so timing tells nothing of the token.
#pragma once

#include <string_view>

namespace extrace::server {

bool Authorized(std::string_view token, std::string_view authorization_header,
                std::string_view cookie_header);

// Equal, in a time that depends on the lengths only.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace extrace::server
