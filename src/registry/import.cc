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

#include "core/id_number.h"
#include "io/roster.h"
#include "io/table.h"
#include "registry/sha256.h"

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

// Splits "低保;脱贫人口" (also full-width ；, 、 and ,).
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  size_t start = 0;
  auto push = [&](size_t end) {
    auto t = s.substr(start, end - start);
    while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
    while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
    if (!t.empty()) out.push_back(t);
  };
  for (size_t i = 0; i < s.size();) {
    size_t w = 0;
    if (s[i] == ';' || s[i] == ',') w = 1;
    else if (s.substr(i, 3) == "\xEF\xBC\x9B" || s.substr(i, 3) == "\xE3\x80\x81" || s.substr(i, 3) == "\xEF\xBC\x8C") w = 3;
    if (w) {
      push(i);
      i += w;
      start = i;
    } else {
      ++i;
    }
  }
  push(s.size());
  return out;
}

std::optional<int8_t> parse_yes_no(std::string_view s) {
  for (auto y : {"yes", "y", "true", "1", "是", "Y", "YES"}) if (s == y) return 1;
  for (auto n : {"no", "n", "false", "0", "否", "N", "NO"}) if (s == n) return 0;
  return std::nullopt;
}

// The common life cycle of one import batch.
class Batch {
 public:
  Batch(Store& st, const std::string& kind, const std::string& path, const ImportOptions& opt)
      : st_(st), kind_(kind), path_(path), opt_(opt) {}

