#include "registry/import.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <charconv>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "core/id_number.h"
#include "io/roster.h"
#include "io/table.h"
#include "io/table_memory.h"
#include "registry/sha256.h"
#include "store/bulk_load.h"

namespace canbao::registry {

using store::Store;

namespace {

constexpr size_t kMaxProblems = 10000;  // reported in full up to this many

std::string norm_header(std::string_view h) {
  if (h.starts_with("\xEF\xBB\xBF")) h.remove_prefix(3);
  std::string out;
  for (char c : h) {
    if (c == ' ' || c == '\t') continue;
    out += (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
  }
  // full-width space
  for (size_t p; (p = out.find("\xE3\x80\x80")) != std::string::npos;) out.erase(p, 3);
  return out;
}

// Column lookup by any of several names (normalised).
class Columns {
 public:
  explicit Columns(const std::vector<std::string>& header) : header_(header) {
    for (size_t i = 0; i < header.size(); ++i) norm_.push_back(norm_header(header[i]));
  }
  int find(std::initializer_list<std::string_view> names) const {
    for (auto n : names)
      for (size_t i = 0; i < norm_.size(); ++i)
        if (norm_[i] == n) return int(i);
    return -1;
  }
  const std::string& name(int i) const { return header_[size_t(i)]; }
  const std::string& norm(int i) const { return norm_[size_t(i)]; }
  size_t size() const { return header_.size(); }

 private:
  std::vector<std::string> header_, norm_;
};

std::string_view cell(const io::Row& r, int col) {
  if (col < 0 || size_t(col) >= r.cells.size()) return {};
  return r.cells[size_t(col)];
}

bool parse_int(std::string_view s, int64_t& v) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && p == s.data() + s.size();
}

// Where a batch reads from: a path streamed from disk, or an upload's bytes.
// Both give the same fingerprint for the same content, so an upload of a file
// imported from the command line is recognised.
struct Source {
  std::string path;  // empty for an upload
  ImportFile upload;

  static Source file(const std::string& path) { return {path, {}}; }
  static Source memory(ImportFile f) { return {{}, std::move(f)}; }
  // What the batch records: the file's own name, without directories.
  std::string name() const {
    const std::string& n = path.empty() ? upload.name : path;
    auto p = n.find_last_of(path.empty() ? "/\\" : "/");
    return p == std::string::npos ? n : n.substr(p + 1);
  }
};

// The common life cycle of one import batch.
class Batch {
 public:
  Batch(Store& st, const std::string& kind, Source src, const ImportOptions& opt)
      : st_(st), kind_(kind), src_(std::move(src)), opt_(opt) {}

  // False when the file was imported before (result says so).
  bool start() {
    const bool upload = src_.path.empty();
    res_.fingerprint = upload ? sha256_hex(src_.upload.bytes) : sha256_file(src_.path);
    if (auto prev = st_.find_import(kind_, res_.fingerprint)) {
      res_.already_imported = true;
      res_.batch_id = prev->id;
      res_.rows_total = prev->rows_total;
      res_.rows_written = prev->rows_written;
      res_.rows_rejected = prev->rows_rejected;
      res_.committed = true;
      return false;
    }
    reader_ = upload ? io::open_table_memory(std::move(src_.upload.bytes), src_.upload.name) : io::open_table(src_.path);
    header_row_ = reader_->header_row();
    st_.set_bulk_mode(true);
    bulk_mode_ = true;
    tx_.emplace(st_.transaction());
    // Rosters are the big loads: on an empty registry the persons and
    // households indexes are dropped now and built once at the end.
    if (kind_ == "roster") initial_ = st_.bulk_begin();
    store::ImportBatch b;
    b.kind = kind_;
    b.file_name = file_name();
    b.fingerprint = res_.fingerprint;
    b.mode = mode_id();
    b.status = "committed";
    b.actor = opt_.actor;
    b.region = opt_.scope;
    res_.batch_id = st_.add_import(b);
    return true;
  }

