// ShmGuard: see shm_guard.h.
#include "storage/sqlite/shm_guard.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace extrace {

void ShmGuard::Install(sqlite3* db) {
  static_assert(std::is_standard_layout_v<ShmGuard> && offsetof(ShmGuard, methods_) == 0);
  sqlite3_file* file = nullptr;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK || !file ||
      !file->pMethods || file->pMethods->iVersion < 2 || !file->pMethods->xShmMap)
    return;
  original_ = file->pMethods;
  methods_ = *original_;
  methods_.xShmMap = &ShmGuard::ShmMap;
  file->pMethods = &methods_;
}

int ShmGuard::ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** pages) {
  const auto* guard = reinterpret_cast<const ShmGuard*>(file->pMethods);
  int rc = guard->original_->xShmMap(file, region, size, extend, pages);
  // SQLITE_READONLY: a read-only mapping, which never allocates.
  if (rc != SQLITE_OK || *pages == nullptr || size <= 0) return rc;
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  // The region's first page, by pointer arithmetic (no integer-to-pointer cast).
  char* region_start = static_cast<char*>(const_cast<void*>(*pages));
  const uintptr_t into_page = reinterpret_cast<uintptr_t>(region_start) & (page - 1);
  char* first = region_start - into_page;
  const size_t length = into_page + static_cast<size_t>(size);
  int populated;
  do {
    populated = madvise(first, length, MADV_POPULATE_WRITE);
  } while (populated != 0 && (errno == EINTR || errno == EAGAIN));
  if (populated == 0) return SQLITE_OK;
  switch (errno) {
    case EFAULT:
      // Where a store would have raised SIGBUS: no block for a page of the
      // file (ENOSPC, EDQUOT). SQLite keeps the mapping and calls again for
      // this region, so once space is freed the same connection goes on.
      *pages = nullptr;
      return SQLITE_FULL;
    case ENOMEM:
      *pages = nullptr;
      return SQLITE_NOMEM;
    default:
      // EINVAL: a kernel before 5.14. Unguarded, as SQLite is on its own.
      return SQLITE_OK;
  }
}

}  // namespace extrace
