// bench_assess — the policy engine on the 晋城市 target population.
//
// Generates 1,583,685 persons (晋城's 2024 target) with `gen`, then measures:
//   1. in memory: the batch path over columns on all cores (goal < 0.5 s);
//   2. CSV → JSONL: the `canbao assess` pipeline (io::assess_roster: read,
//      validate, assess, format on all cores; with and without trace), against
//      the floor of only reading and splitting the same CSV rows.
// Prints persons/s and memory; medians of several runs. Never asserted.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "assess/batch.h"
#include "assess/report.h"
#include "io/assess_roster.h"
#include "io/gen.h"
#include "io/policy_file.h"
#include "io/roster.h"

using namespace canbao;
using Clock = std::chrono::steady_clock;

static double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
static long peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss / 1024;
}
static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int main(int argc, char** argv) {
  int64_t persons = argc > 1 ? std::atoll(argv[1]) : 1583685;
  int runs = argc > 2 ? std::atoi(argv[2]) : 5;
  auto load = io::load_policy_file(std::string(CANBAO_SOURCE_DIR) + "/policies/2024/jincheng.toml");
  if (!load.ok()) { fmt::print(stderr, "policy failed to load\n"); return 1; }
  const Policy& p = *load.policy;
  Date as_of = *Date::parse("2023-11-01");

  auto csv = (std::filesystem::temp_directory_path() / fmt::format("canbao-bench-jincheng-{}.csv", persons)).string();
  if (!std::filesystem::exists(csv)) {
    std::ofstream f(csv, std::ios::binary);
    io::generate_roster(io::gen_options_for(p, persons), f);
  }
  double mb = std::filesystem::file_size(csv) / 1e6;
  fmt::print("roster: {} persons, {:.0f} MB CSV ({})\n", persons, mb, csv);

  // Load into columns (not timed as assessment).
  PersonColumns cols;
  cols.reserve(persons);
  {
    io::RosterReader reader(io::open_table(csv), as_of.plus_days(3650));
    io::RosterRecord rec;
    std::vector<io::RowError> errors;
    bool ok;
    while (reader.next(rec, ok, errors))
      if (ok) cols.push_back(rec.facts());
    if (!errors.empty()) fmt::print("  ({} rows rejected by validation)\n", errors.size());
  }
  std::vector<AssessmentSummary> out(cols.size());
  fmt::print("columns: {:.1f} bytes/person in, {} bytes/person out\n", double(cols.bytes()) / cols.size(),
             sizeof(AssessmentSummary));

  for (unsigned threads : {1u, 2u}) {
    std::vector<double> t;
    for (int r = 0; r < runs; ++r) {
      auto a = Clock::now();
      assess_batch(p, cols, as_of, out, threads);
      t.push_back(secs(a, Clock::now()));
    }
    double m = median(t);
    fmt::print("in-memory batch, {} thread(s): median {:.3f} s  ({:.2f} M persons/s)\n", threads, m, cols.size() / m / 1e6);
  }
  int64_t due = 0;
  for (auto& s : out) due += s.due_fen;
  fmt::print("  checksum: total individual due {} yuan\n", Money::from_fen(due).yuan());

  // The floor: read and split the CSV only.
  std::vector<double> floor_t, pipe_t, notrace_t;
  for (int r = 0; r < runs; ++r) {
    auto a = Clock::now();
    auto table = io::open_table(csv);
    io::Row row;
    int64_t n = 0;
    while (table->next(row)) ++n;
    floor_t.push_back(secs(a, Clock::now()));

    // The `canbao assess` pipeline itself (io::assess_roster: read, validate,
    // assess and format on all cores, in input order), output to /dev/null.
    for (bool trace_on : {true, false}) {
      if (trace_on && r > 0) continue;  // ~10 s a run: once is enough to show it
      a = Clock::now();
      io::RosterReader reader(io::open_table(csv), as_of.plus_days(3650));
      std::FILE* devnull = std::fopen("/dev/null", "wb");
      io::RosterAssessOptions o;
      o.trace = trace_on;
      io::RosterAssessSink sink;
      sink.write = [&](std::string_view b) { std::fwrite(b.data(), 1, b.size(), devnull); };
      sink.row_error = [](const io::RowError&) {};
      io::assess_roster(reader, p, as_of, o, sink);
      std::fclose(devnull);
      (trace_on ? pipe_t : notrace_t).push_back(secs(a, Clock::now()));
    }
  }
  double f = median(floor_t), pt = median(pipe_t), nt = median(notrace_t);
  fmt::print("CSV read floor:           median {:.2f} s  ({:.2f} M rows/s, {:.0f} MB/s)\n", f, persons / f / 1e6, mb / f);
  fmt::print("CSV -> JSONL with trace:  median {:.2f} s  ({:.2f} M persons/s, {:.1f}x floor)\n", pt, persons / pt / 1e6, pt / f);
  fmt::print("CSV -> JSONL no trace:    median {:.2f} s  ({:.2f} M persons/s, {:.1f}x floor)\n", nt, persons / nt / 1e6, nt / f);
  fmt::print("peak RSS: {} MB\n", peak_rss_mb());
  return 0;
}
