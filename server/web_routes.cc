// The browser's pages: every page path answers the one HTML shell
// (web_assets/index.html), whose script reads the path and draws the page
// from the JSON API; /assets/NAME answers an asset compiled into the binary
// (web_assets.cc, generated), so no file outside it can be named.
#include <array>

#include "server/router.h"
#include "server/web_assets.h"

namespace extrace::server {
namespace {

Reply AssetReply(const WebAsset& asset) {
  Reply reply;
  reply.content_type = std::string(asset.content_type);
  reply.body = std::string(asset.body);
  reply.headers.emplace_back("Cache-Control", "no-cache");
  return reply;
}

bool IsPage(const std::vector<std::string>& parts) {
  if (parts.empty()) return true;  // the runs
  if (parts[0] == "runs" && parts.size() == 2) return true;
  if (parts[0] == "compare" && parts.size() == 1) return true;
  if (parts[0] == "flows" && parts.size() == 2) return true;
  return false;
}

}  // namespace

std::optional<Reply> RouteWeb(const Target& target) {
  const auto& parts = target.segments;
  if (parts.size() == 2 && parts[0] == "assets") {
    const WebAsset* asset = FindWebAsset(parts[1]);
    if (asset == nullptr) return std::nullopt;
    return AssetReply(*asset);
  }
  if (!IsPage(parts)) return std::nullopt;
  const WebAsset* shell = FindWebAsset("index.html");
  if (shell == nullptr) return std::nullopt;
  return AssetReply(*shell);
}

}  // namespace extrace::server
