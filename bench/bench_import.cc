// bench_import — roster import speed against the floor a clerk would use.
//
// Generates (or reuses from /tmp) the 1,583,685-person 晋城市 roster with
// io::generate_roster (policies/2024/jincheng.toml), then per run:
//   1. `canbao` import (registry::import_roster, all validation on) into a
//      fresh SQLite file, timed to the durable end (checkpoint + fsync);
//   2. `sqlite3 <db> ".import --csv FILE roster"` into a bare table;
//   3. when CANBAO_PG_URL is set: import into a fresh PostgreSQL schema, and
//      `psql -c "\copy roster FROM FILE csv header"` into a bare table.
// Prints rows/s, CPU seconds and the ratios; medians over the runs.
//   bench_import [persons=1583685] [runs=3] [enroll_year=0]
// enroll_year ≠ 0 also registers every person for that year (`canbao import
// --year`): enrollments and their progress counters are then part of the load.
// Never asserted; the machine is shared, so compare ratios of the same run.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "io/gen.h"
#include "io/policy_file.h"
#include "registry/import.h"
#include "store/store.h"

using namespace canbao;
using Clock = std::chrono::steady_clock;

namespace {
double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }
double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
// CPU seconds of this process and its waited-for children.
double cpu_now() {
  rusage a{}, b{};
  getrusage(RUSAGE_SELF, &a);
  getrusage(RUSAGE_CHILDREN, &b);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(a.ru_utime) + s(a.ru_stime) + s(b.ru_utime) + s(b.ru_stime);
}
// Runs argv (no shell); returns the exit status.
int run(const std::vector<std::string>& args) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> av;
    for (auto& a : args) av.push_back(const_cast<char*>(a.c_str()));
    av.push_back(nullptr);
    execvp(av[0], av.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
void rm_db(const std::string& p) {
  for (auto s : {"", "-wal", "-shm", "-journal"}) std::filesystem::remove(p + s);
}
// Data rows of a CSV (lines after the header, a last line without '\n'
// counted); -1 when the file does not exist. The generator writes no
// newlines inside quoted cells, so lines are rows.
int64_t data_rows(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return -1;
  std::vector<char> buf(1 << 20);
  int64_t lines = 0;
  char last = '\n';
  while (f) {
    f.read(buf.data(), std::streamsize(buf.size()));
    auto n = size_t(f.gcount());
    if (n == 0) break;
    lines += std::count(buf.data(), buf.data() + n, '\n');
    last = buf[n - 1];
  }
  if (last != '\n') ++lines;
  return lines > 0 ? lines - 1 : 0;
}
struct Timing {
  double wall = 0, cpu = 0;
};
std::string pg_schema_url(const std::string& url, const std::string& schema) {
  // libpq URL with options=-csearch_path=<schema>
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema;
}
}  // namespace

