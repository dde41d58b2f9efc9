#include "support/fixture.h"

#include <fmt/format.h>

#include "core/id_number.h"
#include "store/bulk_load.h"

namespace canbao::server {

Fixture make_fixture(store::Store& st, int vg, int vj, int per) {
  Fixture fx;
  std::vector<store::Region> regs = {{*RegionCode::parse("341702"), "贵池区"},
                                     {*RegionCode::parse("341702100"), "梅街镇"},
                                     {*RegionCode::parse("140502"), "城区"},
                                     {*RegionCode::parse("140502001"), "东街街道"}};
  for (int v = 0; v < vg; ++v) fx.villages.push_back(*RegionCode::parse(fmt::format("341702100{:03d}", 201 + v)));
  for (int v = 0; v < vj; ++v) fx.villages.push_back(*RegionCode::parse(fmt::format("140502001{:03d}", 1 + v)));
  for (size_t k = 0; k < fx.villages.size(); ++k) regs.push_back({fx.villages[k], fmt::format("第{}村", k + 1)});
  st.put_regions(regs);
  std::vector<store::Household> hs;
  std::vector<store::Person> ps;
  int seq = 0;
  for (auto& v : fx.villages) {
    for (int i = 0; i <= per; ++i) {
      ++seq;
      // Birth 1960-01-01 + seq days (adults, no category), distinct sequence numbers.
      Date birth = Date::from_ymd(1960, 1, 1).plus_days(seq % 7000);
      int y, m, d;
      birth.ymd(y, m, d);
      std::string s17 = fmt::format("{}{:04d}{:02d}{:02d}{:03d}", v.str().substr(0, 6), y, m, d, (seq / 7000) % 1000);
      std::string id = s17 + IdNumber::check_char(s17);
      store::Person p;
      p.id_number = id;
      p.name = fmt::format("测试{}", seq);
      p.birth = birth;
      p.male = ((s17[16] - '0') & 1) == 1;
      p.household = fmt::format("HF{}-{:06d}", v.str(), i);
      p.hukou = v;
      ps.push_back(p);
      hs.push_back({p.household, v, id});
      FixturePerson fp{id, p.name, v};
      if (i == per) fx.unenrolled.push_back(fp);
      else fx.persons.push_back(fp);
    }
  }
  // One bulk write per table (COPY on PostgreSQL) with the counter trigger
  // paused and one recount at the end: the rows, their ids (file order) and
  // the counters are those of one add_enrollment per person, without 20,000
  // round trips each running the trigger's upserts.
  std::vector<store::Enrollment> es;
  es.reserve(fx.persons.size());
  for (auto& p : fx.persons) {
    store::Enrollment e;
    e.person = p.id_number;
    e.year = 2024;
    e.place = p.village;
    e.household = "";
    e.status = store::EnrollmentStatus::registered;
    e.registered_on = Date::from_ymd(2023, 9, 1);
    es.push_back(std::move(e));
  }
  auto tx = st.transaction();
  st.put_households(hs);
  st.put_persons(ps);
  store::EnrollmentCountersPaused counters(st);
  st.add_enrollments(es, false);
  counters.finish();
  tx.commit();
  return fx;
}

}  // namespace canbao::server
