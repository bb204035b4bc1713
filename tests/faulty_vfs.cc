// faulty_vfs: the VFS shim, its undo records and the power cut; see faulty_vfs.h.
//
// Why pre-images: the real file already holds every write (the page cache);
// what a power cut loses is exactly what was written since the file's last
// xSync. Each such write first saves the bytes it overwrites, so the cut can
// put them back, newest first, and truncate to the size at the last sync. A
// torn cut keeps the newest content of some 512-byte sectors instead: a
// sector is either on the platter or not, never half of it.
#include "faulty_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

namespace extrace::testing::faulty_vfs {
namespace {

constexpr int64_t kSector = 512;

// What a power cut must undo in one file: its writes and truncations since
// its last xSync, in call order, each with the bytes it replaced.
struct Tracked {
  std::string path;
  bool main_db = false;
  int64_t synced_size = 0;
  struct Undo {
    int64_t offset = 0;
    std::string before;  // the bytes there before (up to the size then)
    int64_t end = 0;     // a write's end; == offset for a truncation
  };
  std::vector<Undo> undo;
};

struct State {
  std::mutex mu;
  Plan plan;
  sqlite3_vfs* base = nullptr;
  sqlite3_vfs vfs{};
  std::map<std::string, std::unique_ptr<Tracked>> files;
  int64_t total = 0;
  int64_t by_kind[6] = {};  // indexed by Kind; [kAny]: every faultable call
  int injected_errno = 0;   // the errno of the last injected failure, 0 after a success
};

State& state() {
  static State s;
  return s;
}

// Our sqlite3_file; the real (unix) file lives right after it in the block
// SQLite allocates (szOsFile covers both).
struct ShimFile {
  sqlite3_file base;
  sqlite3_file* real;
  Tracked* tracked;  // null: a file without a name (temporary)
};
constexpr size_t kShimSize = (sizeof(ShimFile) + 7) & ~size_t{7};

ShimFile* Shim(sqlite3_file* file) { return reinterpret_cast<ShimFile*>(file); }
sqlite3_file* Real(sqlite3_file* file) { return Shim(file)->real; }

int64_t RealSize(sqlite3_file* real) {
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) return 0;
  return size;
}

std::string RealBytes(sqlite3_file* real, int64_t offset, int64_t end) {
  int64_t size = RealSize(real);
  end = std::min(end, size);
  if (offset >= end) return {};
  std::string bytes(static_cast<size_t>(end - offset), '\0');
  if (real->pMethods->xRead(real, bytes.data(), static_cast<int>(bytes.size()), offset) !=
      SQLITE_OK)
    return {};
  return bytes;
}

// Puts every tracked file back to its last synced content (keeping some
// sectors when tearing), drops or keeps -shm, and ends the process. Runs with
// state().mu held; never returns.
[[noreturn]] void CutThePower() {
  State& s = state();
  std::mt19937_64 random(s.plan.seed);
  const bool tear = random() % 2 == 0;
  const bool drop_shm = random() % 2 == 0;
  for (auto& [path, file] : s.files) {
    int fd = ::open(path.c_str(), O_RDWR);
    if (fd < 0) continue;          // deleted since
    std::map<int64_t, bool> keep;  // sector -> its newest content survives
    std::map<int64_t, std::string> kept;
    if (tear) {
      for (const auto& undo : file->undo) {
        for (int64_t sector = undo.offset / kSector; sector * kSector < undo.end; ++sector) {
          if (keep.contains(sector)) continue;
          keep[sector] = random() % 2 == 0;
          if (!keep[sector]) continue;
          std::string bytes(kSector, '\0');
          ssize_t got = ::pread(fd, bytes.data(), bytes.size(), sector * kSector);
          bytes.resize(got > 0 ? static_cast<size_t>(got) : 0);
          kept[sector] = std::move(bytes);
        }
      }
    }
    bool ok = true;
    for (auto undo = file->undo.rbegin(); undo != file->undo.rend(); ++undo)
      ok &= ::pwrite(fd, undo->before.data(), undo->before.size(), undo->offset) ==
            static_cast<ssize_t>(undo->before.size());
    ok &= ::ftruncate(fd, file->synced_size) == 0;
    for (const auto& [sector, bytes] : kept)
      ok &= ::pwrite(fd, bytes.data(), bytes.size(), sector * kSector) ==
            static_cast<ssize_t>(bytes.size());
    ::close(fd);
    if (!ok) {
      // The test would check a file we failed to put back: say so, loudly.
      static constexpr char kMessage[] = "faulty_vfs: could not undo unsynced writes\n";
      (void)!::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
      ::_exit(1);
    }
    if (file->main_db && drop_shm) ::unlink((path + "-shm").c_str());
  }
  ::_exit(kPowerCutExitCode);
}

// The result code the unix VFS returns for a failed call of `kind` with `error`.
int ResultFor(Kind kind, int error, bool shm) {
  switch (kind) {
    case Kind::kRead:
      return SQLITE_IOERR_READ;
    case Kind::kWrite:
      return error == ENOSPC ? SQLITE_FULL : SQLITE_IOERR_WRITE;
    case Kind::kSync:
      return SQLITE_IOERR_FSYNC;
    case Kind::kTruncate:
      return SQLITE_IOERR_TRUNCATE;
    case Kind::kLock:
      // unix VFS: a lock refused (EACCES, EAGAIN...) is SQLITE_BUSY. Its
      // WAL-index locks report every failure as busy; here EIO and ENOSPC
      // there are SQLITE_IOERR_SHMLOCK, SQLite's code for a failed xShmLock,
      // so that a broken lock is tried apart from a lock held by another.
      if (error == EACCES) return SQLITE_BUSY;
      return shm ? SQLITE_IOERR_SHMLOCK : SQLITE_IOERR_LOCK;
    case Kind::kAny:
      break;
  }
  return SQLITE_IOERR;
}

// Counts one call; cuts the power or picks a failure as the plan says.
// Returns the result code to fail with, or SQLITE_OK to go on.
int Before(Kind kind, bool shm = false) {
  State& s = state();
  std::lock_guard lock(s.mu);
  ++s.total;
  if (s.plan.cut_at > 0 && s.total == s.plan.cut_at) CutThePower();
  if (kind == Kind::kAny) return SQLITE_OK;  // counted, never failed: unlock, size...
  int64_t nth_of_kind = ++s.by_kind[static_cast<int>(kind)];
  int64_t nth_any = ++s.by_kind[static_cast<int>(Kind::kAny)];
  s.injected_errno = 0;
  if (!s.plan.fault) return SQLITE_OK;
  const Fault& fault = *s.plan.fault;
  if (fault.kind != Kind::kAny && fault.kind != kind) return SQLITE_OK;
  int64_t nth = fault.kind == Kind::kAny ? nth_any : nth_of_kind;
  if (nth != fault.nth && !(fault.persistent && nth > fault.nth)) return SQLITE_OK;
  s.injected_errno = fault.error_number;
  errno = fault.error_number;
  return ResultFor(kind, fault.error_number, shm);
}

int Close(sqlite3_file* file) { return Real(file)->pMethods->xClose(Real(file)); }

int Read(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  if (int rc = Before(Kind::kRead); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xRead(Real(file), out, amount, offset);
}

int Write(sqlite3_file* file, const void* data, int amount, sqlite3_int64 offset) {
  if (int rc = Before(Kind::kWrite); rc != SQLITE_OK) return rc;
  if (Tracked* tracked = Shim(file)->tracked) {
    std::lock_guard lock(state().mu);
    tracked->undo.push_back(
        {offset, RealBytes(Real(file), offset, offset + amount), offset + amount});
  }
  return Real(file)->pMethods->xWrite(Real(file), data, amount, offset);
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  if (int rc = Before(Kind::kTruncate); rc != SQLITE_OK) return rc;
  if (Tracked* tracked = Shim(file)->tracked) {
    std::lock_guard lock(state().mu);
    tracked->undo.push_back({size, RealBytes(Real(file), size, RealSize(Real(file))), size});
  }
  return Real(file)->pMethods->xTruncate(Real(file), size);
}

int Sync(sqlite3_file* file, int flags) {
  if (int rc = Before(Kind::kSync); rc != SQLITE_OK) return rc;
  int rc = Real(file)->pMethods->xSync(Real(file), flags);
  if (Tracked* tracked = Shim(file)->tracked; tracked && rc == SQLITE_OK) {
    std::lock_guard lock(state().mu);
    tracked->undo.clear();
    tracked->synced_size = RealSize(Real(file));
  }
  return rc;
}

int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  (void)Before(Kind::kAny);
  return Real(file)->pMethods->xFileSize(Real(file), size);
}

int Lock(sqlite3_file* file, int level) {
  if (int rc = Before(Kind::kLock); rc != SQLITE_OK) return rc;
  return Real(file)->pMethods->xLock(Real(file), level);
}

int Unlock(sqlite3_file* file, int level) {
  (void)Before(Kind::kAny);
  return Real(file)->pMethods->xUnlock(Real(file), level);
}

int CheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}

