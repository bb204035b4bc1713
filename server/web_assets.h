// The files the browser pages are made of, compiled into the binary (CMake
// generates web_assets.cc from server/web_assets/ and the HTML report's
// render/report_assets/), so `extrace serve` needs no files and no network.
#pragma once

#include <string_view>

namespace extrace::server {

struct WebAsset {
  std::string_view name;  // as in /assets/NAME
  std::string_view content_type;
  std::string_view body;
};

// nullptr when no asset has this exact name.
const WebAsset* FindWebAsset(std::string_view name);

}  // namespace extrace::server