  // False when the file was imported before (result says so).
  bool start() {
    res_.fingerprint = sha256_file(path_);
    if (auto prev = st_.find_import(kind_, res_.fingerprint)) {
      res_.already_imported = true;
      res_.batch_id = prev->id;
      res_.rows_total = prev->rows_total;
      res_.rows_written = prev->rows_written;
      res_.rows_rejected = prev->rows_rejected;
      res_.committed = true;
      return false;
    }
    reader_ = io::open_table(path_);
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
  ImportResult& result() { return res_; }
  int64_t id() const { return res_.batch_id; }
  // Whether good rows should still be written (all-or-nothing stops at the first bad row).
  bool writing() const { return opt_.mode == ImportMode::partial || res_.problems.empty(); }

  void problem(int64_t row, std::string column, std::string value, std::string reason) {
    if (res_.problems.size() < kMaxProblems)
      res_.problems.push_back({row, std::move(column), std::move(value), std::move(reason)});
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
      res_.problems.push_back({0, "", "", "文件没有数据行"}), reject = true, ++res_.rows_rejected;
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

  // Header problems end the import before any row is read.
  ImportResult fail_header(std::string column, std::string reason) {
    problem(reader_->header_row(), std::move(column), "", std::move(reason));
    force_reject_ = true;  // nothing can be written
    return finish(0);
  }

 private:
  std::string file_name() const {
    auto p = path_.find_last_of('/');
    return p == std::string::npos ? path_ : path_.substr(p + 1);
  }
  std::string mode_id() const { return opt_.mode == ImportMode::partial ? "partial" : "all_or_nothing"; }

  Store& st_;
  std::string kind_, path_;
  const ImportOptions& opt_;
  ImportResult res_;
  std::unique_ptr<io::TableReader> reader_;
  std::optional<Store::Transaction> tx_;
  int64_t bad_row_ = -1;
  bool truncated_ = false;
  bool force_reject_ = false;
  bool bulk_mode_ = false;
  bool initial_ = false;
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
}  // namespace

// Two threads: this one reads and validates rows into chunks while a writer
// thread stores the previous chunk (a database connection is used by one
// thread at a time: only the writer touches it while rows are read).
ImportResult import_roster(Store& st, const std::string& path, const ImportOptions& opt) {
  Batch batch(st, "roster", path, opt);
  if (!batch.start()) return batch.result();
  Columns cols(batch.reader().header());
  const int c_id = cols.find({"id_number", "身份证号", "公民身份号码", "身份证号码", "证件号码"});
  const int c_name = cols.find({"name", "姓名"});
  const int c_house = cols.find({"household_id", "户号", "户编号"});
  const int c_hukou = cols.find({"hukou_region", "户籍地区划", "户籍地区划代码"});
  const int c_res = cols.find({"residence_region", "居住地区划", "居住地区划代码"});
  const int c_cat = cols.find({"categories", "人员类别"});
  const int c_dis = cols.find({"disability_grade", "残疾等级"});
  const int c_ev = cols.find({"event", "特殊事件"});
  const int c_evd = cols.find({"event_date", "事件日期"});
  const int c_emp = cols.find({"employee_months", "职工医保连续缴费月数"});
  const int c_par = cols.find({"parent_insured", "父母参保"});
  const int c_paid = cols.find({"paid_on", "缴费日期"});
  const int c_school = cols.find({"school_region", "学校所在地", "学校所在地区划"});
  const int c_last = cols.find({"insured_last_year", "上年本地参保"});
  if (c_id < 0) return batch.fail_header("身份证号", missing_column("id_number", "身份证号"));
  if (c_name < 0) return batch.fail_header("姓名", missing_column("name", "姓名"));
  if (c_house < 0) return batch.fail_header("户号", missing_column("household_id", "户号"));
  if (c_hukou < 0) return batch.fail_header("户籍地区划", missing_column("hukou_region", "户籍地区划"));

  const bool partial = opt.mode == ImportMode::partial;
  const bool initial = batch.initial();
  const int64_t batch_id = batch.id();

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::unique_ptr<RosterChunk>> ready, spare;
  for (int i = 0; i < 3; ++i) spare.push_back(std::make_unique<RosterChunk>());
  std::atomic<bool> bad_seen{false}, writer_failed{false};
  int64_t written = 0;
  std::exception_ptr write_error;

  // The writer: the only user of `st` until it is joined.
  std::thread writer([&] {
    std::vector<store::Enrollment> es;
    for (;;) {
      std::unique_ptr<RosterChunk> c;
      {
        std::unique_lock lk(mu);
        cv.wait(lk, [&] { return !ready.empty(); });
        c = std::move(ready.front());
        ready.pop_front();
      }
      bool last = c->last;
      // All-or-nothing stops writing at the first bad row (it will roll back).
      if (!writer_failed && (partial || !bad_seen) && !c->ps.empty()) {
        try {
          if (initial || !st.any_households_exist(c->hs)) st.insert_households(c->hs);
          else st.put_households(c->hs);
          if (initial || !st.any_persons_exist(c->ps)) st.insert_persons(c->ps);
          else st.put_persons(c->ps);
          if (opt.enroll_year) {
            es.clear();
            for (size_t i = 0; i < c->ps.size(); ++i) {
              const auto& p = c->ps[i];
              store::Enrollment e;
              e.person = p.id_number;
              e.year = opt.enroll_year;
              e.place = p.residence.empty() ? p.hukou : p.residence;
              e.household = p.household;
              e.status = c->paid[i] ? store::EnrollmentStatus::paid : store::EnrollmentStatus::registered;
              e.paid_on = c->paid[i];
              es.push_back(std::move(e));
            }
            st.add_enrollments(es, !initial);
          }
          written += int64_t(c->ps.size());
        } catch (...) {
          write_error = std::current_exception();
          writer_failed = true;
        }
      }
      if (opt.progress) opt.progress(c->rows_total);
      c->hs.clear();
      c->ps.clear();
      c->paid.clear();
      std::lock_guard lk(mu);
      spare.push_back(std::move(c));
      cv.notify_all();
      if (last) return;
    }
  });

  auto take_spare = [&] {
    std::unique_lock lk(mu);
    cv.wait(lk, [&] { return !spare.empty(); });
    auto c = std::move(spare.front());
    spare.pop_front();
    return c;
  };
  auto hand_over = [&](std::unique_ptr<RosterChunk> c) {
    std::lock_guard lk(mu);
    ready.push_back(std::move(c));
    cv.notify_all();
  };

  std::unordered_set<std::string> households_seen;
  households_seen.reserve(1 << 16);
  IdRows ids_seen;
  std::unique_ptr<RosterChunk> chunk = take_spare();
  std::exception_ptr read_error;
  try {
    io::Row row;
    store::Person p;
    while (batch.reader().next(row)) {
      if (writer_failed) break;
      const int64_t n = row.number;
      auto bad = [&](int col, std::string value, std::string reason) {
        batch.problem(n, cols.name(col), std::move(value), std::move(reason));
      };
      p = store::Person{};
      p.import_batch = batch_id;
      // ID number
      std::string_view idt = cell(row, c_id);
      IdError err{};
      std::optional<IdNumber> id;
      if (row.lost_precision(size_t(c_id))) bad(c_id, mask_id(idt), "数值精度丢失，身份证号请以文本格式保存");
      else if (idt.empty()) bad(c_id, "", "身份证号不能为空");
      else if (!(id = IdNumber::parse(idt, opt.today, &err))) bad(c_id, mask_id(idt), std::string(id_error_message_zh(err)));
      else {
        if (int64_t first = ids_seen.insert(id->str(), n))
          bad(c_id, id->masked(), fmt::format("文件中身份证号重复（与第 {} 行相同）", first));
        p.birth = id->birth_date();
        p.male = id->male();
        p.id_number = id->str();
      }
      std::string_view name = cell(row, c_name);
      if (name.empty()) bad(c_name, "", "姓名不能为空");
      p.name = name;
      std::string_view house = cell(row, c_house);
      if (house.empty()) bad(c_house, "", "户号不能为空");
      p.household = house;
      std::string_view hk = cell(row, c_hukou);
      if (auto r = RegionCode::parse(hk)) {
        p.hukou = *r;
        if (!opt.scope.empty() && !r->inside(opt.scope))
          bad(c_hukou, std::string(hk), fmt::format("户籍地区划不在本次导入范围（{}）内", opt.scope.str()));
      } else {
        bad(c_hukou, std::string(hk), hk.empty() ? "户籍地区划不能为空" : std::string(io::kBadRegionZh));
      }
      if (auto t = cell(row, c_res); !t.empty()) {
        if (auto r = RegionCode::parse(t)) p.residence = *r;
        else bad(c_res, std::string(t), std::string(io::kBadRegionZh));
      }
      if (auto t = cell(row, c_school); !t.empty()) {
        if (auto r = RegionCode::parse(t)) p.school_region = *r;
        else bad(c_school, std::string(t), std::string(io::kBadRegionZh));
      }
      if (auto t = cell(row, c_dis); !t.empty()) {
        int64_t g;
        if (parse_int(t, g) && g >= 1 && g <= 4) p.disability_grade = int8_t(g);
        else bad(c_dis, std::string(t), "残疾等级应为1至4");
      }
      if (auto t = cell(row, c_ev); !t.empty()) {
        if (auto e = parse_event(t)) p.event = *e;
        else bad(c_ev, std::string(t), "未知的特殊事件");
      }
      if (auto t = cell(row, c_evd); !t.empty()) {
        if (auto d = Date::parse(t)) p.event_date = *d;
        else bad(c_evd, std::string(t), "事件日期无效（应为YYYY-MM-DD）");
      }
      if (p.event != Event::none && p.event != Event::birth && !p.event_date)
        bad(c_evd >= 0 ? c_evd : c_ev, "", "特殊事件需要填写事件日期");
      if (auto t = cell(row, c_emp); !t.empty()) {
        int64_t m;
        if (parse_int(t, m) && m >= 0 && m <= 1200) p.employee_months = int16_t(m);
        else bad(c_emp, std::string(t), "职工医保连续缴费月数应为0至1200的整数");
      }
      if (auto t = cell(row, c_par); !t.empty()) {
        if (auto v = parse_yes_no(t)) p.parent_insured = *v;
        else bad(c_par, std::string(t), "父母参保应填“是”或“否”");
      }
      // Validated like the assess reader; the registry itself knows who was
      // insured here last year from that year's enrollments, so it is not stored.
      if (auto t = cell(row, c_last); !t.empty() && !parse_yes_no(t))
        bad(c_last, std::string(t), std::string(io::kBadInsuredLastYearZh));
      std::optional<Date> paid;
      if (auto t = cell(row, c_paid); !t.empty()) {
        if (!(paid = Date::parse(t))) bad(c_paid, std::string(t), "缴费日期无效（应为YYYY-MM-DD）");
      }
      if (auto t = cell(row, c_cat); !t.empty()) {
        for (auto label : split_list(t)) {
          if (auto c = parse_category(label)) p.categories |= bit(*c);
          else bad(c_cat, std::string(label), "未知的人员类别");
        }
      }
      if (!batch.row_done(n)) {
        bad_seen = true;
        continue;
      }
      if (!partial && bad_seen) continue;  // nothing more will be written
      if (households_seen.insert(p.household).second) chunk->hs.push_back({p.household, p.hukou, p.id_number});
      chunk->ps.push_back(std::move(p));
      chunk->paid.push_back(paid);
      if (chunk->ps.size() >= opt.chunk) {
        chunk->rows_total = batch.result().rows_total;
        hand_over(std::move(chunk));
        chunk = take_spare();
      }
    }
  } catch (...) {
    read_error = std::current_exception();
  }
  chunk->rows_total = batch.result().rows_total;
  chunk->last = true;
  hand_over(std::move(chunk));
  writer.join();
  if (read_error) std::rethrow_exception(read_error);
  if (write_error) std::rethrow_exception(write_error);
  return batch.finish(written);
}

// ----------------------------------------------------------- subsidy list

ImportResult import_subsidy_list(Store& st, const std::string& path, const ImportOptions& opt,
                                 const SubsidyListDefaults& defaults) {
  Batch batch(st, "subsidy_list", path, opt);
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

// -------------------------------------------------------- employee roster

ImportResult import_employee_roster(Store& st, const std::string& path, const ImportOptions& opt, Date as_of) {
  Batch batch(st, "employee_roster", path, opt);
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

// ----------------------------------------------------------------- targets

ImportResult import_targets(Store& st, const std::string& path, const ImportOptions& opt, int year,
                            RegionCode parent) {
  Batch batch(st, "targets", path, opt);
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