int FileControl(sqlite3_file* file, int op, void* arg) {
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}

int SectorSize(sqlite3_file* file) { return Real(file)->pMethods->xSectorSize(Real(file)); }

int DeviceCharacteristics(sqlite3_file* file) {
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}

// The shared memory is passed through: it is never synced, and a reboot
// loses it (CutThePower drops or keeps the file).
int ShmMap(sqlite3_file* file, int page, int page_size, int extend, void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), page, page_size, extend, out);
}

int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  if (flags & SQLITE_SHM_LOCK) {
    if (int rc = Before(Kind::kLock, /*shm=*/true); rc != SQLITE_OK) return rc;
  } else {
    (void)Before(Kind::kAny);
  }
  return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
}

void ShmBarrier(sqlite3_file* file) { Real(file)->pMethods->xShmBarrier(Real(file)); }

int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}

int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return Real(file)->pMethods->xFetch(Real(file), offset, amount, out);
}

int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return Real(file)->pMethods->xUnfetch(Real(file), offset, p);
}

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  State& s = state();
  ShimFile* shim = Shim(file);
  shim->base.pMethods = nullptr;
  shim->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kShimSize);
  shim->tracked = nullptr;
  int rc = s.base->xOpen(s.base, name, shim->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (shim->real->pMethods) shim->real->pMethods->xClose(shim->real);
    return rc;
  }
  if (name) {
    std::lock_guard lock(s.mu);
    auto& tracked = s.files[name];
    if (!tracked) {
      // What the file holds when first opened counts as durable.
      tracked = std::make_unique<Tracked>();
      tracked->path = name;
      tracked->synced_size = RealSize(shim->real);
    }
    tracked->main_db = tracked->main_db || (flags & SQLITE_OPEN_MAIN_DB) != 0;
    shim->tracked = tracked.get();
  }
  shim->base.pMethods = &kMethods;
  return SQLITE_OK;
}