  ~Batch() {
    tx_.reset();
    if (bulk_mode_) {
      try { st_.set_bulk_mode(false); } catch (...) {}
    }
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Persons and households tables were empty at start (plain inserts only).
  bool initial() const { return initial_; }
  io::TableReader& reader() { return *reader_; }
  // For a reader that owns its table (io::RosterReader).
  std::unique_ptr<io::TableReader> take_reader() { return std::move(reader_); }
  ImportResult& result() { return res_; }
  int64_t id() const { return res_.batch_id; }
  // Whether good rows should still be written (all-or-nothing stops at the first bad row).
  bool writing() const { return opt_.mode == ImportMode::partial || res_.problems.empty(); }

  void problem(int64_t row, std::string column, std::string value, std::string reason, std::string reason_en = {}) {
    if (res_.problems.size() < kMaxProblems)
      res_.problems.push_back({row, std::move(column), std::move(value), std::move(reason), std::move(reason_en)});
    else
      truncated_ = true;
    bad_row_ = row;
  }
  // Counts a finished row: bad when problem() was called for it.
  bool row_done(int64_t row) {
    ++res_.rows_total;
    if (bad_row_ == row) {
      ++res_.rows_rejected;
      return false;
    }
    return true;
  }

  ImportResult finish(int64_t written) {
    bool reject = force_reject_ || (opt_.mode == ImportMode::all_or_nothing && res_.rows_rejected > 0);
    if (res_.rows_total == 0 && res_.problems.empty())
      res_.problems.push_back({0, "", "", "文件没有数据行", "the file has no data rows"}), reject = true,
          ++res_.rows_rejected;
    store::ImportBatch b;
    b.id = res_.batch_id;
    b.rows_total = res_.rows_total;
    b.rows_rejected = res_.rows_rejected;
    b.report_json = res_.report_json();
    if (reject) {
      tx_.reset();  // rollback: nothing written (indexes dropped by bulk_begin come back too)
      st_.set_bulk_mode(false);
      bulk_mode_ = false;
      res_.rows_written = 0;
      b.kind = kind_;
      b.file_name = file_name();
      b.fingerprint = res_.fingerprint;
      b.mode = mode_id();
      b.status = "rejected";
      b.actor = opt_.actor;
      b.region = opt_.scope;
      auto tx = st_.transaction();
      res_.batch_id = st_.add_import(b);
      st_.audit({"", opt_.actor, "import_rejected", "import_batch", std::to_string(res_.batch_id), "",
                 fmt::format(R"({{"kind":"{}","rows":{},"rejected":{}}})", kind_, res_.rows_total,
                             res_.rows_rejected),
                 opt_.scope});
      tx.commit();
      res_.committed = false;
      return res_;
    }
    res_.rows_written = written;
    b.rows_written = written;
    b.status = "committed";
    if (initial_) st_.bulk_end();
    if (before_commit_) before_commit_();
    st_.update_import(b);
    st_.audit({"", opt_.actor, "import", "import_batch", std::to_string(res_.batch_id), "",
               fmt::format(R"({{"kind":"{}","rows":{},"written":{},"rejected":{}}})", kind_, res_.rows_total,
                           written, res_.rows_rejected),
               opt_.scope});
    tx_->commit();
    tx_.reset();
    st_.set_bulk_mode(false);
    bulk_mode_ = false;
    res_.committed = true;
    return res_;
  }

  // Runs inside the batch's transaction just before a commit (never for a
  // rejected batch, whose rollback undoes everything by itself).
  void before_commit(std::function<void()> f) { before_commit_ = std::move(f); }

  // Header problems end the import before any row is read.
  ImportResult fail_header(std::string column, std::string reason) {
    problem(header_row_, std::move(column), "", std::move(reason));
    force_reject_ = true;  // nothing can be written
    return finish(0);
  }

 private:
  std::string file_name() const { return src_.name(); }
  std::string mode_id() const { return opt_.mode == ImportMode::partial ? "partial" : "all_or_nothing"; }

  Store& st_;
  std::string kind_;
  Source src_;
  const ImportOptions& opt_;
  ImportResult res_;
  std::unique_ptr<io::TableReader> reader_;
  std::optional<Store::Transaction> tx_;
  int64_t header_row_ = 0;
  int64_t bad_row_ = -1;
  bool truncated_ = false;
  bool force_reject_ = false;
  bool bulk_mode_ = false;
  bool initial_ = false;
  std::function<void()> before_commit_;
};

std::string missing_column(std::string_view en, std::string_view zh) {
  return fmt::format("缺少必填列“{}”（{}）", zh, en);
}

}  // namespace

std::string ImportResult::report_json() const {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& p : problems)
    j.push_back({{"row", p.row}, {"column", p.column}, {"value", p.value}, {"reason", p.reason}});
  return j.dump();
}

// ---------------------------------------------------------------- roster

namespace {
// ID number (first 17 digits as a number; the 18th is their check digit) →
// first row it was seen on. Open addressing: a county's 1.6 million IDs in
// ~50 MB without a heap node per entry.
class IdRows {
 public:
  IdRows() : slots_(1 << 16) {}
  // Returns 0 when new, else the row it was first seen on.
  int64_t insert(std::string_view id18, int64_t row) {
    uint64_t k = 1;  // never 0 (0 marks an empty slot)
    for (size_t i = 0; i < 17 && i < id18.size(); ++i) k = k * 10 + uint64_t(id18[i] - '0');
    if ((used_ + 1) * 2 > slots_.size()) grow();
    return put(k, row);
  }

