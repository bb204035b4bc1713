// Request targets as the API reads them: the path split into its decoded
// segments, and the query string into decoded parameters. Percent-decoding
// only (RFC 3986), '+' as a space in the query as HTML forms send it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace extrace::server {

struct Target {
  std::string path;                   // decoded
  std::vector<std::string> segments;  // the decoded path's parts between slashes
  std::vector<std::pair<std::string, std::string>> params;

  // The last value of `name`, if the query string has it.
  std::optional<std::string> Param(std::string_view name) const;
};

// std::nullopt for a target that is not an origin-form path ("/..."), or whose
// escapes are malformed or decode to a NUL.
std::optional<Target> ParseTarget(std::string_view target);

}  // namespace extrace::server
