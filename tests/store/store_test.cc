#include <gtest/gtest.h>

#include "store/migrations.h"
#include "store/store.h"
#include "store_fixture.h"

using namespace canbao;
using namespace canbao::store;
using canbao::testing::EngineTest;
using canbao::testing::make_id;

namespace {
Date D(const char* s) { return *Date::parse(s); }
RegionCode R(const char* s) { return *RegionCode::parse(s); }

Person person(std::string id, std::string household, const char* hukou, std::string name = "张三") {
  Person p;
  p.id_number = std::move(id);
  p.name = std::move(name);
  p.birth = D("1980-01-01");
  p.male = true;
  p.household = std::move(household);
  p.hukou = R(hukou);
  return p;
}
}  // namespace

class StoreTest : public EngineTest {};
CANBAO_ENGINES(StoreTest);

TEST_P(StoreTest, MigratesToLatestVersion) {
  EXPECT_EQ(st_->schema_version(), latest_schema_version());
  EXPECT_EQ(st_->engine(), GetParam());
  // Reopening applies nothing and keeps the version.
  st_.reset();
  st_ = db_->open(true);
  EXPECT_EQ(st_->schema_version(), latest_schema_version());
}

TEST_P(StoreTest, RefusesNewerSchema) {
  st_.reset();
  db_->exec_raw("INSERT INTO schema_version (version, description, applied_at) VALUES (999, 'future', 'x')");
  try {
    db_->open(true);
    FAIL() << "opened a database with a newer schema";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("999"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("升级"), std::string::npos) << e.what();
  }
}

TEST_P(StoreTest, MigrationStatementsSplitPerEngine) {
  auto lite = migration_statements(migrations()[0], Dialect::sqlite);
  auto pg = migration_statements(migrations()[0], Dialect::postgresql);
  ASSERT_EQ(lite.size(), pg.size());
  EXPECT_GT(lite.size(), 10u);
  for (auto& s : pg) EXPECT_EQ(s.find("{{"), std::string::npos);
}

TEST_P(StoreTest, RegionsTreeAndScope) {
  std::vector<Region> rs = {{R("341702"), "贵池区"},
                            {R("341702100"), "梅村镇"},
                            {R("341702100201"), "某村"},
                            {R("421223200"), "肖岭乡"}};
  st_->put_regions(rs);
  auto r = st_->region(R("341702100"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->name, "梅村镇");
  auto under = st_->regions_under(R("341702"));
  ASSERT_EQ(under.size(), 3u);
  EXPECT_EQ(under[2].code.str(), "341702100201");
  // Upsert renames.
  st_->put_regions(std::vector<Region>{{R("341702100"), "梅村"}});
  EXPECT_EQ(st_->region(R("341702100"))->name, "梅村");
  EXPECT_EQ(st_->regions_under(RegionCode{}).size(), 4u);
}

TEST_P(StoreTest, PersonsHouseholdsRoundTrip) {
  std::string a = make_id("341702", "19800101", 11), b = make_id("341702", "20100305", 22);
  st_->put_households(std::vector<Household>{{"H1", R("341702100201"), a}});
  Person pa = person(a, "H1", "341702100201", "张三");
  pa.residence = R("341702100");
  pa.disability_grade = 2;
  pa.event = Event::released_from_prison;
  pa.event_date = D("2024-03-01");
  pa.employee_months = 30;
  Person pb = person(b, "H1", "341702100201", "张小红");
  pb.male = false;
  pb.birth = D("2010-03-05");
  pb.parent_insured = 1;
  st_->put_persons(std::vector<Person>{pa, pb});

  auto got = st_->person(a);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "张三");
  EXPECT_EQ(got->household, "H1");
  EXPECT_EQ(got->hukou.str(), "341702100201");
  EXPECT_EQ(got->residence.str(), "341702100");
  EXPECT_EQ(got->disability_grade, 2);
  EXPECT_EQ(got->event, Event::released_from_prison);
  EXPECT_EQ(got->event_date, D("2024-03-01"));
  EXPECT_EQ(got->employee_months, 30);
  EXPECT_EQ(got->parent_insured, -1);
  EXPECT_TRUE(got->male);
  auto gb = st_->person(b);
  ASSERT_TRUE(gb);
  EXPECT_FALSE(gb->male);
  EXPECT_EQ(gb->birth, D("2010-03-05"));
  EXPECT_EQ(gb->parent_insured, 1);
  EXPECT_TRUE(gb->residence.empty());
  EXPECT_FALSE(st_->person(make_id("341702", "19800101", 99)));

  auto h = st_->household("H1");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->head, a);
  EXPECT_EQ(st_->household_members("H1").size(), 2u);

  // Upsert: rename, and a death is never cleared by a later roster row.
  pa.name = "张叁";
  pa.deceased_on = D("2024-05-01");
  st_->put_persons(std::vector<Person>{pa});
  pa.deceased_on.reset();
  st_->put_persons(std::vector<Person>{pa});
  got = st_->person(a);
  EXPECT_EQ(got->name, "张叁");
  EXPECT_EQ(got->deceased_on, D("2024-05-01"));
}