 private:
  int64_t put(uint64_t k, int64_t row) {
    size_t mask = slots_.size() - 1;
    for (size_t i = (k * 0x9E3779B97F4A7C15ULL) >> 20 & mask;; i = (i + 1) & mask) {
      if (slots_[i].first == 0) {
        slots_[i] = {k, row};
        ++used_;
        return 0;
      }
      if (slots_[i].first == k) return slots_[i].second;
    }
  }
  void grow() {
    std::vector<std::pair<uint64_t, int64_t>> old(slots_.size() * 2);
    old.swap(slots_);
    used_ = 0;
    for (auto& [k, r] : old)
      if (k) put(k, r);
  }
  std::vector<std::pair<uint64_t, int64_t>> slots_;
  size_t used_ = 0;
};

struct RosterChunk {
  std::vector<store::Household> hs;
  std::vector<store::Person> ps;
  std::vector<std::optional<Date>> paid;  // per person, for enrollments
  int64_t rows_total = 0;
  bool last = false;
};

// The registry's copy of a roster row. A birth's 事件日期 is stored only when
// the file gave it (the reader fills it from the ID for the engine), and the
// categories' certification days are not kept: roster categories are stored
// undated on the person, dated ones come from department lists.
void to_person(const io::RosterRecord& r, int64_t batch_id, store::Person& p) {
  p = store::Person{};
  p.id_number = r.id_number;
  p.name = r.name;
  p.birth = r.birth;
  p.male = r.male;
  p.household = r.household_id;
  p.hukou = r.hukou;
  p.residence = r.residence;
  p.school_region = r.school;
  p.disability_grade = r.disability_grade;
  p.event = r.event;
  if (r.event_date_given) p.event_date = r.event_date;
  p.employee_months = r.employee_months;
  p.parent_insured = r.parent_insured;
  p.categories = r.categories;
  p.import_batch = batch_id;
}

// Two threads: the caller's reads and validates rows into chunks while this
// one's thread stores the previous chunk (a database connection is used by one
// thread at a time: only the writer touches the store while rows are read).
class RosterWriter {
 public:
  RosterWriter(Store& st, const ImportOptions& opt, bool initial)
      : st_(st), opt_(opt), initial_(initial), partial_(opt.mode == ImportMode::partial) {
    for (int i = 0; i < 3; ++i) spare_.push_back(std::make_unique<RosterChunk>());
    chunk_ = take_spare();
    thread_ = std::thread([this] { run(); });
  }
  // Only reached unjoined when the caller never got to finish(): stop the
  // thread rather than let std::thread terminate the process.
  ~RosterWriter() {
    if (thread_.joinable()) try { finish(0); } catch (...) {}
  }
  RosterWriter(const RosterWriter&) = delete;
  RosterWriter& operator=(const RosterWriter&) = delete;

  // The chunk the reading thread fills.
  RosterChunk& chunk() { return *chunk_; }
  // Passes the chunk on once it holds opt.chunk persons.
  void flush_if_full(int64_t rows_total) {
    if (chunk_->ps.size() < opt_.chunk) return;
    chunk_->rows_total = rows_total;
    hand_over(std::move(chunk_));
    chunk_ = take_spare();
  }
  // A bad row was read: all-or-nothing writes nothing more (it will roll back).
  void bad_row() { bad_seen_ = true; }
  bool writing() const { return partial_ || !bad_seen_; }
  bool failed() const { return failed_; }
  // Hands over the last chunk and waits for the writer. Returns the persons
  // written; rethrows what the writer threw.
  int64_t finish(int64_t rows_total) {
    chunk_->rows_total = rows_total;
    chunk_->last = true;
    hand_over(std::move(chunk_));
    thread_.join();
    if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
    return written_;
  }

