// The fast paths of issue 15 give the answers of the plain ones: the batch
// path's rule skipping and dated-entry cursor against assess() with a trace
// (which skips nothing), the parallel assess_roster pipeline against reading
// and assessing row by row, and the CSV reader's 8-byte scan at every offset.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "assess/batch.h"
#include "assess/report.h"
#include "io/assess_roster.h"
#include "io/csv.h"
#include "io/policy_file.h"
#include "io/roster.h"

using namespace canbao;

namespace {

std::vector<Policy> all_policies() {
  std::vector<Policy> out;
  for (const auto& f : io::policy_files_in(std::string(CANBAO_SOURCE_DIR) + "/policies/2024")) {
    auto l = io::load_policy_file(f);
    if (!l.ok()) throw std::runtime_error("policy " + f);
    out.push_back(std::move(*l.policy));
  }
  return out;
}

// Persons whose facts reach every branch the skipping could get wrong: any
// mix of categories, grades with and without 重度残疾, certification days
// before and after list days, events, payment and registration days.
PersonColumns random_persons(const Policy& p, size_t n, uint32_t seed, std::vector<std::string>& ids) {
  std::mt19937 rng(seed);
  auto pick = [&](int k) { return static_cast<int>(rng() % static_cast<uint32_t>(k)); };
  const Date first = p.coverage_period.first;
  PersonColumns cols;
  std::vector<DatedCategory> dated;
  ids.resize(n);
  for (size_t i = 0; i < n; ++i) {
    PersonFacts f;
    ids[i] = std::string(18, '0');
    ids[i].replace(0, std::min<size_t>(ids[i].size(), std::to_string(i).size()), std::to_string(i));
    f.id_number = ids[i];
    f.birth = first.plus_days(-pick(365 * 90) + 200);
    f.hukou = pick(8) ? p.region : *RegionCode::parse("110101");
    if (pick(3) == 0) f.residence = p.region;
    for (int k = pick(4); k > 0; --k) f.categories |= CategoryMask{1} << pick(kCategoryCount);
    f.disability_grade = static_cast<int8_t>(pick(3) ? 0 : pick(5));
    dated.clear();
    for (int c = 0; c < kCategoryCount; ++c)
      if ((f.categories >> c & 1) && pick(4) == 0)
        dated.push_back({static_cast<Category>(c), first.plus_days(-pick(500))});
    f.dated = dated;
    f.event = pick(4) == 0 ? static_cast<Event>(pick(7)) : Event::none;
    f.event_date = first.plus_days(-pick(400) + 100);
    f.employee_months = static_cast<int16_t>(pick(3) ? -1 : pick(40));
    f.parent_insured = static_cast<int8_t>(pick(3) - 1);
    f.has_paid_on = pick(3) != 0;
    f.paid_on = first.plus_days(-pick(200) + 120);
    f.has_registered_on = pick(4) == 0;
    f.registered_on = first.plus_days(-pick(200) + 60);
    f.insured_last_year = static_cast<int8_t>(pick(3) - 1);
    cols.push_back(f);
  }
  return cols;
}

}  // namespace

TEST(AssessThroughput, BatchSkipsOnlyRulesThatCannotApply) {
  const Date as_of = *Date::parse("2023-11-01");
  for (const auto& p : all_policies()) {
    std::vector<std::string> ids;
    const PersonColumns cols = random_persons(p, 20000, 15, ids);
    std::vector<AssessmentSummary> one(cols.size()), two(cols.size());
    assess_batch(p, cols, as_of, one, 1);
    assess_batch(p, cols, as_of, two, 2);
    Assessment a;
    Trace trace;
    for (size_t i = 0; i < cols.size(); ++i) {
      const PersonFacts f = cols.facts(i);
      trace.clear();
      assess(p, f, as_of, a, &trace);  // the trace path tries every rule
      const auto want = AssessmentSummary::of(a);
      for (const auto* got : {&one[i], &two[i]}) {
        ASSERT_EQ(got->due_fen, want.due_fen) << p.id << " row " << i;
        ASSERT_EQ(got->subsidy_fen, want.subsidy_fen) << p.id << " row " << i;
        ASSERT_EQ(got->winner, want.winner) << p.id << " row " << i;
        ASSERT_EQ(got->open, want.open) << p.id << " row " << i;
        ASSERT_EQ(got->flags, want.flags) << p.id << " row " << i;
        ASSERT_EQ(got->payment, want.payment) << p.id << " row " << i;
        ASSERT_EQ(got->coverage_start, want.coverage_start) << p.id << " row " << i;
        ASSERT_EQ(got->waiting_until, want.waiting_until) << p.id << " row " << i;
      }
    }
  }
}