TEST_P(StoreTest, PersonNeedsItsHousehold) {
  EXPECT_THROW(st_->put_persons(std::vector<Person>{person(make_id("341702", "19800101", 1), "NOPE", "341702")}),
               StoreError);
}

TEST_P(StoreTest, ScanByRegionInChunks) {
  std::vector<Household> hs;
  std::vector<Person> ps;
  const char* villages[] = {"341702100201", "341702100202", "341702101201", "421223200201"};
  for (int k = 0; k < 250; ++k) {
    std::string hid = "H" + std::to_string(k / 3);
    const char* v = villages[(k / 3) % 4];
    if (k % 3 == 0) hs.push_back({hid, R(v), ""});
    ps.push_back(person(make_id(std::string(v).substr(0, 6), "19900101", k), hid, v));
  }
  st_->put_households(hs);
  st_->put_persons(ps);
  EXPECT_EQ(st_->count_persons(RegionCode{}), 250);
  int64_t in_town = st_->count_persons(R("341702100"));
  EXPECT_GT(in_town, 0);
  int64_t seen = 0;
  size_t chunks = 0;
  std::string prev;
  st_->scan_persons(R("341702100"), 17, [&](std::span<const Person> chunk) {
    ++chunks;
    EXPECT_LE(chunk.size(), 17u);
    for (auto& p : chunk) {
      EXPECT_TRUE(p.hukou.inside(R("341702100")));
      seen++;
    }
  });
  EXPECT_EQ(seen, in_town);
  EXPECT_GE(chunks, size_t(in_town / 17));
  EXPECT_EQ(st_->count_persons(R("421223")) + st_->count_persons(R("341702")), 250);
}

TEST_P(StoreTest, CategoriesWithDates) {
  std::string a = make_id("150823", "19700101", 5);
  st_->put_households(std::vector<Household>{{"W1", R("150823"), a}});
  st_->put_persons(std::vector<Person>{person(a, "W1", "150823")});
  SubsidyListBatch b{0, "民政局", Category::minimum_living, D("2023-10-31"), R("150823"), 0};
  int64_t bid = st_->add_subsidy_list(b);
  EXPECT_GT(bid, 0);
  st_->add_categories(std::vector<PersonCategory>{
      {a, Category::minimum_living, "民政局", D("2023-10-31"), D("2023-06-01"), std::nullopt, bid, R("150823")},
      {a, Category::monitored, "roster", std::nullopt, std::nullopt, std::nullopt, 0, R("150823")}});
  auto cs = st_->categories_of(a);
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0].category, Category::minimum_living);
  EXPECT_EQ(cs[0].list_batch, bid);
  EXPECT_EQ(cs[0].valid_from, D("2023-06-01"));
  EXPECT_EQ(cs[1].source, "roster");
  EXPECT_FALSE(cs[1].as_of);
  auto me = st_->person(a);
  EXPECT_EQ(st_->categories_for(std::span<const Person>(&*me, 1)).size(), 2u);
}