int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  State& s = state();
  int rc = s.base->xDelete(s.base, name, sync_dir);
  if (rc == SQLITE_OK) {
    std::lock_guard lock(s.mu);
    s.files.erase(name);
  }
  return rc;
}

int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return state().base->xAccess(state().base, name, flags, out);
}

int FullPathname(sqlite3_vfs*, const char* name, int size, char* out) {
  return state().base->xFullPathname(state().base, name, size, out);
}

// sqlite3_system_errno() reads this: the injected errno, as the unix VFS
// would have left it.
int GetLastError(sqlite3_vfs*, int size, char* out) {
  State& s = state();
  {
    std::lock_guard lock(s.mu);
    if (s.injected_errno != 0) return s.injected_errno;
  }
  return s.base->xGetLastError(s.base, size, out);
}

std::optional<Kind> KindNamed(std::string_view name) {
  static const std::pair<std::string_view, Kind> kNames[] = {
      {"any", Kind::kAny},   {"read", Kind::kRead},         {"write", Kind::kWrite},
      {"sync", Kind::kSync}, {"truncate", Kind::kTruncate}, {"lock", Kind::kLock}};
  for (const auto& [text, kind] : kNames)
    if (text == name) return kind;
  return std::nullopt;
}

std::optional<int> ErrnoNamed(std::string_view name) {
  if (name == "EIO") return EIO;
  if (name == "ENOSPC") return ENOSPC;
  if (name == "EACCES") return EACCES;
  return std::nullopt;
}

