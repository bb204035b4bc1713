// faulty_vfs: a test-only SQLite VFS over the default (unix) one, installed as
// the default VFS inside a child process of the durability tests. It counts
// every I/O call and can
//   - cut the power at call N: for every file, the writes since its last xSync
//     are undone (optionally torn: some of their 512-byte sectors kept, chosen
//     by a seed), the -shm file is dropped or kept (a reboot does either), and
//     the process ends at once with kPowerCutExitCode (no destructors);
//   - fail the Nth call of one kind (or of any kind), once or from then on,
//     with the result code the unix VFS gives for that errno.
// The files stay real files: what survives is read back by the product
// through the normal VFS.
//
// Threads: the counters and the undo records are behind one mutex; SQLite may
// call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace extrace::testing::faulty_vfs {

// The environment variable a child reads its plan from (see ParsePlan).
inline constexpr const char* kPlanVariable = "EXTRACE_FAULTY_VFS";
// The exit code of a process whose power was cut.
inline constexpr int kPowerCutExitCode = 86;

enum class Kind { kAny, kRead, kWrite, kSync, kTruncate, kLock };

struct Fault {
  Kind kind = Kind::kAny;
  int64_t nth = 1;          // the Nth call of `kind` (1-based)
  bool persistent = false;  // false: only that call fails; true: every later one too
  int error_number = 0;     // EIO, ENOSPC or EACCES
};

struct Plan {
  int64_t cut_at = 0;  // the I/O call (1-based, any kind) the power is cut at; 0: never
  uint64_t seed = 0;   // chooses the torn sectors and the fate of -shm
  std::optional<Fault> fault;
};

// "count", "cut=N,seed=S" or "fault=KIND:N:once|persistent:EIO|ENOSPC|EACCES"
// with KIND any, read, write, sync, truncate or lock. nullopt (and `error`) when
// the text is not one of these.
std::optional<Plan> ParsePlan(std::string_view text, std::string& error);
// "any", "read", "write", "sync", "truncate", "lock" (also CountsLine's names).
std::string_view KindName(Kind kind);
// The text ParsePlan reads back as `fault`.
std::string FaultText(const Fault& fault);

// Registers the shim as the default VFS, acting on `plan`. Call once, before
// anything opens a database. False when SQLite has no default VFS.
bool Install(const Plan& plan);

// "io total=T read=R write=W sync=S truncate=X lock=L": the calls so far.
std::string CountsLine();

}  // namespace extrace::testing::faulty_vfs
