// bench_floor — the physical floor under canbao's batch assessment, and the
// batch path itself, measured in one process for bench/compare/run.sh.
//
//   bench_floor scan FILE [runs]
//       Reads FILE once per run in 1 MiB blocks and splits it into lines and
//       fields (counts '\n' and ','): the least any CSV reader must do.
//   bench_floor csv FILE [runs]
//       Reads FILE with canbao's CSV reader (io::open_table: decode, quotes,
//       cells into a reused row) and nothing else: the "CSV read+split" floor
//       issue 15 sets `canbao assess` against.
//   bench_floor batch POLICY FILE AS_OF [runs] [--dump OUT.csv]
//       Loads the roster into columns (read_roster_columns), then per run:
//       assess_batch on all cores, and a memory pass that reads every byte of
//       the same columns on the same number of threads (the bandwidth floor).
//       --dump writes id_number,eligible,subsidy_fen,individual_due_fen,
//       payment_status,coverage_start from the 24-byte summaries (blank = unknown / none) so
//       the script can check the batch path row for row against SQL and pandas.
//
// Output: one "key=value" per line (medians of the runs), read by the script.
// Never asserted.
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "assess/batch.h"
#include "assess/report.h"
#include "io/policy_file.h"
#include "io/roster.h"

using namespace canbao;
using Clock = std::chrono::steady_clock;

namespace {

double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

int scan(const char* path, int runs) {
  std::vector<char> buf(1 << 20);
  std::vector<double> t;
  int64_t lines = 0, fields = 0, bytes = 0;
  for (int r = 0; r < runs; ++r) {
    auto a = Clock::now();
    int fd = ::open(path, O_RDONLY);
    if (fd < 0) { fmt::print(stderr, "bench_floor: cannot open {}\n", path); return 1; }
    lines = fields = bytes = 0;
    for (;;) {
      ssize_t n = ::read(fd, buf.data(), buf.size());
      if (n <= 0) break;
      bytes += n;
      // Split: find every line end and field separator (what a CSV tokenizer
      // must at least look at); memchr is vectorised in glibc.
      const char* p = buf.data();
      const char* end = p + n;
      while (p < end) {
        const char* nl = static_cast<const char*>(std::memchr(p, '\n', size_t(end - p)));
        const char* stop = nl ? nl : end;
        for (const char* q = p; q < stop; ++q) fields += *q == ',';
        if (!nl) break;
        ++lines;
        p = nl + 1;
      }
    }
    ::close(fd);
    t.push_back(secs(a, Clock::now()));
  }
  fmt::print("scan_s={:.4f}\nscan_lines={}\nscan_fields={}\nscan_bytes={}\n", median(t), lines, fields + lines, bytes);
  return 0;
}

int csv_floor(const char* path, int runs) {
  std::vector<double> t;
  int64_t rows = 0;
  for (int r = 0; r < runs; ++r) {
    auto a = Clock::now();
    auto table = io::open_table(path);
    io::Row row;
    rows = 0;
    while (table->next(row)) ++rows;
    t.push_back(secs(a, Clock::now()));
  }
  fmt::print("csv_s={:.4f}\ncsv_rows={}\n", median(t), rows);
  return 0;
}

// Sums every 8-byte word of a buffer range: a pure read of the bytes.
uint64_t sum_words(const void* data, size_t bytes) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  size_t i = 0;
  for (; i + 32 <= bytes; i += 32) {
    uint64_t w[4];
    std::memcpy(w, p + i, 32);
    s0 += w[0];
    s1 += w[1];
    s2 += w[2];
    s3 += w[3];
  }
  for (; i < bytes; ++i) s0 += p[i];
  return s0 + s1 + s2 + s3;
}

template <class V>
uint64_t sum_part(const V& v, size_t b, size_t e) {
  using T = typename V::value_type;
  return b < e ? sum_words(v.data() + b, (e - b) * sizeof(T)) : 0;
}

uint64_t bandwidth_pass(const PersonColumns& c, unsigned threads) {
  size_t n = c.size();
  std::atomic<uint64_t> total{0};
  auto work = [&](size_t b, size_t e) {
    uint64_t s = sum_part(c.id_number, b, e) + sum_part(c.birth, b, e) + sum_part(c.hukou, b, e) +
                 sum_part(c.residence, b, e) + sum_part(c.categories, b, e) + sum_part(c.disability_grade, b, e) +
                 sum_part(c.parent_insured, b, e) + sum_part(c.event, b, e) + sum_part(c.event_date, b, e) +
                 sum_part(c.employee_months, b, e) + sum_part(c.paid_on, b, e) + sum_part(c.registered_on, b, e);
    total += s;
  };
  std::vector<std::thread> pool;
  size_t chunk = (n + threads - 1) / threads;
  for (unsigned t = 1; t < threads; ++t) {
    size_t b = std::min(n, t * chunk), e = std::min(n, (t + 1) * chunk);
    if (b < e) pool.emplace_back(work, b, e);
  }
  work(0, std::min(n, chunk));
  for (auto& th : pool) th.join();
  return total;
}

