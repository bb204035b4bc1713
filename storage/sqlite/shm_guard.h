// Keeps a SQLite connection from dying of SIGBUS on a full disk. In WAL mode
// SQLite maps the -shm file (the WAL index) into memory. To grow it, SQLite
// writes one byte at the end of each 4 KiB page; on a filesystem whose blocks
// are smaller than a page (ext4 on a small volume: 1 KiB) the rest of the page
// stays a hole, and the first store into that hole on a full disk is a SIGBUS,
// not an error. ShmGuard hooks the connection's xShmMap: once SQLite has
// mapped a region, it asks the kernel to back every page of it
// (madvise MADV_POPULATE_WRITE), which fails with an error where a store would
// have raised SIGBUS; the hook then returns SQLITE_FULL. It hooks the file the
// connection already has (SQLITE_FCNTL_FILE_POINTER) rather than registering
// a VFS, so it composes with whatever VFS the process uses.
// Threads: like the connection it guards (one thread at a time).
#pragma once

#include <sqlite3.h>

namespace extrace {

class ShmGuard {
 public:
  ShmGuard() = default;
  ShmGuard(const ShmGuard&) = delete;
  ShmGuard& operator=(const ShmGuard&) = delete;

  // Hooks the main database file of `db`, before its first statement. The
  // guard must outlive the connection (SQLite calls through it until closed):
  // declare it before the connection it guards. Without a WAL index (no shm
  // methods, an immutable file) it does nothing.
  void Install(sqlite3* db);

 private:
  static int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** pages);

  // First member: the hook finds its guard from file->pMethods.
  sqlite3_io_methods methods_{};
  const sqlite3_io_methods* original_ = nullptr;
};

}  // namespace extrace
