// What the fuzz targets share: a scratch file of the process's own under
// $TMPDIR (libFuzzer runs one input at a time per process), and a check that
// stops the run as a crash when a property the code promises does not hold.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

namespace extrace::fuzz {

// A folder made once per process and removed at exit; Path(name) is a file in it.
class ScratchDir {
 public:
  static const std::string& Path();
  static std::string File(std::string_view name) { return Path() + "/" + std::string(name); }
};

// Replaces the file's content with `bytes` (true on success).
bool WriteBytes(const std::string& path, std::span<const uint8_t> bytes);

// A broken promise: prints what and aborts, which libFuzzer reports as a crash
// and saves the input.
[[noreturn]] void Broken(const std::string& what);

}  // namespace extrace::fuzz
