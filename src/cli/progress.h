// A progress line on stderr for long batch work (rows/s and ETA); silent
// when stderr is not a terminal, so logs and CI output stay clean.
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace canbao::cli {

class Progress {
 public:
  explicit Progress(std::string what);
  // `fraction` 0..1 when known (bytes read), else < 0.
  void update(int64_t done, double fraction);
  void finish(int64_t done);

 private:
  std::string what_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_;
};

}  // namespace canbao::cli
