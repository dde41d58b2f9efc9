// The batch check phase (issue 15) reads a whole /payments/batch's persons in
// one go (Store::persons_read behind ledger::BatchSource) and runs the same
// checks over those rows. Its promise is that it answers exactly what the
// one-person reads (StoreSource) answer — same rows, same order — for every
// ID asked (known, unknown, asked twice), inside and outside the years read,
// with roster and dated categories, employee insurance and enrollments of
// several years and statuses, on both engines.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <filesystem>

#include "ledger/person_facts.h"
#include "store/store_fixture.h"
#include "support/fixture.h"

using namespace canbao;

namespace {

std::string text(const std::optional<Date>& d) { return d ? d->str() : "-"; }

std::string text(const std::optional<store::Person>& p) {
  if (!p) return "absent";
  return fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}", p->id_number, p->name, p->birth.str(), p->male,
                     p->household, p->hukou.str(), p->residence.str(), p->school_region.str(), p->disability_grade,
                     int(p->event), text(p->event_date), p->employee_months, p->parent_insured, text(p->deceased_on),
                     uint64_t(p->categories));
}

std::string text(const std::vector<store::Enrollment>& es) {
  std::string s;
  for (const auto& e : es)
    s += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{};", e.id, e.person, e.year, e.place.str(), e.household,
                     store::status_id(e.status), text(e.registered_on), text(e.paid_on), text(e.ended_on), e.note);
  return s;
}

std::string text(const std::vector<store::PersonCategory>& cs) {
  std::string s;
  for (const auto& c : cs)
    s += fmt::format("{}|{}|{}|{}|{}|{}|{}|{};", c.person, int(c.category), c.source, text(c.as_of),
                     text(c.valid_from), text(c.valid_to), c.list_batch, c.region.str());
  return s;
}

std::string text(const std::vector<store::EmployeeInsured>& es) {
  std::string s;
  for (const auto& e : es)
    s += fmt::format("{}|{}|{}|{}|{}|{}|{};", e.person, e.name, e.employer, text(e.insured_from), text(e.insured_to),
                     e.as_of.str(), e.region.str());
  return s;
}

class BatchSourceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "postgresql") {
      if (canbao::testing::pg_url().empty()) GTEST_SKIP() << "CANBAO_PG_URL not set";
      url_ = canbao::testing::pg_url();
      oo_.pg_schema = schema_ = canbao::testing::unique_name("canbao_bs");
    } else {
      dir_ = std::filesystem::temp_directory_path() / canbao::testing::unique_name("canbao-batch-source-");
      std::filesystem::create_directories(dir_);
      url_ = (dir_ / "b.db").string();
    }
    st_ = store::open_store(url_, oo_);
    fx_ = server::make_fixture(*st_, 2, 0, 6);
    auto tx = st_->transaction();
    std::vector<store::Person> ps;
    std::vector<store::PersonCategory> cs;
    for (size_t i = 0; i < 6; ++i) {
      auto p = st_->person(fx_.persons[i].id_number);
      if (i % 2 == 0) p->categories = bit(Category::minimum_living) | bit(Category::severe_disability);
      if (i == 1) p->deceased_on = Date::from_ymd(2024, 3, 1);
      ps.push_back(*p);
      // Dated categories: two per person, inserted out of date order.
      for (int k = 0; k < 2; ++k) {
        store::PersonCategory pc;
        pc.person = p->id_number;
        pc.category = k ? Category::monitored : Category::extreme_poverty;
        pc.source = k ? "乡村振兴局" : "民政局";
        pc.as_of = Date::from_ymd(2023, 9 - k, 1);
        pc.valid_from = Date::from_ymd(2023, 6 + k, 1);
        pc.region = fx_.persons[i].village;
        cs.push_back(pc);
      }
    }
    st_->put_persons(ps);
    st_->add_categories(cs);
    std::vector<store::EmployeeInsured> emp;
    for (size_t i : {2u, 3u}) {
      store::EmployeeInsured e;
      e.person = fx_.persons[i].id_number;
      e.name = fx_.persons[i].name;
      e.employer = "某公司";
      e.insured_from = Date::from_ymd(2020, 1, 1);
      if (i == 3) e.insured_to = Date::from_ymd(2023, 6, 30);
      e.as_of = Date::from_ymd(2023, 10, 1);
      e.region = fx_.persons[i].village;
      emp.push_back(e);
    }
    st_->add_employee_insured(emp);
    // Enrollments of the year before (paid, cancelled) and the year after.
    for (size_t i = 0; i < 6; ++i) {
      store::Enrollment e;
      e.person = fx_.persons[i].id_number;
      e.year = 2023;
      e.place = fx_.persons[i].village;
      e.status = i == 4 ? store::EnrollmentStatus::cancelled : store::EnrollmentStatus::paid;
      e.registered_on = Date::from_ymd(2022, 9, 1);
      e.paid_on = Date::from_ymd(2022, 10, 1);
      st_->add_enrollment(e);
      e.year = 2025;
      e.status = store::EnrollmentStatus::registered;
      e.paid_on.reset();
      if (i < 2) st_->add_enrollment(e);
    }
    tx.commit();
  }
  void TearDown() override {
    st_.reset();
    if (!schema_.empty()) canbao::testing::pg_drop_schema(schema_);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  std::string url_, schema_;
  std::filesystem::path dir_;
  store::OpenOptions oo_;
  std::unique_ptr<store::Store> st_;
  server::Fixture fx_;
};

TEST_P(BatchSourceTest, AnswersWhatTheOnePersonReadsAnswer) {
  std::vector<std::string> ids;
  for (const auto& p : fx_.persons) ids.push_back(p.id_number);
  for (const auto& p : fx_.unenrolled) ids.push_back(p.id_number);
  ids.push_back(fx_.persons[0].id_number);  // asked twice
  ids.push_back("11010119900307001X");      // valid form, never imported
  std::vector<std::string_view> views(ids.begin(), ids.end());
  ledger::BatchSource batch(*st_, views, 2023, 2024);
  ledger::StoreSource one(*st_);
  int years_with_rows = 0;
  for (const auto& id : ids) {
    SCOPED_TRACE(id);
    EXPECT_EQ(text(batch.person(id)), text(one.person(id)));
    EXPECT_EQ(text(batch.categories_of(id)), text(one.categories_of(id)));
    EXPECT_EQ(text(batch.employee_insured(id)), text(one.employee_insured(id)));
    for (int year : {2022, 2023, 2024, 2025}) {  // 2022 and 2025 lie outside the years read
      auto b = batch.enrollments_of(id, year);
      EXPECT_EQ(text(b), text(one.enrollments_of(id, year))) << year;
      years_with_rows += !b.empty();
    }
  }
  // The comparison saw rows of every kind (a test over empty answers proves nothing).
  EXPECT_GT(years_with_rows, 20);
  EXPECT_FALSE(text(batch.categories_of(fx_.persons[0].id_number)).empty());
  EXPECT_FALSE(text(batch.employee_insured(fx_.persons[3].id_number)).empty());
  EXPECT_EQ(text(batch.person("11010119900307001X")), "absent");
}

INSTANTIATE_TEST_SUITE_P(Engines, BatchSourceTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& i) { return i.param; });

}  // namespace