 private:
  std::unique_ptr<RosterChunk> take_spare() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [&] { return !spare_.empty(); });
    auto c = std::move(spare_.front());
    spare_.pop_front();
    return c;
  }
  void hand_over(std::unique_ptr<RosterChunk> c) {
    std::lock_guard lk(mu_);
    ready_.push_back(std::move(c));
    cv_.notify_all();
  }

  void run() {
    for (;;) {
      std::unique_ptr<RosterChunk> c;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return !ready_.empty(); });
        c = std::move(ready_.front());
        ready_.pop_front();
      }
      bool last = c->last;
      if (!failed_ && writing() && !c->ps.empty()) {
        try {
          write(*c);
        } catch (...) {
          error_ = std::current_exception();
          failed_ = true;
        }
      }
      if (opt_.progress) opt_.progress(c->rows_total);
      c->hs.clear();
      c->ps.clear();
      c->paid.clear();
      std::lock_guard lk(mu_);
      spare_.push_back(std::move(c));
      cv_.notify_all();
      if (last) return;
    }
  }

  // On a first load plain inserts; otherwise upserts once any row exists.
  // A household is written once, from its first person in the file: the
  // writer keeps the households seen (off the reading thread, which is the
  // import's critical path).
  void write(RosterChunk& c) {
    for (const auto& p : c.ps)
      if (households_seen_.insert(p.household).second) c.hs.push_back({p.household, p.hukou, p.id_number});
    if (initial_ || !st_.any_households_exist(c.hs)) st_.insert_households(c.hs);
    else st_.put_households(c.hs);
    if (initial_ || !st_.any_persons_exist(c.ps)) st_.insert_persons(c.ps);
    else st_.put_persons(c.ps);
    if (opt_.enroll_year) {
      enrollments_.clear();
      for (size_t i = 0; i < c.ps.size(); ++i) {
        const auto& p = c.ps[i];
        store::Enrollment e;
        e.person = p.id_number;
        e.year = opt_.enroll_year;
        e.place = p.residence.empty() ? p.hukou : p.residence;
        e.household = p.household;
        e.status = c.paid[i] ? store::EnrollmentStatus::paid : store::EnrollmentStatus::registered;
        e.paid_on = c.paid[i];
        enrollments_.push_back(std::move(e));
      }
      st_.add_enrollments(enrollments_, !initial_);
    }
    written_ += int64_t(c.ps.size());
  }

  Store& st_;
  const ImportOptions& opt_;
  const bool initial_, partial_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<RosterChunk>> ready_, spare_;
  std::unique_ptr<RosterChunk> chunk_;
  std::atomic<bool> bad_seen_{false}, failed_{false};
  int64_t written_ = 0;  // the writer's until joined
  std::exception_ptr error_;
  std::vector<store::Enrollment> enrollments_;
  std::unordered_set<std::string> households_seen_;  // the writer thread's
  std::thread thread_;  // last: started once everything above exists
};

// Every row through the reader's checks, then the registry's own: a person
// once per file (the registry's key) and the hukou inside the importer's scope.
void read_roster_rows(io::RosterReader& rr, Batch& batch, RosterWriter& w, const ImportOptions& opt) {
  const std::string id_header = rr.column_header(io::RosterColumn::id_number);
  const std::string hukou_header = rr.column_header(io::RosterColumn::hukou_region);
  IdRows ids_seen;
  io::RosterRecord rec;
  std::vector<io::RowError> errors;
  bool ok = false;
  while (rr.next(rec, ok, errors)) {
    if (w.failed()) break;
    const int64_t n = rr.row_number();
    for (auto& e : errors)
      batch.problem(e.row, std::move(e.column), std::move(e.value), std::move(e.reason_zh), std::move(e.reason_en));
    errors.clear();
    if (!rec.id_number.empty())
      if (int64_t first = ids_seen.insert(rec.id_number, n))
        batch.problem(n, id_header, mask_id(rec.id_number), fmt::format("文件中身份证号重复（与第 {} 行相同）", first),
                      fmt::format("the ID number repeats row {}", first));
    if (!rec.hukou.empty() && !opt.scope.empty() && !rec.hukou.inside(opt.scope))
      batch.problem(n, hukou_header, rec.hukou.str(),
                    fmt::format("户籍地区划不在本次导入范围（{}）内", opt.scope.str()),
                    fmt::format("hukou_region is outside this import's scope ({})", opt.scope.str()));
    if (!batch.row_done(n)) {
      w.bad_row();
      continue;
    }
    if (!w.writing()) continue;  // all-or-nothing after a bad row: nothing more will be written
    RosterChunk& c = w.chunk();
    c.ps.emplace_back();
    to_person(rec, batch.id(), c.ps.back());
    c.paid.push_back(rec.has_paid_on ? std::optional<Date>(rec.paid_on) : std::nullopt);
    w.flush_if_full(batch.result().rows_total);
  }
}