void dump(const PersonColumns& c, const std::vector<AssessmentSummary>& out, const char* path) {
  std::FILE* f = std::fopen(path, "wb");
  if (!f) { fmt::print(stderr, "bench_floor: cannot write {}\n", path); std::exit(1); }
  std::string buf;
  buf += "id_number,eligible,subsidy_fen,individual_due_fen,payment_status,coverage_start\n";
  for (size_t i = 0; i < c.size(); ++i) {
    const auto& s = out[i];
    buf.append(c.id_number[i].data(), 18);
    buf += (s.flags & AssessmentSummary::eligible) ? ",true," : ",false,";
    if (s.flags & AssessmentSummary::subsidy_known) buf += std::to_string(s.subsidy_fen);
    buf += ',';
    if (s.flags & AssessmentSummary::due_known) buf += std::to_string(s.due_fen);
    buf += ',';
    buf += payment_status_id(s.payment);
    buf += ',';
    if (s.flags & AssessmentSummary::has_coverage) buf += s.coverage_start.str();
    buf += '\n';
    if (buf.size() > (1 << 20)) { std::fwrite(buf.data(), 1, buf.size(), f); buf.clear(); }
  }
  std::fwrite(buf.data(), 1, buf.size(), f);
  std::fclose(f);
}

int batch(int argc, char** argv) {
  if (argc < 5) { fmt::print(stderr, "usage: bench_floor batch POLICY FILE AS_OF [runs] [--dump OUT]\n"); return 2; }
  const char* policy_path = argv[2];
  const char* roster = argv[3];
  auto as_of = Date::parse(argv[4]);
  int runs = 5;
  const char* dump_path = nullptr;
  for (int i = 5; i < argc; ++i) {
    if (std::strcmp(argv[i], "--dump") == 0 && i + 1 < argc) dump_path = argv[++i];
    else runs = std::max(1, std::atoi(argv[i]));
  }
  if (!as_of) { fmt::print(stderr, "bench_floor: bad as-of date\n"); return 2; }
  auto load = io::load_policy_file(policy_path);
  if (!load.ok()) { fmt::print(stderr, "bench_floor: policy failed to load\n"); return 1; }
  const Policy& p = *load.policy;

  auto a = Clock::now();
  std::vector<io::RowError> errors;
  PersonColumns cols = io::read_roster_columns(roster, as_of->plus_days(3650), errors);
  double load_s = secs(a, Clock::now());
  std::vector<AssessmentSummary> out(cols.size());
  unsigned threads = std::max(1u, std::thread::hardware_concurrency());

  std::vector<double> tb, tm, t1;
  uint64_t check = 0;
  for (int r = 0; r < runs; ++r) {
    a = Clock::now();
    assess_batch(p, cols, *as_of, out, threads);
    tb.push_back(secs(a, Clock::now()));
    a = Clock::now();
    check += bandwidth_pass(cols, threads);
    tm.push_back(secs(a, Clock::now()));
  }
  for (int r = 0; r < std::max(1, runs / 2); ++r) {
    a = Clock::now();
    assess_batch(p, cols, *as_of, out, 1);
    t1.push_back(secs(a, Clock::now()));
  }
  int64_t due = 0;
  for (auto& s : out) due += s.due_fen;
  fmt::print("rows={}\nrejected={}\nthreads={}\nload_s={:.4f}\nbatch_s={:.4f}\nbatch_1thread_s={:.4f}\n", cols.size(),
             errors.size(), threads, load_s, median(tb), median(t1));
  fmt::print("bandwidth_s={:.4f}\ncolumn_bytes_per_person={:.1f}\nsummary_bytes_per_person={}\n", median(tm),
             double(cols.bytes()) / double(std::max<size_t>(1, cols.size())), sizeof(AssessmentSummary));
  fmt::print("due_total_fen={}\nignore={}\n", due, check & 1);
  if (dump_path) dump(cols, out, dump_path);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "scan") == 0) return scan(argv[2], argc > 3 ? std::max(1, std::atoi(argv[3])) : 5);
  if (argc >= 3 && std::strcmp(argv[1], "csv") == 0) return csv_floor(argv[2], argc > 3 ? std::max(1, std::atoi(argv[3])) : 5);
  if (argc >= 2 && std::strcmp(argv[1], "batch") == 0) return batch(argc, argv);
  fmt::print(stderr, "usage: bench_floor scan FILE [runs] | csv FILE [runs] | batch POLICY FILE AS_OF [runs] [--dump OUT]\n");
  return 2;
}