std::string_view ErrnoName(int error) {
  return error == ENOSPC ? "ENOSPC" : error == EACCES ? "EACCES" : "EIO";
}

template <typename Int>
bool ParseInt(std::string_view text, Int& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  for (size_t at; (at = text.find(separator)) != std::string_view::npos; text.remove_prefix(at + 1))
    parts.push_back(text.substr(0, at));
  parts.push_back(text);
  return parts;
}

}  // namespace

std::optional<Plan> ParsePlan(std::string_view text, std::string& error) {
  Plan plan;
  if (text == "count") return plan;
  if (text.starts_with("fault=")) {
    auto parts = Split(text.substr(6), ':');
    Fault fault;
    auto kind = parts.size() == 4 ? KindNamed(parts[0]) : std::nullopt;
    auto error_number = parts.size() == 4 ? ErrnoNamed(parts[3]) : std::nullopt;
    if (!kind || !error_number || !ParseInt(parts[1], fault.nth) || fault.nth < 1 ||
        (parts[2] != "once" && parts[2] != "persistent")) {
      error = "fault: want KIND:N:once|persistent:EIO|ENOSPC|EACCES";
      return std::nullopt;
    }
    fault.kind = *kind;
    fault.persistent = parts[2] == "persistent";
    fault.error_number = *error_number;
    plan.fault = fault;
    return plan;
  }
  for (std::string_view part : Split(text, ',')) {
    if (part.starts_with("cut=") && ParseInt(part.substr(4), plan.cut_at) && plan.cut_at > 0)
      continue;
    if (part.starts_with("seed=") && ParseInt(part.substr(5), plan.seed)) continue;
    error = "want count, cut=N,seed=S or fault=KIND:N:once|persistent:ERRNO";
    return std::nullopt;
  }
  return plan;
}

std::string_view KindName(Kind kind) {
  static constexpr std::string_view kNames[] = {"any", "read", "write", "sync", "truncate", "lock"};
  return kNames[static_cast<int>(kind)];
}

std::string FaultText(const Fault& fault) {
  return "fault=" + std::string(KindName(fault.kind)) + ":" + std::to_string(fault.nth) + ":" +
         (fault.persistent ? "persistent" : "once") + ":" +
         std::string(ErrnoName(fault.error_number));
}

bool Install(const Plan& plan) {
  State& s = state();
  s.base = sqlite3_vfs_find(nullptr);
  if (!s.base) return false;
  s.plan = plan;
  s.vfs = *s.base;
  s.vfs.zName = "extrace_faulty";
  s.vfs.szOsFile = static_cast<int>(kShimSize) + s.base->szOsFile;
  s.vfs.pNext = nullptr;
  s.vfs.xOpen = Open;
  s.vfs.xDelete = Delete;
  s.vfs.xAccess = Access;
  s.vfs.xFullPathname = FullPathname;
  s.vfs.xGetLastError = GetLastError;
  return sqlite3_vfs_register(&s.vfs, /*makeDflt=*/1) == SQLITE_OK;
}

std::string CountsLine() {
  State& s = state();
  std::lock_guard lock(s.mu);
  std::string line = "io total=" + std::to_string(s.total);
  for (Kind kind : {Kind::kRead, Kind::kWrite, Kind::kSync, Kind::kTruncate, Kind::kLock})
    line +=
        " " + std::string(KindName(kind)) + "=" + std::to_string(s.by_kind[static_cast<int>(kind)]);
  return line;
}

}  // namespace extrace::testing::faulty_vfs
