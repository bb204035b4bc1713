// Shared test helpers: temporary folders, running the CLI as a real process,
// building event lines.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace extrace::testing {

// A fresh folder under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program args...` with `input` on standard input; waits for it.
ProcessResult RunProcess(const std::string& program, const std::vector<std::string>& args,
                         const std::string& input = "");
// Runs the extrace CLI built beside the tests.
ProcessResult RunCli(const std::vector<std::string>& args, const std::string& input = "");

std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace extrace::testing

namespace extrace::testing {

// Runs `program args...` like RunProcess, with its environment changed: each
// `env` entry "NAME=value" sets NAME, a bare "NAME" removes it.
ProcessResult RunProcessWithEnv(const std::string& program, const std::vector<std::string>& args,
                                const std::vector<std::string>& env, const std::string& input = "");
ProcessResult RunCliWithEnv(const std::vector<std::string>& args, const std::vector<std::string>& env,
                            const std::string& input = "");

}  // namespace extrace::testing
