// BlockDevice over a regular file or a block device, through pread/pwrite.
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "engine/io/block_device.h"

namespace fzfs {

namespace {

Error sys_error(int err, const std::string& what, const std::string& path) {
  return make_error(err, "device {}: {}: {}", path, what, std::strerror(err));
}

class FileDevice final : public BlockDevice {
 public:
  FileDevice(int fd, std::string path, uint64_t size) : fd_(fd), path_(std::move(path)), size_(size) {}
  ~FileDevice() override { ::close(fd_); }  // also drops the flock

  Status pread(std::span<uint8_t> buf, uint64_t offset) override {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::pread(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error(errno, fmt::format("read {} bytes at offset {}", buf.size(), offset), path_);
      }
      if (n == 0)
        return make_error(EIO, "device {}: short read at offset {}: {} of {} bytes (end of device)",
                          path_, offset, done, buf.size());
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status pwrite(std::span<const uint8_t> buf, uint64_t offset) override {
    size_t done = 0;
    while (done < buf.size()) {
      ssize_t n = ::pwrite(fd_, buf.data() + done, buf.size() - done, static_cast<off_t>(offset + done));
      if (n < 0) {
        if (errno == EINTR) continue;
        return sys_error(errno, fmt::format("write {} bytes at offset {}", buf.size(), offset), path_);
      }
      if (n == 0)
        return make_error(EIO, "device {}: write at offset {} made no progress", path_, offset + done);
      done += static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status flush() override {
    while (::fsync(fd_) != 0) {
      if (errno != EINTR) return sys_error(errno, "fsync", path_);
    }
    return Status::Ok();
  }

  uint64_t size() const override { return size_; }
  const std::string& path() const override { return path_; }

 private:
  int fd_;
  std::string path_;
  uint64_t size_;
};

Result<uint64_t> device_size(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return sys_error(errno, "fstat", path);
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) return sys_error(errno, "BLKGETSIZE64", path);
    return bytes;
  }
  return make_error(EINVAL, "device {}: not a regular file or block device", path);
}

}  // namespace

Result<std::unique_ptr<BlockDevice>> open_file_device(const std::string& path, bool writable,
                                                      bool exclusive) {
  int fd;
  do {
    fd = ::open(path.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return sys_error(errno, writable ? "open for writing" : "open", path);

  if (exclusive) {
    int rc;
    do {
      rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      int err = errno;
      ::close(fd);
      if (err == EWOULDBLOCK)
        return make_error(EBUSY, "device {} is in use by another process", path);
      return sys_error(err, "flock", path);
    }
  }

  auto size = device_size(fd, path);
  if (!size.ok()) {
    ::close(fd);
    return std::move(size).error();
  }
  return std::unique_ptr<BlockDevice>(std::make_unique<FileDevice>(fd, path, *size));
}

}  // namespace fzfs