TEST_P(StoreTest, EnrollmentsLifecycle) {
  std::string a = make_id("341702", "19800101", 11);
  st_->put_households(std::vector<Household>{{"H1", R("341702100201"), a}});
  st_->put_persons(std::vector<Person>{person(a, "H1", "341702100201")});
  Enrollment e;
  e.person = a;
  e.year = 2024;
  e.place = R("341702100201");
  e.household = "H1";
  e.registered_on = D("2023-09-10");
  e.id = st_->add_enrollment(e);
  EXPECT_GT(e.id, 0);
  e.status = EnrollmentStatus::paid;
  e.paid_on = D("2023-09-12");
  st_->update_enrollment(e);
  auto es = st_->enrollments_of(a, 2024);
  ASSERT_EQ(es.size(), 1u);
  EXPECT_EQ(es[0].status, EnrollmentStatus::paid);
  EXPECT_EQ(es[0].paid_on, D("2023-09-12"));
  EXPECT_EQ(es[0].place.str(), "341702100201");
  EXPECT_TRUE(st_->enrollments_of(a, 2025).empty());
  EXPECT_EQ(st_->enrollments_of(a, std::nullopt).size(), 1u);
  EXPECT_EQ(st_->enrollments_in(R("341702"), 2024).size(), 1u);
  EXPECT_TRUE(st_->enrollments_in(R("421223"), 2024).empty());
  auto me = st_->person(a);
  EXPECT_EQ(st_->enrollments_for(std::span<const Person>(&*me, 1), 2024).size(), 1u);
  EXPECT_TRUE(st_->enrollments_for(std::span<const Person>(&*me, 1), 2023).empty());
  // Unknown person: foreign key.
  e.person = make_id("341702", "19800101", 12);
  EXPECT_THROW(st_->add_enrollment(e), StoreError);
}

TEST_P(StoreTest, SubsidyListsAppendOnly) {
  SubsidyListBatch b{0, "乡村振兴局", Category::monitored, D("2023-12-31"), R("150823"), 0};
  b.id = st_->add_subsidy_list(b);
  std::string a = make_id("150823", "19700101", 5);
  st_->add_subsidy_entries(std::vector<SubsidyListEntry>{{0, b.id, a, "王五", D("2023-11-01"), R("150823"), 0}});
  auto es = st_->subsidy_entries(b.id);
  ASSERT_EQ(es.size(), 1u);
  st_->add_subsidy_entries(std::vector<SubsidyListEntry>{{0, b.id, a, "王五", std::nullopt, R("150823"), es[0].id}});
  auto mine = st_->subsidy_entries_of(a);
  ASSERT_EQ(mine.size(), 2u);
  EXPECT_EQ(mine[1].reverses, mine[0].id);
  EXPECT_EQ(mine[0].listed_on, D("2023-11-01"));
  auto lists = st_->subsidy_lists(R("15"));
  ASSERT_EQ(lists.size(), 1u);
  EXPECT_EQ(lists[0].department, "乡村振兴局");
  EXPECT_EQ(lists[0].category, Category::monitored);
  EXPECT_EQ(lists[0].as_of, D("2023-12-31"));
}

