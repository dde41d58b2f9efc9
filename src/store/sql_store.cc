#include "store/sql_store.h"
#include "store/in_lists.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <unordered_set>

namespace canbao::store::detail {

size_t render_date(int32_t days, char* buf) {
  int y, m, d;
  Date{days}.ymd(y, m, d);
  buf[0] = char('0' + y / 1000 % 10);
  buf[1] = char('0' + y / 100 % 10);
  buf[2] = char('0' + y / 10 % 10);
  buf[3] = char('0' + y % 10);
  buf[4] = '-';
  buf[5] = char('0' + m / 10);
  buf[6] = char('0' + m % 10);
  buf[7] = '-';
  buf[8] = char('0' + d / 10);
  buf[9] = char('0' + d % 10);
  buf[10] = 0;
  return 10;
}

std::optional<Date> RowView::date(int col) const {
  if (null(col)) return std::nullopt;
  return Date::parse(s(col));
}

RegionCode RowView::region(int col) const {
  if (null(col)) return {};
  return region_from_number(i(col));
}

RegionCode region_from_number(int64_t n) {
  if (n <= 0) return {};
  return RegionCode::parse(fmt::format("{:012d}", n)).value_or(RegionCode{});
}

std::pair<int64_t, int64_t> region_range(RegionCode scope) {
  if (scope.empty()) return {0, 999999999999LL};
  int64_t span = 1;
  for (int k = 0; k < 12 - static_cast<int>(scope.level()); ++k) span *= 10;
  int64_t lo = static_cast<int64_t>(scope.padded_number());
  return {lo, lo + span - 1};
}

std::string now_iso() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// ---------------------------------------------------------------- migrations

void SqlStore::migrate(bool apply) {
  exec_script(
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_at TEXT NOT NULL)");
  auto tx = transaction();
  lock_for_migration();
  int current = schema_version();
  int latest = latest_schema_version();
  if (current > latest)
    throw StoreError(fmt::format(
        "数据库结构版本 {} 高于本程序支持的版本 {}，请升级 canbao 后再打开 / database schema version {} is "
        "newer than this canbao supports ({}); upgrade canbao before opening it",
        current, latest, current, latest));
  if (!apply) {
    tx.commit();
    return;
  }
  for (const auto& m : migrations()) {
    if (m.version <= current) continue;
    for (const auto& stmt : migration_statements(m, dialect())) exec_script(stmt);
    x("INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)",
      {m.version, m.description, now_iso()});
  }
  tx.commit();
}

int SqlStore::schema_version() {
  int v = 0;
  q("SELECT COALESCE(MAX(version), 0) FROM schema_version", {}, [&](const RowView& r) { v = int(r.i(0)); });
  return v;
}

// -------------------------------------------------------------- transactions

void SqlStore::begin_tx() {
  if (depth_ == 0) {
    raw_begin();
    failed_ = false;
  }
  ++depth_;
}

void SqlStore::commit_tx() {
  if (depth_ == 0) throw StoreError("commit without a transaction");
  if (--depth_ > 0) return;
  if (failed_) {
    raw_rollback();
    throw StoreError("transaction rolled back: an inner transaction failed");
  }
  raw_commit();
}

void SqlStore::rollback_tx() {
  if (depth_ == 0) return;
  if (--depth_ > 0) {
    failed_ = true;
    return;
  }
  raw_rollback();
}

// ------------------------------------------------------------------- regions

void SqlStore::put_regions(std::span<const Region> regions) {
  static const std::string_view cols[] = {"code", "name", "level", "parent", "region"};
  std::vector<Param> ps;
  ps.reserve(regions.size() * 5);
  for (const auto& r : regions) {
    auto parent = r.code.parent();
    ps.insert(ps.end(), {region_p(r.code), Param(r.name), Param(int(r.code.level())),
                         parent ? region_p(*parent) : Param(), region_p(r.code)});
  }
  auto tx = transaction();
  bulk_insert("regions", cols, ps,
              "ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, "
              "parent = excluded.parent");
  tx.commit();
}

std::optional<Region> SqlStore::region(RegionCode code) {
  std::optional<Region> out;
  q("SELECT code, name FROM regions WHERE code = ?", {region_p(code)},
    [&](const RowView& r) { out = Region{r.region(0), std::string(r.s(1))}; });
  return out;
}

std::vector<Region> SqlStore::regions_under(RegionCode scope) {
  auto [lo, hi] = region_range(scope);
  std::vector<Region> out;
  q("SELECT code, name FROM regions WHERE code BETWEEN ? AND ? ORDER BY code", {lo, hi},
    [&](const RowView& r) { out.push_back(Region{r.region(0), std::string(r.s(1))}); });
  return out;
}

// ------------------------------------------------------- households, persons

void SqlStore::put_households(std::span<const Household> hs) { write_households(hs, true); }
void SqlStore::insert_households(std::span<const Household> hs) { write_households(hs, false); }

void SqlStore::write_households(std::span<const Household> hs, bool upsert) {
  static const std::string_view cols[] = {"id", "region", "head"};
  constexpr size_t kSlice = 8192;
  std::vector<Param> ps;
  ps.reserve(std::min(hs.size(), kSlice) * 3);
  auto tx = transaction();
  for (size_t off = 0; off < hs.size(); off += kSlice) {
    ps.clear();
    for (const auto& h : hs.subspan(off, std::min(kSlice, hs.size() - off)))
      ps.insert(ps.end(), {Param(h.id), region_p(h.region), text_or_null(h.head)});
    bulk_insert("households", cols, ps,
                upsert ? "ON CONFLICT (id) DO UPDATE SET region = excluded.region, "
                         "head = COALESCE(excluded.head, households.head)"
                       : "");
  }
  tx.commit();
}

namespace {
constexpr std::string_view kPersonCols[] = {
    "id_number", "name",  "birth",           "sex",            "household",   "hukou_region",
    "residence_region", "disability_grade", "event", "event_date", "employee_months", "parent_insured",
    "deceased_on", "import_batch", "region", "categories", "school_region"};
constexpr std::string_view kPersonSelect =
    "SELECT id_number, name, birth, sex, household, hukou_region, residence_region, disability_grade, "
    "event, event_date, employee_months, parent_insured, deceased_on, import_batch, categories, school_region "
    "FROM persons ";

// Roster categories: ids joined by ';' (stable across enum reorderings).
void categories_text(CategoryMask m, std::string& out) {
  out.clear();
  for (int c = 0; c < kCategoryCount; ++c)
    if (m & bit(Category(c))) {
      if (!out.empty()) out += ';';
      out += category_id(Category(c));
    }
}
CategoryMask parse_categories_text(std::string_view t) {
  CategoryMask m = 0;
  while (!t.empty()) {
    auto p = t.find(';');
    auto item = t.substr(0, p);
    if (auto c = parse_category(item)) m |= bit(*c);
    if (p == std::string_view::npos) break;
    t.remove_prefix(p + 1);
  }
  return m;
}

Person read_person(const RowView& r) {
  Person p;
  p.id_number = r.s(0);
  p.name = r.s(1);
  p.birth = r.date(2).value_or(Date{});
  p.male = r.s(3) == "M";
  if (!r.null(4)) p.household = r.s(4);
  p.hukou = r.region(5);
  p.residence = r.region(6);
  p.disability_grade = r.null(7) ? 0 : int8_t(r.i(7));
  p.event = r.null(8) ? Event::none : parse_event(r.s(8)).value_or(Event::none);
  p.event_date = r.date(9);
  p.employee_months = r.null(10) ? -1 : int16_t(r.i(10));
  p.parent_insured = r.null(11) ? -1 : int8_t(r.i(11));
  p.deceased_on = r.date(12);
  p.import_batch = r.null(13) ? 0 : r.i(13);
  p.categories = r.null(14) ? 0 : parse_categories_text(r.s(14));
  p.school_region = r.region(15);
  return p;
}
}  // namespace

void SqlStore::put_persons(std::span<const Person> ps) { write_persons(ps, true); }
void SqlStore::insert_persons(std::span<const Person> ps) { write_persons(ps, false); }

void SqlStore::write_persons(std::span<const Person> ps_in, bool upsert) {
  static constexpr std::string_view kConflict =
      "ON CONFLICT (id_number) DO UPDATE SET name = excluded.name, birth = excluded.birth, "
      "sex = excluded.sex, household = excluded.household, hukou_region = excluded.hukou_region, "
      "residence_region = excluded.residence_region, disability_grade = excluded.disability_grade, "
      "event = excluded.event, event_date = excluded.event_date, "
      "employee_months = excluded.employee_months, parent_insured = excluded.parent_insured, "
      "deceased_on = COALESCE(excluded.deceased_on, persons.deceased_on), "
      "import_batch = excluded.import_batch, region = excluded.region, categories = excluded.categories, "
      "school_region = excluded.school_region";
  // Parameters are built a slice at a time so a big chunk never holds a
  // second copy of itself in memory.
  constexpr size_t kSlice = 4096;
  std::vector<Param> ps;
  ps.reserve(std::min(ps_in.size(), kSlice) * std::size(kPersonCols));
  std::vector<std::string> cats(kSlice);  // backing store of the categories params
  auto tx = transaction();
  for (size_t off = 0; off < ps_in.size(); off += kSlice) {
    ps.clear();
    size_t k = 0;
    for (const auto& p : ps_in.subspan(off, std::min(kSlice, ps_in.size() - off))) {
      auto& ct = cats[k++];
      categories_text(p.categories, ct);
      ps.insert(ps.end(),
                {Param(p.id_number), Param(p.name), Param(p.birth), Param(p.male ? "M" : "F"),
                 text_or_null(p.household), region_p(p.hukou), region_p(p.residence),
                 p.disability_grade ? Param(p.disability_grade) : Param(),
                 p.event == Event::none ? Param() : Param(event_id(p.event)), Param(p.event_date),
                 p.employee_months >= 0 ? Param(p.employee_months) : Param(),
                 p.parent_insured >= 0 ? Param(p.parent_insured) : Param(), Param(p.deceased_on),
                 p.import_batch ? Param(p.import_batch) : Param(), region_p(p.hukou), text_or_null(ct),
                 region_p(p.school_region)});
    }
    bulk_insert("persons", kPersonCols, ps, upsert ? kConflict : std::string_view());
  }
  tx.commit();
}

// ---------------------------------------------------------------- bulk loads

namespace {
// What a first load drops and bulk_end() rebuilds, per engine.
constexpr std::string_view kSqliteDrop[] = {
    "DROP INDEX IF EXISTS persons_id",        "DROP INDEX IF EXISTS persons_household",
    "DROP INDEX IF EXISTS persons_region",    "DROP INDEX IF EXISTS households_id",
    "DROP INDEX IF EXISTS households_region", "DROP INDEX IF EXISTS enrollments_person",
    "DROP INDEX IF EXISTS enrollments_place"};
constexpr std::string_view kSqliteBuild[] = {
    "CREATE UNIQUE INDEX households_id ON households(id)",
    "CREATE INDEX households_region ON households(region)",
    "CREATE UNIQUE INDEX persons_id ON persons(id_number)",
    "CREATE INDEX persons_household ON persons(household)",
    "CREATE INDEX persons_region ON persons(region, id_number)",
    "CREATE INDEX enrollments_person ON enrollments(person, year)",
    "CREATE INDEX enrollments_place ON enrollments(year, place_region)"};
constexpr std::string_view kPgDrop[] = {
    "ALTER TABLE enrollments DROP CONSTRAINT IF EXISTS enrollments_person_fkey",
    "ALTER TABLE persons DROP CONSTRAINT IF EXISTS persons_household_fkey",
    "ALTER TABLE persons DROP CONSTRAINT IF EXISTS persons_pkey",
    "ALTER TABLE households DROP CONSTRAINT IF EXISTS households_pkey",
    "DROP INDEX IF EXISTS persons_household",
    "DROP INDEX IF EXISTS persons_region",
    "DROP INDEX IF EXISTS households_region",
    "DROP INDEX IF EXISTS enrollments_person",
    "DROP INDEX IF EXISTS enrollments_place"};
constexpr std::string_view kPgBuild[] = {
    "SET LOCAL maintenance_work_mem = '256MB'",
    "ALTER TABLE households ADD CONSTRAINT households_pkey PRIMARY KEY (id)",
    "CREATE INDEX households_region ON households(region)",
    "ALTER TABLE persons ADD CONSTRAINT persons_pkey PRIMARY KEY (id_number)",
    "CREATE INDEX persons_household ON persons(household)",
    "CREATE INDEX persons_region ON persons(region, id_number)",
    "CREATE INDEX enrollments_person ON enrollments(person, year)",
    "CREATE INDEX enrollments_place ON enrollments(year, place_region)",
    // The importer wrote each person's household in the same load: the
    // constraints hold for these rows and are enforced for every later one.
    "ALTER TABLE persons ADD CONSTRAINT persons_household_fkey FOREIGN KEY (household) "
    "REFERENCES households(id) NOT VALID",
    "ALTER TABLE enrollments ADD CONSTRAINT enrollments_person_fkey FOREIGN KEY (person) "
    "REFERENCES persons(id_number) NOT VALID"};
}  // namespace

bool SqlStore::bulk_begin() {
  if (bulk_dropped_ || !may_drop_indexes()) return false;
  bool empty = true;
  // Enrollments name persons, so they are empty too; asked anyway, as their
  // indexes are dropped with the others (a first load with a year fills them).
  q("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM persons LIMIT 1) a) + "
    "(SELECT COUNT(*) FROM (SELECT 1 FROM households LIMIT 1) b) + "
    "(SELECT COUNT(*) FROM (SELECT 1 FROM enrollments LIMIT 1) c)",
    {}, [&](const RowView& r) { empty = r.i(0) == 0; });
  if (!empty) return false;
  if (dialect() == Dialect::sqlite)
    for (auto sql : kSqliteDrop) exec_script(std::string(sql));
  else
    for (auto sql : kPgDrop) exec_script(std::string(sql));
  bulk_dropped_ = true;
  return true;
}

void SqlStore::bulk_end() {
  if (!bulk_dropped_) return;
  bulk_dropped_ = false;  // a failure below fails the whole load (rolled back)
  try {
    if (dialect() == Dialect::sqlite)
      for (auto sql : kSqliteBuild) exec_script(std::string(sql));
    else
      for (auto sql : kPgBuild) exec_script(std::string(sql));
  } catch (const StoreError& e) {
    throw StoreError(std::string("索引重建失败（身份证号或户号重复？）/ rebuilding indexes failed: ") + e.what());
  }
}

namespace {
template <class T, class Key>
bool any_exist(std::span<const T> xs, Key key, std::string_view head,
               const std::function<void(const std::string&, std::span<const Param>, bool&)>& run) {
  constexpr size_t kIn = 500;
  std::vector<Param> ps;
  std::string sql;
  bool found = false;
  for (size_t off = 0; off < xs.size() && !found; off += kIn) {
    size_t n = std::min(kIn, xs.size() - off);
    ps.clear();
    for (size_t i = 0; i < n; ++i) ps.push_back(Param(key(xs[off + i])));
    sql.assign(head);
    sql += " IN (";
    for (size_t i = 0; i < n; ++i) sql += i ? ", ?" : "?";
    sql += ") LIMIT 1";
    run(sql, ps, found);
  }
  return found;
}
}  // namespace

bool SqlStore::any_persons_exist(std::span<const Person> ps) {
  return any_exist(ps, [](const Person& p) -> std::string_view { return p.id_number; },
                   "SELECT 1 FROM persons WHERE id_number",
                   [&](const std::string& sql, std::span<const Param> prm, bool& found) {
                     query(sql, prm, [&](const RowView&) { found = true; });
                   });
}

bool SqlStore::any_households_exist(std::span<const Household> hs) {
  return any_exist(hs, [](const Household& h) -> std::string_view { return h.id; },
                   "SELECT 1 FROM households WHERE id",
                   [&](const std::string& sql, std::span<const Param> prm, bool& found) {
                     query(sql, prm, [&](const RowView&) { found = true; });
                   });
}

std::optional<Household> SqlStore::household(std::string_view id) {
  std::optional<Household> out;
  q("SELECT id, region, head, phone FROM households WHERE id = ?", {id}, [&](const RowView& r) {
    out = Household{std::string(r.s(0)), r.region(1), r.null(2) ? "" : std::string(r.s(2)),
                    r.null(3) ? "" : std::string(r.s(3))};
  });
  return out;
}

void SqlStore::set_household_phone(std::string_view household, std::string_view phone) {
  x("UPDATE households SET phone = ? WHERE id = ?", {text_or_null(phone), Param(household)});
}

std::optional<Person> SqlStore::person(std::string_view id_number) {
  std::optional<Person> out;
  q(std::string(kPersonSelect) + "WHERE id_number = ?", {id_number},
    [&](const RowView& r) { out = read_person(r); });
  return out;
}

std::vector<Person> SqlStore::household_members(std::string_view household) {
  std::vector<Person> out;
  q(std::string(kPersonSelect) + "WHERE household = ? ORDER BY id_number", {household},
    [&](const RowView& r) { out.push_back(read_person(r)); });
  return out;
}

int64_t SqlStore::count_persons(RegionCode scope) {
  auto [lo, hi] = region_range(scope);
  int64_t n = 0;
  q("SELECT COUNT(*) FROM persons WHERE region BETWEEN ? AND ?", {lo, hi},
    [&](const RowView& r) { n = r.i(0); });
  return n;
}

void SqlStore::scan_persons(RegionCode scope, size_t chunk,
                            const std::function<void(std::span<const Person>)>& fn) {
  auto [lo, hi] = region_range(scope);
  if (chunk == 0) chunk = 10000;
  std::vector<Person> buf;
  int64_t last_region = lo - 1;
  std::string last_id;
  static const std::string sql = std::string(kPersonSelect) +
                                 "WHERE region BETWEEN ? AND ? AND (region > ? OR (region = ? AND id_number > ?)) "
                                 "ORDER BY region, id_number LIMIT ?";
  for (;;) {
    buf.clear();
    q(sql, {lo, hi, last_region, last_region, last_id, int64_t(chunk)},
      [&](const RowView& r) { buf.push_back(read_person(r)); });
    if (buf.empty()) return;
    last_region = static_cast<int64_t>(buf.back().hukou.padded_number());
    last_id = buf.back().id_number;
    fn(buf);
    if (buf.size() < chunk) return;
  }
}

// ---------------------------------------------------------------- categories

namespace {
constexpr std::string_view kCategoryCols[] = {"person", "category", "source", "as_of", "valid_from",
                                              "valid_to", "list_batch", "region"};
constexpr std::string_view kCategorySelect =
    "SELECT person, category, source, as_of, valid_from, valid_to, list_batch, region FROM person_categories ";
PersonCategory read_category(const RowView& r) {
  PersonCategory c;
  c.person = r.s(0);
  c.category = parse_category(r.s(1)).value_or(Category{});
  c.source = r.s(2);
  c.as_of = r.date(3);
  c.valid_from = r.date(4);
  c.valid_to = r.date(5);
  c.list_batch = r.null(6) ? 0 : r.i(6);
  c.region = r.region(7);
  return c;
}
}  // namespace

void SqlStore::add_categories(std::span<const PersonCategory> cs) {
  std::vector<Param> ps;
  ps.reserve(cs.size() * std::size(kCategoryCols));
  for (const auto& c : cs)
    ps.insert(ps.end(), {Param(c.person), Param(category_id(c.category)), Param(c.source), Param(c.as_of),
                         Param(c.valid_from), Param(c.valid_to), c.list_batch ? Param(c.list_batch) : Param(),
                         region_p(c.region)});
  auto tx = transaction();
  bulk_insert("person_categories", kCategoryCols, ps, "");
  tx.commit();
}

namespace {
void roster_categories(const std::string& person, CategoryMask m, RegionCode region, std::vector<PersonCategory>& out) {
  for (int c = 0; c < kCategoryCount; ++c)
    if (m & bit(Category(c)))
      out.push_back({person, Category(c), "roster", std::nullopt, std::nullopt, std::nullopt, 0, region});
}
}  // namespace

std::vector<PersonCategory> SqlStore::categories_of(std::string_view person) {
  std::vector<PersonCategory> out;
  q("SELECT categories, hukou_region FROM persons WHERE id_number = ?", {person}, [&](const RowView& r) {
    if (!r.null(0)) roster_categories(std::string(person), parse_categories_text(r.s(0)), r.region(1), out);
  });
  q(std::string(kCategorySelect) + "WHERE person = ? ORDER BY id", {person},
    [&](const RowView& r) { out.push_back(read_category(r)); });
  return out;
}

// A scan chunk is a contiguous key range (region, id_number) of persons.
#define CANBAO_CHUNK_FILTER                                                                      \
  "JOIN persons p ON p.id_number = t.person WHERE (p.region > ? OR (p.region = ? AND p.id_number >= ?)) " \
  "AND (p.region < ? OR (p.region = ? AND p.id_number <= ?)) "

std::vector<PersonCategory> SqlStore::categories_for(std::span<const Person> chunk) {
  std::vector<PersonCategory> out;
  if (chunk.empty()) return out;
  auto lo = region_p(chunk.front().hukou), hi = region_p(chunk.back().hukou);
  q("SELECT t.person, t.category, t.source, t.as_of, t.valid_from, t.valid_to, t.list_batch, t.region "
    "FROM person_categories t " CANBAO_CHUNK_FILTER "ORDER BY t.person, t.id",
    {lo, lo, chunk.front().id_number, hi, hi, chunk.back().id_number},
    [&](const RowView& r) { out.push_back(read_category(r)); });
  bool any_roster = false;
  for (const auto& p : chunk) any_roster |= p.categories != 0;
  if (any_roster) {
    // Roster categories first within each person, then the dated lists.
    std::vector<PersonCategory> merged;
    merged.reserve(out.size() + chunk.size());
    for (const auto& p : chunk) roster_categories(p.id_number, p.categories, p.hukou, merged);
    for (auto& c : out) merged.push_back(std::move(c));
    std::stable_sort(merged.begin(), merged.end(),
                     [](const PersonCategory& a, const PersonCategory& b) { return a.person < b.person; });
    out = std::move(merged);
  }
  return out;
}

// --------------------------------------------------------------- enrollments

namespace {
constexpr std::string_view kEnrollmentSelect =
    "SELECT id, person, year, place_region, household, status, registered_on, paid_on, ended_on, note "
    "FROM enrollments ";
Enrollment read_enrollment(const RowView& r) {
  Enrollment e;
  e.id = r.i(0);
  e.person = r.s(1);
  e.year = int(r.i(2));
  e.place = r.region(3);
  if (!r.null(4)) e.household = r.s(4);
  e.status = parse_status(r.s(5)).value_or(EnrollmentStatus::registered);
  e.registered_on = r.date(6);
  e.paid_on = r.date(7);
  e.ended_on = r.date(8);
  e.note = r.s(9);
  return e;
}
}  // namespace

int64_t SqlStore::add_enrollment(const Enrollment& e) {
  Param ps[] = {Param(e.person),        Param(e.year),       region_p(e.place), text_or_null(e.household),
                Param(status_id(e.status)), Param(e.registered_on), Param(e.paid_on), Param(e.ended_on),
                Param(e.note),          region_p(e.place)};
  return insert_id(
      "INSERT INTO enrollments (person, year, place_region, household, status, registered_on, paid_on, "
      "ended_on, note, region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ps);
}

int64_t SqlStore::add_enrollments(std::span<const Enrollment> es, bool skip_if_active) {
  static const std::string_view cols[] = {"person", "year", "place_region", "household", "status",
                                          "registered_on", "paid_on", "ended_on", "note", "region"};
  auto tx = transaction();
  int64_t n = 0;
  if (skip_if_active) {
    // One lookup per slice of persons (not one per row), then the newcomers
    // in one bulk insert; a person twice in `es` is enrolled once, as when
    // each row looked at the rows written before it.
    constexpr size_t kIn = 500;
    std::vector<Param> ps;
    std::string sql;
    std::unordered_set<std::string> active;  // "person|year"
    std::vector<Enrollment> fresh;
    auto key = [](std::string_view person, int year) { return fmt::format("{}|{}", person, year); };
    for (size_t off = 0; off < es.size(); off += kIn) {
      auto slice = es.subspan(off, std::min(kIn, es.size() - off));
      ps.clear();
      sql = "SELECT person, year FROM enrollments WHERE status IN ('registered', 'paid') AND person IN (";
      for (size_t i = 0; i < slice.size(); ++i) {
        sql += i ? ", ?" : "?";
        ps.push_back(Param(slice[i].person));
      }
      sql += ")";
      query(sql, ps, [&](const RowView& r) { active.insert(key(r.s(0), int(r.i(1)))); });
      fresh.clear();
      for (const auto& e : slice) {
        auto k = key(e.person, e.year);
        if (active.count(k)) continue;
        if (is_active(e.status)) active.insert(std::move(k));
        fresh.push_back(e);
      }
      n += add_enrollments(fresh, false);
    }
  } else {
    constexpr size_t kSlice = 8192;
    std::vector<Param> ps;
    for (size_t off = 0; off < es.size(); off += kSlice) {
      ps.clear();
      for (const auto& e : es.subspan(off, std::min(kSlice, es.size() - off)))
        ps.insert(ps.end(), {Param(e.person), Param(e.year), region_p(e.place), text_or_null(e.household),
                             Param(status_id(e.status)), Param(e.registered_on), Param(e.paid_on),
                             Param(e.ended_on), Param(e.note), region_p(e.place)});
      bulk_insert("enrollments", cols, ps, "");
    }
    n = int64_t(es.size());
  }
  tx.commit();
  return n;
}

void SqlStore::update_enrollment(const Enrollment& e) {
  x("UPDATE enrollments SET place_region = ?, household = ?, status = ?, registered_on = ?, paid_on = ?, "
    "ended_on = ?, note = ?, region = ? WHERE id = ?",
    {region_p(e.place), text_or_null(e.household), status_id(e.status), Param(e.registered_on),
     Param(e.paid_on), Param(e.ended_on), Param(e.note), region_p(e.place), e.id});
}

std::optional<Enrollment> SqlStore::enrollment(int64_t id) {
  std::optional<Enrollment> out;
  q(std::string(kEnrollmentSelect) + "WHERE id = ?", {id}, [&](const RowView& r) { out = read_enrollment(r); });
  return out;
}

std::vector<Enrollment> SqlStore::enrollments_of(std::string_view person, std::optional<int> year) {
  std::vector<Enrollment> out;
  auto add = [&](const RowView& r) { out.push_back(read_enrollment(r)); };
  if (year)
    q(std::string(kEnrollmentSelect) + "WHERE person = ? AND year = ? ORDER BY id", {person, *year}, add);
  else
    q(std::string(kEnrollmentSelect) + "WHERE person = ? ORDER BY year, id", {person}, add);
  return out;
}

std::vector<Enrollment> SqlStore::enrollments_in(RegionCode scope, int year) {
  auto [lo, hi] = region_range(scope);
  std::vector<Enrollment> out;
  q(std::string(kEnrollmentSelect) + "WHERE year = ? AND place_region BETWEEN ? AND ? ORDER BY person, id",
    {year, lo, hi}, [&](const RowView& r) { out.push_back(read_enrollment(r)); });
  return out;
}

std::vector<Enrollment> SqlStore::enrollments_for(std::span<const Person> chunk, int year) {
  std::vector<Enrollment> out;
  if (chunk.empty()) return out;
  auto lo = region_p(chunk.front().hukou), hi = region_p(chunk.back().hukou);
  q("SELECT t.id, t.person, t.year, t.place_region, t.household, t.status, t.registered_on, t.paid_on, "
    "t.ended_on, t.note FROM enrollments t " CANBAO_CHUNK_FILTER "AND t.year = ? ORDER BY t.person, t.id",
    {lo, lo, chunk.front().id_number, hi, hi, chunk.back().id_number, year},
    [&](const RowView& r) { out.push_back(read_enrollment(r)); });
  return out;
}

// ------------------------------------------------------------ subsidy lists

int64_t SqlStore::add_subsidy_list(const SubsidyListBatch& b) {
  Param ps[] = {Param(b.department), Param(category_id(b.category)), Param(b.as_of),
                b.import_batch ? Param(b.import_batch) : Param(), region_p(b.region)};
  return insert_id(
      "INSERT INTO subsidy_list_batches (department, category, as_of, import_batch, region) "
      "VALUES (?, ?, ?, ?, ?)",
      ps);
}

void SqlStore::add_subsidy_entries(std::span<const SubsidyListEntry> es) {
  static const std::string_view cols[] = {"batch", "person", "name", "listed_on", "reverses", "region"};
  std::vector<Param> ps;
  ps.reserve(es.size() * 6);
  for (const auto& e : es)
    ps.insert(ps.end(), {Param(e.batch), Param(e.person), text_or_null(e.name), Param(e.listed_on),
                         e.reverses ? Param(e.reverses) : Param(), region_p(e.region)});
  auto tx = transaction();
  bulk_insert("subsidy_list_entries", cols, ps, "");
  tx.commit();
}

std::vector<SubsidyListBatch> SqlStore::subsidy_lists(RegionCode scope) {
  auto [lo, hi] = region_range(scope);
  std::vector<SubsidyListBatch> out;
  q("SELECT id, department, category, as_of, import_batch, region FROM subsidy_list_batches "
    "WHERE region BETWEEN ? AND ? ORDER BY id",
    {lo, hi}, [&](const RowView& r) {
      SubsidyListBatch b;
      b.id = r.i(0);
      b.department = r.s(1);
      b.category = parse_category(r.s(2)).value_or(Category{});
      b.as_of = r.date(3).value_or(Date{});
      b.import_batch = r.null(4) ? 0 : r.i(4);
      b.region = r.region(5);
      out.push_back(std::move(b));
    });
  return out;
}

namespace {
SubsidyListEntry read_entry(const RowView& r) {
  SubsidyListEntry e;
  e.id = r.i(0);
  e.batch = r.i(1);
  e.person = r.s(2);
  if (!r.null(3)) e.name = r.s(3);
  e.listed_on = r.date(4);
  e.reverses = r.null(5) ? 0 : r.i(5);
  e.region = r.region(6);
  return e;
}
}  // namespace

std::vector<SubsidyListEntry> SqlStore::subsidy_entries_of(std::string_view person) {
  std::vector<SubsidyListEntry> out;
  q("SELECT id, batch, person, name, listed_on, reverses, region FROM subsidy_list_entries "
    "WHERE person = ? ORDER BY id",
    {person}, [&](const RowView& r) { out.push_back(read_entry(r)); });
  return out;
}

std::vector<SubsidyListEntry> SqlStore::subsidy_entries(int64_t batch) {
  std::vector<SubsidyListEntry> out;
  q("SELECT id, batch, person, name, listed_on, reverses, region FROM subsidy_list_entries "
    "WHERE batch = ? ORDER BY id",
    {batch}, [&](const RowView& r) { out.push_back(read_entry(r)); });
  return out;
}

// --------------------------------------------------------- employee roster

void SqlStore::add_employee_insured(std::span<const EmployeeInsured> es) {
  static const std::string_view cols[] = {"person",  "name",  "employer",     "insured_from",
                                          "insured_to", "as_of", "import_batch", "region"};
  std::vector<Param> ps;
  ps.reserve(es.size() * 8);
  for (const auto& e : es)
    ps.insert(ps.end(), {Param(e.person), text_or_null(e.name), text_or_null(e.employer), Param(e.insured_from),
                         Param(e.insured_to), Param(e.as_of), e.import_batch ? Param(e.import_batch) : Param(),
                         region_p(e.region)});
  auto tx = transaction();
  bulk_insert("employee_insurance", cols, ps, "");
  tx.commit();
}

namespace {
constexpr std::string_view kEmployeeSelect =
    "SELECT person, name, employer, insured_from, insured_to, as_of, import_batch, region FROM employee_insurance ";
EmployeeInsured read_employee(const RowView& r) {
  EmployeeInsured e;
  e.person = r.s(0);
  if (!r.null(1)) e.name = r.s(1);
  if (!r.null(2)) e.employer = r.s(2);
  e.insured_from = r.date(3);
  e.insured_to = r.date(4);
  e.as_of = r.date(5).value_or(Date{});
  e.import_batch = r.null(6) ? 0 : r.i(6);
  e.region = r.region(7);
  return e;
}

// One batch read of persons_read: its statement in the shapes of in_lists.h.
class PaddedIn {
 public:
  PaddedIn(std::string_view head, std::string_view tail) {
    for (size_t i = 0; i < std::size(kShapes); ++i) sql_[i] = in_list_sql(head, kShapes[i], tail);
  }
  // Runs the statement over `ids`; `extra` parameters follow each list.
  void run(SqlStore& s, std::span<const std::string_view> ids, std::initializer_list<Param> extra,
           const RowFn& fn) const {
    auto sql_for = [this](size_t shape) -> const std::string& {
      return sql_[std::find(std::begin(kShapes), std::end(kShapes), shape) - std::begin(kShapes)];
    };
    query_in_lists(s, sql_for, ids, std::span<const Param>(extra.begin(), extra.size()), fn);
  }

 private:
  static constexpr size_t kShapes[] = {1, 8, 64, kMaxInList};
  std::string sql_[4];
};
}  // namespace

SqlStore::PersonsRead SqlStore::persons_read(std::span<const std::string_view> ids, int year_from, int year_to) {
  static const PaddedIn persons(std::string(kPersonSelect) + "WHERE id_number", "");
  static const PaddedIn enrollments(std::string(kEnrollmentSelect) + "WHERE person",
                                    " AND year BETWEEN ? AND ? ORDER BY person, year, id");
  static const PaddedIn categories(std::string(kCategorySelect) + "WHERE person", " ORDER BY person, id");
  static const PaddedIn employee(std::string(kEmployeeSelect) + "WHERE person", " ORDER BY person, id");
  PersonsRead out;
  if (ids.empty()) return out;
  persons.run(*this, ids, {}, [&](const RowView& r) { out.persons.push_back(read_person(r)); });
  enrollments.run(*this, ids, {Param(year_from), Param(year_to)},
                  [&](const RowView& r) { out.enrollments.push_back(read_enrollment(r)); });
  // Roster categories before the dated ones, as categories_of() answers.
  for (const auto& p : out.persons) roster_categories(p.id_number, p.categories, p.hukou, out.categories);
  categories.run(*this, ids, {}, [&](const RowView& r) { out.categories.push_back(read_category(r)); });
  employee.run(*this, ids, {}, [&](const RowView& r) { out.employee.push_back(read_employee(r)); });
  return out;
}

std::vector<EmployeeInsured> SqlStore::employee_insured(std::string_view person) {
  std::vector<EmployeeInsured> out;
  q(std::string(kEmployeeSelect) + "WHERE person = ? ORDER BY id", {person},
    [&](const RowView& r) { out.push_back(read_employee(r)); });
  return out;
}

// ------------------------------------------------------------------ targets

void SqlStore::put_targets(std::span<const Target> ts) {
  static const std::string_view cols[] = {"region", "year", "unit", "target", "extra"};
  std::vector<Param> ps;
  ps.reserve(ts.size() * 5);
  for (const auto& t : ts)
    ps.insert(ps.end(), {region_p(t.region), Param(t.year), Param(t.unit), Param(t.target), Param(t.extra_json)});
  auto tx = transaction();
  bulk_insert("targets", cols, ps,
              "ON CONFLICT (region, year, unit) DO UPDATE SET target = excluded.target, extra = excluded.extra");
  tx.commit();
}

std::vector<Target> SqlStore::targets(RegionCode scope, int year) {
  auto [lo, hi] = region_range(scope);
  std::vector<Target> out;
  q("SELECT region, year, unit, target, extra FROM targets WHERE year = ? AND region BETWEEN ? AND ? "
    "ORDER BY region, unit",
    {year, lo, hi}, [&](const RowView& r) {
      out.push_back(Target{r.region(0), int(r.i(1)), std::string(r.s(2)), r.i(3), std::string(r.s(4))});
    });
  return out;
}

// ------------------------------------------------------------ import batches

std::optional<ImportBatch> SqlStore::find_import(std::string_view kind, std::string_view fingerprint) {
  std::optional<ImportBatch> out;
  q("SELECT id, kind, file_name, fingerprint, mode, status, rows_total, rows_written, rows_rejected, report, "
    "actor, region, created_at FROM import_batches WHERE kind = ? AND fingerprint = ? AND status = 'committed' "
    "ORDER BY id LIMIT 1",
    {kind, fingerprint}, [&](const RowView& r) {
      ImportBatch b;
      b.id = r.i(0);
      b.kind = r.s(1);
      b.file_name = r.s(2);
      b.fingerprint = r.s(3);
      b.mode = r.s(4);
      b.status = r.s(5);
      b.rows_total = r.i(6);
      b.rows_written = r.i(7);
      b.rows_rejected = r.i(8);
      b.report_json = r.s(9);
      b.actor = r.s(10);
      b.region = r.region(11);
      b.created_at = r.s(12);
      out = std::move(b);
    });
  return out;
}

int64_t SqlStore::add_import(const ImportBatch& b) {
  auto at = b.created_at.empty() ? now_iso() : b.created_at;
  Param ps[] = {Param(b.kind),       Param(b.file_name),     Param(b.fingerprint), Param(b.mode),
                Param(b.status),     Param(b.rows_total),    Param(b.rows_written), Param(b.rows_rejected),
                Param(b.report_json), Param(b.actor),        Param(at),            b.region.empty() ? Param(0) : region_p(b.region)};
  return insert_id(
      "INSERT INTO import_batches (kind, file_name, fingerprint, mode, status, rows_total, rows_written, "
      "rows_rejected, report, actor, created_at, region) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ps);
}

void SqlStore::update_import(const ImportBatch& b) {
  x("UPDATE import_batches SET status = ?, rows_total = ?, rows_written = ?, rows_rejected = ?, report = ? "
    "WHERE id = ?",
    {b.status, b.rows_total, b.rows_written, b.rows_rejected, b.report_json, b.id});
}

// -------------------------------------------------------------- assessments

namespace {
constexpr std::string_view kAssessmentCols[] = {
    "person", "year", "policy", "place_region", "enrollment", "enrollment_status", "eligible", "ineligible",
    "standard", "subsidy", "due", "amounts_known", "subsidy_rule", "subsidy_mode", "subsidy_lines",
    "payment_status", "coverage_start", "coverage_end", "waiting_until", "reason", "assessed_at", "region"};
}  // namespace

void SqlStore::put_assessments(std::span<const StoredAssessment> as) {
  static const std::string conflict = [] {
    std::string c = "ON CONFLICT (person, year) DO UPDATE SET ";
    bool first = true;
    for (auto col : kAssessmentCols) {
      if (col == "person" || col == "year") continue;
      c += first ? "" : ", ";
      c += fmt::format("{0} = excluded.{0}", col);
      first = false;
    }
    return c;
  }();
  const std::string now = now_iso();
  constexpr size_t kSlice = 4096;
  std::vector<Param> ps;
  ps.reserve(std::min(as.size(), kSlice) * std::size(kAssessmentCols));
  auto tx = transaction();
  for (size_t off = 0; off < as.size(); off += kSlice) {
    ps.clear();
    for (const auto& a : as.subspan(off, std::min(kSlice, as.size() - off)))
      ps.insert(ps.end(),
                {Param(a.person), Param(a.year), Param(a.policy), region_p(a.place),
                 a.enrollment ? Param(a.enrollment) : Param(), Param(a.enrollment_status), Param(int(a.eligible)),
                 text_or_null(a.ineligible), Param(a.standard_fen), Param(a.subsidy_fen), Param(a.due_fen),
                 Param(int(a.amounts_known)), text_or_null(a.subsidy_rule), text_or_null(a.subsidy_mode),
                 Param(a.subsidy_lines_json), Param(a.payment_status), Param(a.coverage_start),
                 Param(a.coverage_end), Param(a.waiting_until), text_or_null(a.reason),
                 a.assessed_at.empty() ? Param(now) : Param(a.assessed_at), region_p(a.place)});
    bulk_insert("assessments", kAssessmentCols, ps, conflict);
  }
  tx.commit();
}

std::optional<StoredAssessment> SqlStore::assessment(std::string_view person, int year) {
  std::optional<StoredAssessment> out;
  q("SELECT person, year, policy, place_region, enrollment, enrollment_status, eligible, ineligible, standard, "
    "subsidy, due, amounts_known, subsidy_rule, subsidy_mode, subsidy_lines, payment_status, coverage_start, "
    "coverage_end, waiting_until, reason, assessed_at FROM assessments WHERE person = ? AND year = ?",
    {person, year}, [&](const RowView& r) {
      StoredAssessment a;
      a.person = r.s(0);
      a.year = int(r.i(1));
      a.policy = r.s(2);
      a.place = r.region(3);
      a.enrollment = r.null(4) ? 0 : r.i(4);
      a.enrollment_status = r.s(5);
      a.eligible = r.i(6) != 0;
      if (!r.null(7)) a.ineligible = r.s(7);
      a.standard_fen = r.i(8);
      a.subsidy_fen = r.i(9);
      a.due_fen = r.i(10);
      a.amounts_known = r.i(11) != 0;
      if (!r.null(12)) a.subsidy_rule = r.s(12);
      if (!r.null(13)) a.subsidy_mode = r.s(13);
      a.subsidy_lines_json = r.s(14);
      a.payment_status = r.s(15);
      a.coverage_start = r.date(16);
      a.coverage_end = r.date(17);
      a.waiting_until = r.date(18);
      if (!r.null(19)) a.reason = r.s(19);
      a.assessed_at = r.s(20);
      out = std::move(a);
    });
  return out;
}

int64_t SqlStore::count_assessments(RegionCode scope, int year) {
  auto [lo, hi] = region_range(scope);
  int64_t n = 0;
  q("SELECT COUNT(*) FROM assessments WHERE year = ? AND region BETWEEN ? AND ?", {year, lo, hi},
    [&](const RowView& r) { n = r.i(0); });
  return n;
}

// -------------------------------------------------------------------- audit

void SqlStore::audit(const AuditEntry& e) {
  x("INSERT INTO audit_log (at, actor, action, entity, entity_id, old_value, new_value, region) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    {e.at.empty() ? Param(now_iso()) : Param(e.at), Param(e.actor), Param(e.action), Param(e.entity),
     text_or_null(e.entity_id), text_or_null(e.old_json), text_or_null(e.new_json),
     e.region.empty() ? Param(0) : region_p(e.region)});
}

std::vector<AuditEntry> SqlStore::audit_trail(std::string_view entity, std::string_view entity_id) {
  std::vector<AuditEntry> out;
  q("SELECT at, actor, action, entity, entity_id, old_value, new_value, region FROM audit_log "
    "WHERE entity = ? AND entity_id = ? ORDER BY id",
    {entity, entity_id}, [&](const RowView& r) {
      AuditEntry e;
      e.at = r.s(0);
      e.actor = r.s(1);
      e.action = r.s(2);
      e.entity = r.s(3);
      if (!r.null(4)) e.entity_id = r.s(4);
      if (!r.null(5)) e.old_json = r.s(5);
      if (!r.null(6)) e.new_json = r.s(6);
      e.region = r.region(7);
      out.push_back(std::move(e));
    });
  return out;
}

}  // namespace canbao::store::detail
