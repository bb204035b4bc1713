// The bearer token check: see auth.h.
#include "server/auth.h"

#include <cctype>
#include <cstddef>
#include <string>

namespace extrace::server {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), empty if absent.
std::string_view CookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    size_t end = header.find(';');
    std::string_view pair = Trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view() : header.substr(end + 1);
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return {};
}

}  // namespace

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Every byte of the longer one is looked at, whatever differs first.
  size_t length = a.size() > b.size() ? a.size() : b.size();
  unsigned char differ = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < length; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    differ |= static_cast<unsigned char>(x ^ y);
  }
  return differ == 0;
}

bool Authorized(std::string_view token, std::string_view authorization_header,
                std::string_view cookie_header) {
  if (token.empty()) return true;
  std::string_view header = Trim(authorization_header);
  // The scheme's name is case-insensitive (RFC 7235).
  constexpr std::string_view kBearer = "bearer ";
  std::string scheme(header.substr(0, kBearer.size()));
  for (char& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool by_header = header.size() > kBearer.size() && scheme == kBearer &&
                   ConstantTimeEquals(Trim(header.substr(kBearer.size())), token);
  bool by_cookie = ConstantTimeEquals(CookieValue(cookie_header, "extrace_token"), token);
  return by_header || by_cookie;
}

}  // namespace extrace::server