ImportResult import_roster(Store& st, Source src, const ImportOptions& opt) {
  Batch batch(st, "roster", std::move(src), opt);
  if (!batch.start()) return batch.result();
  std::optional<io::RosterReader> rr;
  try {
    rr.emplace(batch.take_reader(), opt.today);
  } catch (const io::RosterHeaderError& e) {
    return batch.fail_header(e.column, e.zh);
  }
  // A first load with a year enrolls everyone: the counters are recounted
  // once at the end instead of by the trigger per enrollment.
  std::optional<store::EnrollmentCountersPaused> counters;
  if (batch.initial() && opt.enroll_year) {
    counters.emplace(st);
    batch.before_commit([&] { counters->finish(); });
  }
  int64_t written = 0;
  {
    RosterWriter w(st, opt, batch.initial());
    std::exception_ptr read_error;
    try {
      read_roster_rows(*rr, batch, w, opt);
    } catch (...) {
      read_error = std::current_exception();
    }
    written = w.finish(batch.result().rows_total);  // joins first, whatever the reader threw
    if (read_error) std::rethrow_exception(read_error);
  }
  return batch.finish(written);
}
}  // namespace

ImportResult import_roster(Store& st, ImportFile file, const ImportOptions& opt) {
  return import_roster(st, Source::memory(std::move(file)), opt);
}
ImportResult import_roster(Store& st, const std::string& path, const ImportOptions& opt) {
  return import_roster(st, Source::file(path), opt);
}

// ----------------------------------------------------------- subsidy list

