// The pipeline of `canbao assess` as a function, so the command and the
// benchmark run the same code: a roster file read, validated, assessed and
// formatted (JSONL or CSV, assess/report.h) on all cores, written in input
// order. Rows are never half-written: a bad row gives its errors, not output.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "assess/assessment.h"
#include "io/roster.h"

namespace canbao::io {

enum class AssessFormat { jsonl, csv };

struct RosterAssessOptions {
  AssessFormat format = AssessFormat::jsonl;
  bool trace = false;    // the per-rule trace in each JSONL line; ignored for CSV
  unsigned workers = 0;  // validating/assessing threads; 0: one per core
};

// Called on the calling thread only, in input order.
struct RosterAssessSink {
  std::function<void(std::string_view bytes)> write;              // output (CSV: the header first)
  std::function<void(const RowError& e)> row_error;               // a rejected row's problems
  std::function<void(int64_t rows, double fraction)> progress;    // after each chunk; may be empty
};

struct RosterAssessResult {
  int64_t good = 0, bad = 0;  // rows assessed / rejected
  std::string read_error;     // non-empty: the file became unreadable here (rows before it were written)
};

// Assesses every remaining row of `reader` against `p` on `as_of`. Never
// throws for a malformed file (read_error says it); exceptions from the sink
// propagate after the worker threads have stopped.
RosterAssessResult assess_roster(RosterReader& reader, const Policy& p, Date as_of, const RosterAssessOptions& o,
                                 const RosterAssessSink& sink);

}  // namespace canbao::io
