#include "tools/line_io.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace fzfs {

LineChannel::~LineChannel() {
  if (fd_ >= 0) close(fd_);
}

Status LineChannel::write_line(const std::string& line) {
  const std::string msg = line + "\n";
  size_t done = 0;
  while (done < msg.size()) {
    ssize_t n = send(fd_, msg.data() + done, msg.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(errno, "socket write: {}", strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Result<std::string> LineChannel::read_line() {
  for (;;) {
    if (auto nl = buf_.find('\n'); nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    if (buf_.size() > kMaxLine) return make_error(EMSGSIZE, "socket message too long");
    char chunk[65536];
    ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(errno, "socket read: {}", strerror(errno));
    if (n == 0) return std::string();  // end of stream (a partial line is dropped)
    buf_.append(chunk, static_cast<size_t>(n));
  }
}

}  // namespace fzfs
