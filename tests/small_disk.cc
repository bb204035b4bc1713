// SmallDisk: see small_disk.h.
#include "small_disk.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string_view>
#include <vector>

#include "test_support.h"

namespace extrace::testing {
namespace {

constexpr char kMkfs[] = "/usr/sbin/mkfs.ext4";
constexpr char kMount[] = "/usr/bin/mount";

// An open file descriptor, closed on destruction.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

SmallDisk::SmallDisk(const std::string& folder, int64_t bytes, const std::string& ext4_image)
    : folder_(folder) {
  std::filesystem::create_directories(folder_);
  std::string ext4_failure;
  const char* forced = std::getenv("EXTRACE_TEST_SMALL_DISK");
  if (forced && std::string_view(forced) == "tmpfs") ext4_failure = "EXTRACE_TEST_SMALL_DISK=tmpfs";
  if (!ext4_image.empty() && ext4_failure.empty()) {
    if (MountExt4(ext4_image, bytes)) return;
    ext4_failure = description_;
  }
  mounted_ = ::mount("tmpfs", folder_.c_str(), "tmpfs", 0,
                     fmt::format("size={}k", bytes / 1024).c_str()) == 0;
  kind_ = Kind::kTmpfs;
  description_ = mounted_ ? "tmpfs" : fmt::format("nothing (mount tmpfs: errno {})", errno);
  if (!ext4_failure.empty()) description_ += fmt::format(" (no ext4: {})", ext4_failure);
}

bool SmallDisk::MountExt4(const std::string& image, int64_t bytes) {
  if (access(kMkfs, X_OK) != 0) {
    description_ = fmt::format("no {} (e2fsprogs)", kMkfs);
    return false;
  }
  image_ = image;
  {
    Fd fd(::open(image_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0 || ::ftruncate(fd.get(), bytes) != 0) {
      description_ = fmt::format("cannot make the image {} (errno {})", image_, errno);
      return false;
    }
  }
  // -m 0: no blocks kept for root, so that full means full for every process.
  ProcessResult made = RunProcess(kMkfs, {"-q", "-F", "-m", "0", image_});
  if (made.exit_code != 0) {
    description_ = fmt::format("mkfs.ext4 failed: {}", made.err);
    return false;
  }
  ProcessResult mount = RunProcess(kMount, {"-o", "loop", image_, folder_});
  if (mount.exit_code != 0) {
    description_ = fmt::format("mount -o loop failed (no loop devices?): {}", mount.err);
    if (!description_.empty() && description_.back() == '\n') description_.pop_back();
    return false;
  }
  mounted_ = true;
  kind_ = Kind::kExt4Loop;
  description_ = "ext4 on a loop device";
  return true;
}

SmallDisk::~SmallDisk() {
  // A child that still has a file open there (a killed test) makes it busy:
  // detach it then, the kernel finishes when the last file closes.
  if (mounted_ && ::umount2(folder_.c_str(), 0) != 0) ::umount2(folder_.c_str(), MNT_DETACH);
  if (!image_.empty()) ::unlink(image_.c_str());
}

int64_t SmallDisk::FreeBytes() const {
  struct statvfs info {};
  if (::statvfs(folder_.c_str(), &info) != 0) throw std::runtime_error("statvfs " + folder_);
  return static_cast<int64_t>(info.f_bavail) * static_cast<int64_t>(info.f_frsize);
}

int64_t SmallDisk::FillWith(const std::string& name) const {
  Fd fd(::open(File(name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw std::runtime_error("cannot create " + File(name));
  std::vector<char> zeros(64 << 10, 0);
  int64_t written = 0;
  for (size_t chunk = zeros.size(); chunk > 0; chunk /= 2) {
    while (true) {
      ssize_t n = ::write(fd.get(), zeros.data(), chunk);
      if (n <= 0) break;
      written += n;
    }
    if (errno != ENOSPC && errno != EDQUOT)
      throw std::runtime_error(fmt::format("filling {}: errno {}", File(name), errno));
  }
  ::fsync(fd.get());
  return written;
}

void SmallDisk::WriteFiller(const std::string& name, int64_t bytes) const {
  Fd fd(::open(File(name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) throw std::runtime_error("cannot create " + File(name));
  std::vector<char> zeros(64 << 10, 0);
  for (int64_t left = bytes; left > 0;) {
    ssize_t n = ::write(fd.get(), zeros.data(),
                        static_cast<size_t>(std::min<int64_t>(left, std::ssize(zeros))));
    if (n <= 0) throw std::runtime_error(fmt::format("writing {}: errno {}", File(name), errno));
    left -= n;
  }
  ::fsync(fd.get());
}

void SmallDisk::Remove(const std::string& name) const {
  if (::unlink(File(name).c_str()) != 0) throw std::runtime_error("cannot remove " + File(name));
  Sync();
}

void SmallDisk::Sync() const {
  Fd fd(::open(folder_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() >= 0) ::syncfs(fd.get());
}

}  // namespace extrace::testing
