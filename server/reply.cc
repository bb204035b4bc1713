// Replies and the status of each error: see reply.h.
#include "server/reply.h"

#include "format/json_text.h"

namespace extrace::server {

Reply JsonReply(std::string body) {
  Reply reply;
  reply.body = std::move(body);
  return reply;
}

Reply ErrorReply(int status, std::string_view code, std::string_view message,
                 std::string_view extra_members) {
  Reply reply;
  reply.status = status;
  std::string& out = reply.body;
  JsonWriter w(out);
  w.BeginObject();
  w.Key("error");
  w.String(message);
  w.Key("code");
  w.String(code);
  w.EndObject();
  if (!extra_members.empty()) {
    out.pop_back();  // the closing brace
    out += ',';
    out += extra_members;
    out += '}';
  }
  if (status == 503) reply.headers.emplace_back("Retry-After", "1");
  return reply;
}

Reply ErrorReply(const Error& error, std::string_view extra_members) {
  return ErrorReply(HttpStatusFor(error.code), ErrorCodeName(error.code), error.message,
                    extra_members);
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidInput:
      return 400;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kConflict:
      return 409;
    case StatusCode::kBusy:
    case StatusCode::kDiskFull:
    case StatusCode::kReadOnly:
    case StatusCode::kUnavailable:
    case StatusCode::kTimedOut:
    case StatusCode::kOutOfMemory:
      return 503;
    case StatusCode::kCorrupt:
    case StatusCode::kSchemaTooNew:
    case StatusCode::kIoError:
    case StatusCode::kAccessDenied:
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

std::string_view ErrorCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidInput:
      return "invalid_input";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kConflict:
      return "conflict";
    case StatusCode::kBusy:
      return "busy";
    case StatusCode::kDiskFull:
      return "disk_full";
    case StatusCode::kReadOnly:
      return "read_only";
    case StatusCode::kCorrupt:
      return "corrupt";
    case StatusCode::kSchemaTooNew:
      return "schema_too_new";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kUnavailable:
      return "unavailable";
    case StatusCode::kAccessDenied:
      return "access_denied";
    case StatusCode::kTimedOut:
      return "timed_out";
    case StatusCode::kOutOfMemory:
      return "out_of_memory";
    case StatusCode::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace extrace::server
