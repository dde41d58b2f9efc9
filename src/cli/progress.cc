#include "cli/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>

namespace canbao::cli {

Progress::Progress(std::string what)
    : what_(std::move(what)), tty_(isatty(fileno(stderr))), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(int64_t done, double fraction) {
  if (!tty_) return;
  auto now = std::chrono::steady_clock::now();
  if (now - last_ < std::chrono::milliseconds(200)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  double rate = secs > 0 ? done / secs : 0;
  std::string eta = fraction > 0.01 ? fmt::format(", ETA {:.0f}s", secs / fraction - secs) : "";
  fmt::print(stderr, "\r{}: {} rows, {:.0f} rows/s{}{}   ", what_, done, rate,
             fraction >= 0 ? fmt::format(", {:.0f}%", fraction * 100) : "", eta);
  std::fflush(stderr);
}

void Progress::finish(int64_t done) {
  if (!tty_) return;
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  fmt::print(stderr, "\r{}: {} rows in {:.1f}s ({:.0f} rows/s)            \n", what_, done, secs, secs > 0 ? done / secs : 0);
}

}  // namespace canbao::cli
