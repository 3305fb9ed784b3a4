// Newline-delimited messages over a stream socket, with a bound on line length so a
// confused peer cannot make us allocate without limit.
#pragma once

#include <string>

#include "engine/util/status.h"

namespace fzfs {

class LineChannel {
 public:
  explicit LineChannel(int fd) : fd_(fd) {}  // takes ownership
  ~LineChannel();
  LineChannel(const LineChannel&) = delete;
  LineChannel& operator=(const LineChannel&) = delete;

  Status write_line(const std::string& line);
  // The next line without its newline; empty at end of stream.
  Result<std::string> read_line();

  static constexpr size_t kMaxLine = 64u << 20;

 private:
  int fd_;
  std::string buf_;
};

}  // namespace fzfs