namespace {
ImportResult import_subsidy_list(Store& st, Source src, const ImportOptions& opt, const SubsidyListDefaults& defaults) {
  Batch batch(st, "subsidy_list", std::move(src), opt);
  if (!batch.start()) return batch.result();
  Columns cols(batch.reader().header());
  const int c_dep = cols.find({"department", "部门", "资助部门", "认定部门"});
  const int c_cat = cols.find({"category", "人员类别", "类别"});
  const int c_asof = cols.find({"as_of", "截止日期", "名单日期", "认定截止日期"});
  const int c_id = cols.find({"id_number", "身份证号", "公民身份号码", "身份证号码", "证件号码"});
  const int c_name = cols.find({"name", "姓名"});
  const int c_listed = cols.find({"listed_on", "列入日期", "认定日期", "纳入日期"});
  if (c_id < 0) return batch.fail_header("身份证号", missing_column("id_number", "身份证号"));
  if (c_dep < 0 && defaults.department.empty()) return batch.fail_header("部门", missing_column("department", "部门"));
  if (c_cat < 0 && !defaults.category) return batch.fail_header("人员类别", missing_column("category", "人员类别"));
  if (c_asof < 0 && !defaults.as_of) return batch.fail_header("截止日期", missing_column("as_of", "截止日期"));

  struct Key {
    std::string dep;
    Category cat;
    int32_t as_of;
    bool operator<(const Key& o) const { return std::tie(dep, cat, as_of) < std::tie(o.dep, o.cat, o.as_of); }
  };
  struct Pending {
    store::SubsidyListEntry e;
    Key key;
    int64_t row;
  };
  std::vector<Pending> rows;
  std::set<std::pair<std::string, std::string>> seen;  // (person, dep|cat|as_of)
  io::Row row;
  while (batch.reader().next(row)) {
    const int64_t n = row.number;
    auto bad = [&](int col, std::string value, std::string reason) {
      batch.problem(n, col >= 0 ? cols.name(col) : "", std::move(value), std::move(reason));
    };
    Pending pd{};
    pd.row = n;
    std::string_view idt = cell(row, c_id);
    IdError err{};
    std::optional<IdNumber> id;
    if (row.lost_precision(size_t(c_id))) bad(c_id, mask_id(idt), "数值精度丢失，身份证号请以文本格式保存");
    else if (!(id = IdNumber::parse(idt, opt.today, &err)))
      bad(c_id, mask_id(idt), idt.empty() ? "身份证号不能为空" : std::string(id_error_message_zh(err)));
    else {
      pd.e.person = id->str();
      pd.e.region = RegionCode::parse(id->region_prefix()).value_or(RegionCode{});
    }
    pd.e.name = cell(row, c_name);
    pd.key.dep = c_dep >= 0 && !cell(row, c_dep).empty() ? std::string(cell(row, c_dep)) : defaults.department;
    if (pd.key.dep.empty()) bad(c_dep, "", "部门不能为空");
    if (auto t = cell(row, c_cat); c_cat >= 0 && !t.empty()) {
      if (auto c = parse_category(t)) pd.key.cat = *c;
      else bad(c_cat, std::string(t), "未知的人员类别");
    } else if (defaults.category) {
      pd.key.cat = *defaults.category;
    } else {
      bad(c_cat, "", "人员类别不能为空");
    }
    if (auto t = cell(row, c_asof); c_asof >= 0 && !t.empty()) {
      if (auto d = Date::parse(t)) pd.key.as_of = d->days;
      else bad(c_asof, std::string(t), "截止日期无效（应为YYYY-MM-DD）");
    } else if (defaults.as_of) {
      pd.key.as_of = defaults.as_of->days;
    } else {
      bad(c_asof, "", "截止日期不能为空");
    }
    if (auto t = cell(row, c_listed); !t.empty()) {
      if (auto d = Date::parse(t)) pd.e.listed_on = *d;
      else bad(c_listed, std::string(t), "列入日期无效（应为YYYY-MM-DD）");
    }
    if (!pd.e.person.empty()) {
      auto k = fmt::format("{}|{}|{}", pd.key.dep, int(pd.key.cat), pd.key.as_of);
      if (!seen.insert({pd.e.person, k}).second) bad(c_id, mask_id(pd.e.person), "同一名单中身份证号重复");
    }
    if (batch.row_done(n) && batch.writing()) rows.push_back(std::move(pd));
  }
  int64_t written = 0;
  if (batch.writing()) {
    std::map<Key, int64_t> batches;
    std::vector<store::SubsidyListEntry> es;
    std::vector<store::PersonCategory> cs;
    // 剔重: persons already on another department's list (or on two lists of this file).
    std::map<std::string, std::set<std::string>> deps_of;
    for (auto& pd : rows) {
      auto [it, fresh] = batches.try_emplace(pd.key, 0);
      if (fresh)
        it->second = st.add_subsidy_list({0, pd.key.dep, pd.key.cat, Date{pd.key.as_of},
                                          opt.scope.empty() ? pd.e.region : opt.scope, batch.id()});
      pd.e.batch = it->second;
      es.push_back(pd.e);
      cs.push_back({pd.e.person, pd.key.cat, pd.key.dep, Date{pd.key.as_of},
                    pd.e.listed_on, std::nullopt, it->second, pd.e.region});
      auto& deps = deps_of[pd.e.person];
      if (deps.empty())
        for (const auto& prev : st.categories_of(pd.e.person))
          if (prev.source != "roster" && prev.source != pd.key.dep) deps.insert(prev.source);
      deps.insert(pd.key.dep);
      if (deps.size() > 1) {
        std::string list;
        for (auto& d : deps) list += (list.empty() ? "" : "、") + d;
        batch.result().findings.push_back(
            {pd.row, "cross_department",
             fmt::format("{} 同时在多个部门名单中（{}），资助就高不重复，请剔重核实", mask_id(pd.e.person), list)});
      }
    }
    st.add_subsidy_entries(es);
    st.add_categories(cs);
    written = int64_t(es.size());
  }
  return batch.finish(written);
}

}  // namespace

ImportResult import_subsidy_list(Store& st, ImportFile file, const ImportOptions& opt,
                                 const SubsidyListDefaults& defaults) {
  return import_subsidy_list(st, Source::memory(std::move(file)), opt, defaults);
}
ImportResult import_subsidy_list(Store& st, const std::string& path, const ImportOptions& opt,
                                 const SubsidyListDefaults& defaults) {
  return import_subsidy_list(st, Source::file(path), opt, defaults);
}

// -------------------------------------------------------- employee roster