int main(int argc, char** argv) {
  int64_t persons = argc > 1 ? std::atoll(argv[1]) : 1583685;
  int runs = argc > 2 ? std::atoi(argv[2]) : 3;
  int enroll_year = argc > 3 ? std::atoi(argv[3]) : 0;
  auto load = io::load_policy_file(std::string(CANBAO_SOURCE_DIR) + "/policies/2024/jincheng.toml");
  if (!load.ok()) {
    fmt::print(stderr, "policy failed to load\n");
    return 1;
  }
  const Policy& p = *load.policy;
  auto tmp = std::filesystem::temp_directory_path();
  auto csv = (tmp / fmt::format("canbao-bench-jincheng-{}.csv", persons)).string();
  // A file left by an interrupted run (issue 20: "0 MB CSV" for 1,583,685
  // persons) is regenerated, never measured: reuse only a complete roster.
  int64_t have = data_rows(csv);
  if (have != persons) {
    if (have >= 0) fmt::print("roster {} holds {} rows, not {}: regenerating\n", csv, have, persons);
    // Written aside and renamed, so an interrupted generation leaves no roster behind.
    std::string part = csv + fmt::format(".part{}", getpid());
    {
      std::ofstream f(part, std::ios::binary);
      io::generate_roster(io::gen_options_for(p, persons), f);
    }
    std::filesystem::rename(part, csv);
    have = data_rows(csv);
    if (have != persons) {
      fmt::print(stderr, "generated roster holds {} rows, not {}\n", have, persons);
      return 1;
    }
  }
  fmt::print("roster: {} persons, {} data rows, {:.1f} MB CSV ({})\n", persons, have,
             double(std::filesystem::file_size(csv)) / 1e6, csv);
  const char* pg = std::getenv("CANBAO_PG_URL");
  std::string pg_url = pg ? pg : "";

  registry::ImportOptions opt;
  opt.actor = "bench";
  opt.today = Date::from_ymd(2026, 1, 1);
  opt.enroll_year = enroll_year;
  std::map<std::string, std::vector<Timing>> t;
  auto timed = [&](const std::string& what, auto&& fn) {
    double c0 = cpu_now();
    auto w0 = Clock::now();
    bool ok = fn();
    auto w1 = Clock::now();
    Timing x{secs(w0, w1), cpu_now() - c0};
    if (ok) t[what].push_back(x);
    fmt::print("  {:<28} {:6.2f} s wall {:6.2f} s cpu  {:>9.0f} rows/s{}\n", what, x.wall, x.cpu, persons / x.wall,
               ok ? "" : "  (FAILED)");
    std::fflush(stdout);
  };
  // This run's speed relative to its floor (floor time / canbao time), when both succeeded.
  auto run_ratio = [&](const std::string& mine, const std::string& floor, int r) {
    if (int(t[mine].size()) == r + 1 && int(t[floor].size()) == r + 1)
      fmt::print("  ratio this run: {:.2f}× the floor's speed\n", t[floor].back().wall / t[mine].back().wall);
  };
  const std::string db = (tmp / fmt::format("canbao-bench-import-{}.db", getpid())).string();
  const std::string bare = (tmp / fmt::format("canbao-bench-bare-{}.db", getpid())).string();
  for (int r = 0; r < runs; ++r) {
    fmt::print("run {}:\n", r + 1);
    rm_db(db);
    {
      auto st = store::open_store(db);
      timed("canbao import → SQLite", [&] {
        auto res = registry::import_roster(*st, csv, opt);
        if (!res.committed) fmt::print("    rejected: {} rows\n", res.rows_rejected);
        return res.committed && res.rows_written == persons;
      });
    }
    rm_db(bare);
    timed("sqlite3 .import (bare)", [&] { return run({"sqlite3", bare, ".import --csv " + csv + " roster"}) == 0; });
    rm_db(bare);
    run_ratio("canbao import → SQLite", "sqlite3 .import (bare)", r);
    if (!pg_url.empty()) {
      std::string schema = fmt::format("bench_import_{}_{}", getpid(), r);
      {
        store::OpenOptions o;
        o.pg_schema = schema;
        auto st = store::open_store(pg_url, o);
        timed("canbao import → PostgreSQL", [&] {
          auto res = registry::import_roster(*st, csv, opt);
          return res.committed && res.rows_written == persons;
        });
      }
      std::string surl = pg_schema_url(pg_url, schema);
      run({"psql", "-q", surl, "-c",
           "CREATE TABLE roster (id_number text, name text, household_id text, hukou_region text, "
           "residence_region text, categories text, disability_grade text, event text, event_date text, "
           "employee_months text, parent_insured text, paid_on text)"});
      timed("psql \\copy (bare)",
            [&] { return run({"psql", "-q", surl, "-c", "\\copy roster FROM '" + csv + "' csv header"}) == 0; });
      run({"psql", "-q", pg_url, "-c", "SET client_min_messages=warning; DROP SCHEMA " + schema + " CASCADE"});
      run_ratio("canbao import → PostgreSQL", "psql \\copy (bare)", r);
    }
  }
  rm_db(db);
  auto med = [&](const std::string& k) { return median([&] { std::vector<double> v; for (auto& x : t[k]) v.push_back(x.wall); return v; }()); };
  auto medc = [&](const std::string& k) { return median([&] { std::vector<double> v; for (auto& x : t[k]) v.push_back(x.cpu); return v; }()); };
  fmt::print("\nmedians of {} run(s), {} rows:\n", runs, persons);
  for (auto& [k, v] : t)
    fmt::print("  {:<28} {:6.2f} s wall {:9.0f} rows/s   {:6.2f} s cpu {:9.0f} rows/cpu-s\n", k, med(k), persons / med(k),
               medc(k), persons / medc(k));
  auto ratio = [&](const char* a, const char* b, double goal) {
    if (t[a].empty() || t[b].empty()) return;
    fmt::print("  {} / {}: {:.2f}× wall (goal ≥ {:.1f}×), {:.2f}× cpu\n", a, b, med(b) / med(a), goal,
               medc(b) / medc(a));
  };
  ratio("canbao import → SQLite", "sqlite3 .import (bare)", 1.5);
  ratio("canbao import → PostgreSQL", "psql \\copy (bare)", 0.7);
  return 0;
}
