// The fuzz targets' scratch folder and broken-promise report: see fuzz_support.h.
#include "fuzz/fuzz_support.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <system_error>

namespace extrace::fuzz {

namespace {
struct Dir {
  std::string path;
  Dir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/extrace-fuzz-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) Broken("cannot make a scratch folder");
    path = pattern;
  }
  ~Dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};
}  // namespace

const std::string& ScratchDir::Path() {
  static const Dir dir;
  return dir.path;
}

bool WriteBytes(const std::string& path, std::span<const uint8_t> bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

void Broken(const std::string& what) {
  std::fprintf(stderr, "extrace fuzz: broken promise: %s\n", what.c_str());
  std::abort();
}

}  // namespace extrace::fuzz