namespace {
// What `canbao assess` wrote before the pipeline: one row at a time.
std::string sequential(const std::string& csv, const Policy& p, Date as_of, bool jsonl, bool trace_on,
                       std::vector<std::string>& errors) {
  io::RosterReader reader(io::CsvReader::from_memory(csv), as_of);
  io::RosterRecord rec;
  std::vector<io::RowError> errs;
  Assessment a;
  Trace trace;
  std::string out;
  if (!jsonl) append_csv_header(out);
  bool ok;
  while (reader.next(rec, ok, errs)) {
    if (!ok) continue;
    const PersonFacts f = rec.facts();
    trace.clear();
    assess(p, f, as_of, a, trace_on ? &trace : nullptr);
    if (jsonl) append_jsonl(p, f, a, trace_on ? &trace : nullptr, out);
    else append_csv(p, f, a, out);
  }
  for (auto& e : errs) errors.push_back(e.str());
  return out;
}
}  // namespace

TEST(AssessThroughput, PipelineWritesWhatRowByRowWritesInInputOrder) {
  const auto policies = all_policies();
  const Policy& p = policies.front();
  const Date as_of = p.coverage_period.first.plus_days(-30);
  // 20,000 rows (several chunks), every 997th one bad in a different way.
  std::string csv = "id_number,name,household_id,hukou_region,categories,paid_on\n";
  const char* ids[] = {"110101199003070011", "110101202301011233", "110101197512310029", "110101198808080087"};
  for (int i = 0; i < 20000; ++i) {
    const bool bad = i % 997 == 5;
    csv += bad && i % 2 ? "12345" : ids[i % 4];
    csv += ",姓名" + std::to_string(i) + ",H" + std::to_string(i / 3) + ",";
    csv += p.region.str();
    csv += i % 7 == 0 ? ",minimum_living" : i % 11 == 0 ? ",\"monitored;orphan\"" : ",";
    csv += bad && !(i % 2) ? ",2023-13-40\n" : ",\n";
  }
  for (bool jsonl : {true, false})
    for (unsigned workers : {1u, 3u}) {
      std::vector<std::string> want_errors, got_errors;
      const std::string want = sequential(csv, p, as_of, jsonl, jsonl, want_errors);
      io::RosterReader reader(io::CsvReader::from_memory(csv), as_of);
      io::RosterAssessOptions o;
      o.format = jsonl ? io::AssessFormat::jsonl : io::AssessFormat::csv;
      o.trace = jsonl;
      o.workers = workers;
      std::string got;
      io::RosterAssessSink sink;
      sink.write = [&](std::string_view b) { got.append(b); };
      sink.row_error = [&](const io::RowError& e) { got_errors.push_back(e.str()); };
      const auto r = io::assess_roster(reader, p, as_of, o, sink);
      EXPECT_EQ(got, want) << "jsonl " << jsonl << " workers " << workers;
      EXPECT_EQ(got_errors, want_errors);
      EXPECT_GT(r.bad, 0);
      EXPECT_EQ(r.good + r.bad, 20000);
      EXPECT_TRUE(r.read_error.empty());
    }
}

TEST(AssessThroughput, PipelineReportsAMalformedFileAfterTheRowsBeforeIt) {
  const auto policies = all_policies();
  const Policy& p = policies.front();
  std::string csv = "id_number,name,household_id,hukou_region\n";
  for (int i = 0; i < 5000; ++i) csv += "110101199003070011,a,H1," + p.region.str() + "\n";
  csv += "110101199003070011,\"never closed,H1,1101\n";
  io::RosterReader reader(io::CsvReader::from_memory(csv), p.coverage_period.first);
  io::RosterAssessSink sink;
  size_t lines = 0;
  sink.write = [&](std::string_view b) { lines += static_cast<size_t>(std::count(b.begin(), b.end(), '\n')); };
  sink.row_error = [](const io::RowError&) {};
  const auto r = io::assess_roster(reader, p, p.coverage_period.first, {}, sink);
  EXPECT_EQ(r.good, 5000);
  EXPECT_EQ(lines, 5000u);
  EXPECT_NE(r.read_error.find("not closed"), std::string::npos) << r.read_error;
}

TEST(AssessThroughput, CsvScanFindsEverySeparatorAtEveryOffset) {
  // Cells of every length 0..20 around separators, quotes and line ends, so
  // each special byte lands at each position of an 8-byte word.
  for (const char* sep : {",", "\n", "\r\n"}) {
    std::string data = "a,b\n";
    std::vector<std::string> want;
    for (int len = 0; len < 21; ++len) {
      std::string cell(static_cast<size_t>(len), 'x');
      for (int k = 0; k < len; ++k) cell[static_cast<size_t>(k)] = static_cast<char>('a' + (k + len) % 26);
      want.push_back(cell.empty() ? "-" : cell);
      data += want.back() + (std::string(sep) == "," ? ",q\"z" : "") + sep;
      if (std::string(sep) == ",") data += "\n";
    }
    auto r = io::CsvReader::from_memory(data);
    io::Row row;
    size_t i = 0;
    while (r->next(row)) {
      ASSERT_LT(i, want.size());
      ASSERT_GE(row.cells.size(), 1u);
      EXPECT_EQ(row.cells[0], want[i]) << "sep " << int(sep[0]) << " row " << i;
      if (std::string(sep) == ",") {
        EXPECT_EQ(row.cells[1], "q\"z");
      }
      ++i;
    }
    EXPECT_EQ(i, want.size());
  }
}
