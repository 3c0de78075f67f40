// Splits a streamed body (a watch) into lines, as Transport::stream() promises
// (controller/transport.h): on '\n' only, never on the boundaries of the
// reads or chunks the bytes arrived in, and never holding more than a bounded
// partial line. Pure: no I/O, no threads.
#pragma once

#include <cstddef>
#include <string>

#include "controller/transport.h"

namespace ctrl::rest {

class LineSplitter {
 public:
  enum class Result {
    kMore,     // every complete line was delivered; feed more bytes
    kStopped,  // onLine returned false
    kTooLong,  // the partial line passed maxLineBytes
  };

  explicit LineSplitter(size_t maxLineBytes) : maxLineBytes_(maxLineBytes) {}

  // Room for up to `n` more bytes, written straight into the pending buffer
  // (no copy); commit() then says how many of them arrived.
  char* prepare(size_t n);
  void commit(size_t got);

  // Delivers each complete line (without its '\n') to `onLine`, in order.
  // kTooLong once the bytes after the last newline exceed maxLineBytes: the
  // stream must be abandoned (the partial line is never grown further).
  Result deliver(const LineHandler& onLine);
  // The stream ended: a last line without a newline still counts (as with
  // Go's bufio.Scanner). kMore when done.
  Result finish(const LineHandler& onLine);

  size_t maxLineBytes() const { return maxLineBytes_; }

 private:
  const size_t maxLineBytes_;
  std::string pending_;  // bytes after the last delivered newline
  size_t filled_ = 0;    // bytes of pending_ that arrived; the rest is prepare() room
  size_t scanFrom_ = 0;  // no newline in pending_ before this offset
};

}  // namespace ctrl::rest