namespace {
ImportResult import_employee_roster(Store& st, Source src, const ImportOptions& opt, Date as_of) {
  Batch batch(st, "employee_roster", std::move(src), opt);
  if (!batch.start()) return batch.result();
  Columns cols(batch.reader().header());
  const int c_id = cols.find({"id_number", "身份证号", "公民身份号码", "身份证号码", "证件号码"});
  const int c_name = cols.find({"name", "姓名"});
  const int c_emp = cols.find({"employer", "单位", "单位名称", "参保单位"});
  const int c_from = cols.find({"insured_from", "参保日期", "参保开始日期"});
  const int c_to = cols.find({"insured_to", "停保日期", "参保结束日期"});
  if (c_id < 0) return batch.fail_header("身份证号", missing_column("id_number", "身份证号"));
  std::vector<store::EmployeeInsured> es;
  std::unordered_set<std::string> seen;
  io::Row row;
  while (batch.reader().next(row)) {
    const int64_t n = row.number;
    auto bad = [&](int col, std::string value, std::string reason) {
      batch.problem(n, cols.name(col), std::move(value), std::move(reason));
    };
    store::EmployeeInsured e;
    e.as_of = as_of;
    e.import_batch = batch.id();
    std::string_view idt = cell(row, c_id);
    IdError err{};
    std::optional<IdNumber> id;
    if (row.lost_precision(size_t(c_id))) bad(c_id, mask_id(idt), "数值精度丢失，身份证号请以文本格式保存");
    else if (!(id = IdNumber::parse(idt, opt.today, &err)))
      bad(c_id, mask_id(idt), idt.empty() ? "身份证号不能为空" : std::string(id_error_message_zh(err)));
    else {
      e.person = id->str();
      e.region = RegionCode::parse(id->region_prefix()).value_or(RegionCode{});
      if (!seen.insert(e.person).second) bad(c_id, id->masked(), "文件中身份证号重复");
    }
    e.name = cell(row, c_name);
    e.employer = cell(row, c_emp);
    if (auto t = cell(row, c_from); !t.empty()) {
      if (auto d = Date::parse(t)) e.insured_from = *d;
      else bad(c_from, std::string(t), "参保日期无效（应为YYYY-MM-DD）");
    }
    if (auto t = cell(row, c_to); !t.empty()) {
      if (auto d = Date::parse(t)) e.insured_to = *d;
      else bad(c_to, std::string(t), "停保日期无效（应为YYYY-MM-DD）");
    }
    if (batch.row_done(n) && batch.writing()) es.push_back(std::move(e));
  }
  if (batch.writing()) {
    st.add_employee_insured(es);
    // The facts builder reads categories: being on the roster is 已参加职工医保 until insured_to.
    std::vector<store::PersonCategory> cs;
    cs.reserve(es.size());
    for (auto& e : es)
      cs.push_back({e.person, Category::employee_insured, "employee_roster", as_of, std::nullopt, e.insured_to,
                    0, e.region});
    st.add_categories(cs);
  }
  return batch.finish(batch.writing() ? int64_t(es.size()) : 0);
}

}  // namespace

ImportResult import_employee_roster(Store& st, ImportFile file, const ImportOptions& opt, Date as_of) {
  return import_employee_roster(st, Source::memory(std::move(file)), opt, as_of);
}
ImportResult import_employee_roster(Store& st, const std::string& path, const ImportOptions& opt, Date as_of) {
  return import_employee_roster(st, Source::file(path), opt, as_of);
}

// ----------------------------------------------------------------- targets

