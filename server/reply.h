// What a handler answers, before it becomes HTTP: status, type, body and the
// few extra headers the API uses. Errors are JSON {"error", "code"} with the
// status that fits their StatusCode (docs/http-api.md lists them all).
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "extrace/status.h"

namespace extrace::server {

struct Reply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // Retry-After, Allow, ...
};

// A JSON document, answered 200.
Reply JsonReply(std::string body);
// {"error": message, "code": code}, plus `extra` members (already JSON) when given.
Reply ErrorReply(int status, std::string_view code, std::string_view message,
                 std::string_view extra_members = "");
// The reply for a failed call: 400 invalid input, 404 not found, 409 conflict,
// 503 busy / disk full / read-only (with Retry-After), 500 for the rest.
Reply ErrorReply(const Error& error, std::string_view extra_members = "");
int HttpStatusFor(StatusCode code);
// The `code` member: invalid_input, not_found, conflict, busy, disk_full, ...
std::string_view ErrorCodeName(StatusCode code);

}  // namespace extrace::server
