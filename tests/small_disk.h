// A small real filesystem for the disk-full tests, mounted on a fresh folder
// for as long as the object lives (mounting needs root: elsewhere mounted()
// is false and the test says it did not run). ext4 on a loop device is the
// real thing (its blocks are 1 KiB on so small a volume, smaller than a
// memory page); tmpfs stands in where loop devices or mkfs.ext4 are missing.
#pragma once

#include <cstdint>
#include <string>

namespace extrace::testing {

class SmallDisk {
 public:
  enum class Kind { kExt4Loop, kTmpfs };
  // Mounts a filesystem of `bytes` on `folder` (created if missing): an ext4
  // image at `image` loop-mounted when `ext4_image` is not empty, else (or
  // when that fails) a tmpfs. The image file must not be on the disk itself.
  // EXTRACE_TEST_SMALL_DISK=tmpfs in the environment skips ext4 (to try the
  // fallback where loop devices work).
  SmallDisk(const std::string& folder, int64_t bytes, const std::string& ext4_image = "");
  // Unmounts, and removes the image.
  ~SmallDisk();
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;

  bool mounted() const { return mounted_; }
  Kind kind() const { return kind_; }
  // "ext4 on a loop device" or "tmpfs", and why ext4 did not mount if it did not.
  const std::string& description() const { return description_; }
  std::string File(const std::string& name) const { return folder_ + "/" + name; }

  // Bytes the filesystem still gives (statvfs f_bavail: ext4 keeps some
  // blocks for its own metadata out of it).
  int64_t FreeBytes() const;
  // Writes zeros to `name` on this disk until the filesystem refuses (ENOSPC),
  // down to single bytes, then syncs it: the disk is 100% full. Returns the
  // file's size.
  int64_t FillWith(const std::string& name) const;
  // Writes `bytes` of zeros to `name` on this disk and syncs it (throws when
  // it does not fit).
  void WriteFiller(const std::string& name, int64_t bytes) const;
  // Deletes `name` and commits the filesystem, so that its blocks are free
  // for the next writer at once (ext4 reuses freed blocks after its journal
  // commits).
  void Remove(const std::string& name) const;

 private:
  bool MountExt4(const std::string& image, int64_t bytes);
  void Sync() const;

  std::string folder_;
  std::string image_;
  bool mounted_ = false;
  Kind kind_ = Kind::kTmpfs;
  std::string description_;
};

}  // namespace extrace::testing