namespace {
ImportResult import_targets(Store& st, Source src, const ImportOptions& opt, int year, RegionCode parent) {
  Batch batch(st, "targets", std::move(src), opt);
  if (!batch.start()) return batch.result();
  Columns cols(batch.reader().header());
  const int c_unit = cols.find({"unit", "name", "单位", "村名", "县区", "乡镇", "镇（街）", "村（社区）", "地区"});
  const int c_code = cols.find({"region", "region_code", "区划代码", "行政区划代码"});
  int c_target = cols.find({"target", "任务数", "参保任务数", "应参保人数", "参保目标"});
  if (c_target < 0)  // "2024年任务数", "2024年参保目标"
    for (size_t i = 0; i < cols.size(); ++i) {
      const auto& h = cols.norm(int(i));
      if ((h.ends_with("任务数") || h.ends_with("参保目标")) && c_target < 0) c_target = int(i);
    }
  if (c_unit < 0) return batch.fail_header("单位", missing_column("unit", "单位"));
  if (c_target < 0) return batch.fail_header("任务数", missing_column("target", "任务数"));
  std::map<std::string, RegionCode> by_name;
  if (!parent.empty())
    for (auto& r : st.regions_under(parent)) by_name.emplace(norm_header(r.name), r.code);
  std::vector<store::Target> ts;
  std::vector<std::pair<int64_t, std::vector<int64_t>>> totals;  // row, values of 合计
  std::vector<int64_t> sums(cols.size(), 0);
  io::Row row;
  while (batch.reader().next(row)) {
    const int64_t n = row.number;
    auto bad = [&](int col, std::string value, std::string reason) {
      batch.problem(n, cols.name(col), std::move(value), std::move(reason));
    };
    std::string unit = norm_header(cell(row, c_unit));
    if (unit.empty()) bad(c_unit, "", "单位名称不能为空");
    std::vector<int64_t> vals(cols.size(), -1);
    nlohmann::json extra = nlohmann::json::object();
    for (size_t i = 0; i < cols.size(); ++i) {
      if (int(i) == c_unit || int(i) == c_code) continue;
      auto t = cell(row, int(i));
      if (t.empty()) {
        if (int(i) == c_target) bad(c_target, "", "任务数不能为空");
        continue;
      }
      int64_t v;
      if (!parse_int(t, v) || v < 0) {
        bad(int(i), std::string(t), "应为非负整数");
        continue;
      }
      vals[i] = v;
      if (int(i) != c_target) extra[cols.name(int(i))] = v;
    }
    bool total_row = unit == "合计" || unit == "总计";
    store::Target t;
    t.year = year;
    t.unit = unit;
    if (auto code = cell(row, c_code); !code.empty()) {
      if (auto r = RegionCode::parse(code)) t.region = *r;
      else bad(c_code, std::string(code), "区划代码无效");
    } else if (auto it = by_name.find(unit); it != by_name.end()) {
      t.region = it->second;
    } else {
      t.region = parent;
    }
    if (t.region.empty() && !total_row) bad(c_code >= 0 ? c_code : c_unit, unit, "无法确定单位的区划代码");
    if (!batch.row_done(n)) continue;
    if (total_row) {
      totals.push_back({n, vals});
      continue;
    }
    for (size_t i = 0; i < cols.size(); ++i)
      if (vals[i] > 0) sums[i] += vals[i];
    t.target = vals[size_t(c_target)];
    t.extra_json = extra.dump();
    if (batch.writing()) ts.push_back(std::move(t));
  }
  for (auto& [n, vals] : totals)
    for (size_t i = 0; i < cols.size(); ++i)
      if (vals[i] >= 0 && vals[i] != sums[i])
        batch.result().findings.push_back(
            {n, "total_mismatch", fmt::format("“{}”合计 {} 与各单位之和 {} 不一致", cols.name(int(i)), vals[i], sums[i])});
  if (batch.writing()) st.put_targets(ts);
  return batch.finish(batch.writing() ? int64_t(ts.size()) : 0);
}

}  // namespace

ImportResult import_targets(Store& st, ImportFile file, const ImportOptions& opt, int year, RegionCode parent) {
  return import_targets(st, Source::memory(std::move(file)), opt, year, parent);
}
ImportResult import_targets(Store& st, const std::string& path, const ImportOptions& opt, int year,
                            RegionCode parent) {
  return import_targets(st, Source::file(path), opt, year, parent);
}

std::vector<std::string> import_template_header(std::string_view kind) {
  if (kind == "roster") {
    std::vector<std::string> h;
    for (int c = 0; c < static_cast<int>(io::RosterColumn::count_); ++c)
      h.emplace_back(io::roster_column_name_zh(static_cast<io::RosterColumn>(c)));
    return h;
  }
  if (kind == "subsidy_list") return {"部门", "人员类别", "截止日期", "身份证号", "姓名", "列入日期"};
  if (kind == "employee_roster") return {"身份证号", "姓名", "单位", "参保日期", "停保日期"};
  if (kind == "targets") return {"单位", "区划代码", "任务数"};
  if (kind == "payments") return {"身份证号", "姓名", "电子税票号码", "缴费金额", "缴费时间", "缴费年度"};
  return {};
}

}  // namespace canbao::registry