TEST_P(StoreTest, EmployeeRosterTargetsImportsAudit) {
  std::string a = make_id("140502", "19850101", 7);
  st_->add_employee_insured(
      std::vector<EmployeeInsured>{{a, "李四", "某公司", D("2020-01-01"), std::nullopt, D("2023-12-31"), R("140502"), 0}});
  auto ei = st_->employee_insured(a);
  ASSERT_EQ(ei.size(), 1u);
  EXPECT_EQ(ei[0].employer, "某公司");
  EXPECT_FALSE(ei[0].insured_to);

  st_->put_targets(std::vector<Target>{{R("421223200"), 2024, "白马", 3731, R"({"总人口":4702})"},
                                       {R("421223200"), 2024, "锁石", 1734, "{}"},
                                       {R("341702"), 2024, "高校", 21300, "{}"}});
  st_->put_targets(std::vector<Target>{{R("421223200"), 2024, "白马", 3732, R"({"总人口":4702})"}});
  auto ts = st_->targets(R("421223"), 2024);
  ASSERT_EQ(ts.size(), 2u);
  EXPECT_EQ(ts[0].unit, "白马");
  EXPECT_EQ(ts[0].target, 3732);
  EXPECT_EQ(ts[0].extra_json, R"({"总人口":4702})");
  EXPECT_TRUE(st_->targets(R("421223"), 2025).empty());

  ImportBatch ib;
  ib.kind = "roster";
  ib.file_name = "r.csv";
  ib.fingerprint = "abc";
  ib.mode = "all_or_nothing";
  ib.status = "rejected";
  ib.actor = "admin";
  ib.id = st_->add_import(ib);
  EXPECT_FALSE(st_->find_import("roster", "abc"));  // rejected batches do not count
  ib.status = "committed";
  ib.rows_written = 10;
  st_->update_import(ib);
  auto found = st_->find_import("roster", "abc");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->rows_written, 10);
  EXPECT_FALSE(found->created_at.empty());

  st_->audit({"", "admin", "update", "person", a, R"({"name":"李四"})", R"({"name":"李肆"})", R("140502")});
  auto trail = st_->audit_trail("person", a);
  ASSERT_EQ(trail.size(), 1u);
  EXPECT_EQ(trail[0].actor, "admin");
  EXPECT_EQ(trail[0].new_json, R"({"name":"李肆"})");
  EXPECT_FALSE(trail[0].at.empty());
}

TEST_P(StoreTest, TransactionsRollBack) {
  std::string a = make_id("341702", "19800101", 11);
  {
    auto tx = st_->transaction();
    st_->put_households(std::vector<Household>{{"H1", R("341702"), ""}});
    st_->put_persons(std::vector<Person>{person(a, "H1", "341702")});
    // no commit
  }
  EXPECT_FALSE(st_->person(a));
  EXPECT_FALSE(st_->household("H1"));
  {
    auto tx = st_->transaction();
    st_->put_households(std::vector<Household>{{"H1", R("341702"), ""}});
    {
      auto inner = st_->transaction();
      st_->put_persons(std::vector<Person>{person(a, "H1", "341702")});
      inner.commit();
    }
    tx.commit();
  }
  EXPECT_TRUE(st_->person(a));
  // An inner rollback dooms the outer transaction.
  std::string b = make_id("341702", "19800101", 12);
  EXPECT_THROW(
      {
        auto tx = st_->transaction();
        st_->put_persons(std::vector<Person>{person(b, "H1", "341702")});
        { auto inner = st_->transaction(); }
        tx.commit();
      },
      StoreError);
  EXPECT_FALSE(st_->person(b));
  // A failed statement inside a transaction leaves the store usable.
  {
    auto tx = st_->transaction();
    EXPECT_THROW(st_->put_persons(std::vector<Person>{person(b, "NOPE", "341702")}), StoreError);
  }
  st_->put_persons(std::vector<Person>{person(b, "H1", "341702")});
  EXPECT_TRUE(st_->person(b));
}

TEST_P(StoreTest, BulkUpsertTenThousand) {
  std::vector<Household> hs;
  std::vector<Person> ps;
  for (int k = 0; k < 10000; ++k) {
    std::string hid = "B" + std::to_string(k / 4);
    if (k % 4 == 0) hs.push_back({hid, R("341702100201"), ""});
    // Ten birth years × 1000 sequence numbers: 10000 distinct valid IDs.
    std::string id = make_id("341702", std::to_string(19500101 + (k / 1000) * 10000), k % 1000);
    ps.push_back(person(id, hid, "341702100201", "名字\t含\\特殊\n字符"));
  }
  st_->put_households(hs);
  st_->put_persons(ps);
  EXPECT_EQ(st_->count_persons(R("341702")), 10000);
  EXPECT_EQ(st_->person(ps[1234].id_number)->name, "名字\t含\\特殊\n字符");
  // Second load is an update, not a duplicate.
  st_->put_persons(ps);
  EXPECT_EQ(st_->count_persons(R("341702")), 10000);
}
