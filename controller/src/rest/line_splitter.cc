#include "rest/line_splitter.h"

#include <cstring>
#include <string_view>

namespace ctrl::rest {

namespace {
constexpr size_t kShrinkAbove = 1 << 20;
}  // namespace

char* LineSplitter::prepare(size_t n) {
  // Grows only: the room past filled_ is kept between reads, so a read does
  // not pay for zero-filling it again.
  if (pending_.size() < filled_ + n) pending_.resize(filled_ + n);
  return pending_.data() + filled_;
}

void LineSplitter::commit(size_t got) { filled_ += got; }

LineSplitter::Result LineSplitter::deliver(const LineHandler& onLine) {
  const std::string_view bytes(pending_.data(), filled_);
  size_t start = 0;
  for (size_t nl; (nl = bytes.find('\n', scanFrom_)) != std::string_view::npos;) {
    const bool more = onLine(bytes.substr(start, nl - start));
    start = nl + 1;
    scanFrom_ = start;
    if (!more) return Result::kStopped;
  }
  if (start > 0) {  // keep only the partial line, at the front
    std::memmove(pending_.data(), pending_.data() + start, filled_ - start);
    filled_ -= start;
  }
  scanFrom_ = filled_;
  if (filled_ > maxLineBytes_) return Result::kTooLong;
  if (pending_.size() > kShrinkAbove && filled_ < kShrinkAbove / 2) {
    // One large event passed: do not keep its buffer for the whole stream.
    pending_.resize(filled_);
    pending_.shrink_to_fit();
  }
  return Result::kMore;
}

LineSplitter::Result LineSplitter::finish(const LineHandler& onLine) {
  const Result result = deliver(onLine);
  if (result != Result::kMore || filled_ == 0) return result;
  const bool more = onLine(std::string_view(pending_.data(), filled_));
  filled_ = 0;
  scanFrom_ = 0;
  return more ? Result::kMore : Result::kStopped;
}

}  // namespace ctrl::rest
