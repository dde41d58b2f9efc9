#include "server/demo.h"

#include <fmt/format.h>

#include <filesystem>
#include <functional>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "assess/assessment.h"
#include "io/gen.h"
#include "ledger/ledger.h"
#include "ledger/pool.h"
#include "registry/facts_builder.h"
#include "registry/import.h"
#include "registry/regions.h"
#include "registry/rules.h"
#include "server/auth.h"

namespace canbao::server {

namespace {
const RegionCode kGuichi = *RegionCode::parse("341702");

// Task units the document (附件2) names otherwise than the division table.
const std::map<std::string, std::string> kUnitAliases = {{"经济开发区", "池州经济技术开发区"}};
// 高校 is a unit without a place: university students are counted by their
// school, not their village. The demo enrolls them at the school — the county's
// own code, as no village holds a university (池州学院 and the others lie in
// 贵池区) — and the progress tree (campaign/progress.cc) routes the counts
// written at a parent's own code to its one code-less unit, so 高校 shows
// exactly the students enrolled at school.
constexpr std::string_view kUniversities = "高校";

struct DemoRegions {
  RegionCode township, village;
};

// The demo collector works the village with the most residents (the first
// such village in code order), and the township user its township: real NBS
// villages differ a lot in size, and a collector whose village has a handful
// of people would show an empty campaign.
DemoRegions first_regions(store::Store& st) {
  DemoRegions d;
  int64_t most = -1;
  for (auto& r : st.regions_under(kGuichi)) {
    if (r.code.level() != RegionCode::village) continue;
    int64_t n = st.count_persons(r.code);
    if (n > most) {
      most = n;
      d.village = r.code;
    }
  }
  if (!d.village.empty()) d.township = d.village.parent().value_or(RegionCode());
  return d;
}

std::vector<DemoUser> users_for(const DemoRegions& d) {
  return {
      {"admin", "demo-admin-2024", "admin", "341702", "贵池区医保局管理员"},
      {"zhen01", "demo-zhen-2024", "township", d.township.str(), "乡镇经办"},
      {"cun01", "demo-cun-2024", "village", d.village.str(), "村协理员"},
      {"shenji", "demo-audit-2024", "auditor", "341702", "审计"},
      {"shuiwu", "demo-tax-2024", "tax", "341702", "税务局"},
      {"minzheng", "demo-mz-2024", "department", "341702", "民政局"},
  };
}

const Policy& guichi_policy(const ledger::PolicySet& policies, const std::string& dir) {
  const Policy* found = nullptr;
  for (const auto& p : policies.all())
    if (p.region == kGuichi && !p.targets.empty() && (!found || p.year > found->year)) found = &p;
  if (!found) throw std::runtime_error("demo: 在 " + dir + " 下找不到贵池区（341702）含任务表的政策文件");
  return *found;
}

Date collection_open(const Policy& p) {
  if (p.windows.empty()) throw std::runtime_error("demo: 政策 " + p.id + " 没有缴费期");
  return p.windows.front().open;
}

using Say = std::function<void(const std::string&)>;
// Household id → its members, as the roster import left them.
using Households = std::map<std::string, std::vector<store::Person>>;

// 贵池's townships (街道, 镇, 开发区 units) and their villages as the division table names them.
struct Places {
  std::map<RegionCode, std::string> towns;
  std::map<RegionCode, std::vector<RegionCode>> villages;  // township → its villages and communities
};

// 1. The division table, then 贵池's places read back from it.
Places load_places(ledger::StorePool& pool, const DemoOptions& o, const Say& say) {
  auto l = pool.lease();
  auto r = registry::import_regions(*l, o.regions_file);
  if (!r.ok())
    throw std::runtime_error(fmt::format("demo: 区划代码表 {} 第 {} 行：{}", o.regions_file, r.problems[0].row,
                                         r.problems[0].reason));
  Places p;
  for (auto& reg : l->regions_under(kGuichi)) {
    if (reg.code.level() == RegionCode::township) p.towns[reg.code] = reg.name;
    if (reg.code.level() == RegionCode::village) p.villages[reg.code.at_level(RegionCode::township)].push_back(reg.code);
  }
  if (p.towns.empty()) throw std::runtime_error("demo: 区划代码表 " + o.regions_file + " 中没有贵池区（341702）的乡镇");
  say(fmt::format("区划代码 {} 条（贵池区 {} 个乡镇街道及园区）", r.written, p.towns.size()));
  return p;
}

// The region of a task unit: the township of that name (or of its alias);
// the county's own code for 高校; an unknown name stops the demo rather than
// leaving a unit on the county code at 0%.
RegionCode unit_region(const Places& places, const std::string& unit) {
  if (unit == kUniversities) return kGuichi;
  auto alias = kUnitAliases.find(unit);
  const std::string& name = alias == kUnitAliases.end() ? unit : alias->second;
  for (auto& [code, n] : places.towns)
    if (n == name) return code;
  throw std::runtime_error("demo: 任务单位“" + unit + "”在区划代码表中找不到对应的乡镇（街道）");
}

// 2. A generated roster of the demo's size living in the real villages, each
// township's people in proportion to its task number, imported as the CLI would.
void load_roster(ledger::StorePool& pool, const DemoOptions& o, const Policy& guichi, const Places& places,
                 Date today, const Say& say) {
  io::GenOptions g = io::gen_options_for(guichi, o.persons, o.seed, 0.0);
  for (auto& t : guichi.targets) {
    RegionCode town = unit_region(places, t.unit);
    auto vs = places.villages.find(town);
    if (town == kGuichi || vs == places.villages.end()) continue;
    for (auto& v : vs->second) g.villages.push_back({v, uint64_t(t.target) * 1000 / vs->second.size()});
  }
  // Generated in memory and imported as an upload would be: the same reader, no file on disk.
  std::ostringstream out;
  io::generate_roster(g, out);
  say(fmt::format("生成 {} 人花名册", o.persons));
  auto l = pool.lease();
  registry::ImportOptions io;
  io.actor = "demo";
  io.today = today;
  io.mode = registry::ImportMode::partial;
  auto r = registry::import_roster(*l, registry::ImportFile{"demo.csv", std::move(out).str()}, io);
  say(fmt::format("导入花名册：{} 行写入，{} 行拒绝", r.rows_written, r.rows_rejected));
}

// 3. The document's targets on their regions (scaled to the demo's size);
// returns the households the roster formed.
Households targets(ledger::StorePool& pool, const DemoOptions& o, const Policy& guichi, const Places& places,
                   const Say& say) {
  Households households;
  auto l = pool.lease();
  l->scan_persons(kGuichi, 5000, [&](std::span<const store::Person> ps) {
    for (auto& p : ps) households[p.household].push_back(p);
  });
  std::vector<store::Target> ts;
  int64_t total = 0;
  for (auto& t : guichi.targets) total += t.target;
  double scale = total ? double(o.persons) / double(total) : 0;
  for (auto& t : guichi.targets) {
    store::Target x;
    x.year = guichi.year;
    x.unit = t.unit;
    x.target = std::max<int64_t>(1, int64_t(double(t.target) * scale + 0.5));
    x.region = unit_region(places, t.unit);
    ts.push_back(x);
  }
  l->put_targets(ts);
  say(fmt::format("任务数 {} 条（按名称对应到区划）", ts.size()));
  return households;
}

// 4. Enrollment by whole household (a household the rules refuse is left
// for the collectors); its university students at their school (高校).
void enroll_households(ledger::StorePool& pool, const Households& households, const Policy& guichi, Date today,
                       const Say& say) {
  int64_t enrolled = 0, at_school = 0;
  const Date open = collection_open(guichi);
  {
    auto l = pool.lease();
    l->set_bulk_mode(true);
    for (auto& [hh, members] : households) {
      if (hh.empty()) continue;
      auto h = l->household(hh);
      if (!h || !h->region.inside(kGuichi)) continue;
      std::vector<std::string> ids, students;
      for (auto& m : registry::household_status(*l, hh, guichi.year, {}, today)) {
        if (m.why == registry::Accounted::not_accounted) ids.push_back(m.id_number);
        if (m.why == registry::Accounted::university_student) students.push_back(m.id_number);
      }
      try {
        if (!ids.empty())
          enrolled += int64_t(registry::enroll_household(*l, {hh, ids, guichi.year, h->region, open, "demo"}).size());
        if (!students.empty())
          at_school += int64_t(registry::enroll_household(*l, {hh, students, guichi.year, kGuichi, open, "demo"}).size());
      } catch (const registry::RegistryError& e) {
        // leave the household for the collectors
      }
    }
    l->set_bulk_mode(false);
  }
  say(fmt::format("参保登记 {} 人（其中高校在校参保 {} 人）", enrolled + at_school, at_school));
}

// 5. The demo users with their known passwords (no change required).
void create_users(ledger::StorePool& pool, const std::vector<DemoUser>& users) {
  auto l = pool.lease();
  for (auto& u : users) {
    User x;
    x.username = u.username;
    x.display_name = u.note;
    x.role = u.role;
    x.scope = *RegionCode::parse(u.region);
    if (u.role == "department") x.department = "民政局";
    create_user(*l, x, u.password, "demo", false);
  }
}

// The payments a share of households make, each member's due on a random
// day of the window (persons the policy would refuse on that day are skipped);
// students enrolled at school pay through it.
std::vector<ledger::PaymentRequest> demo_payment_requests(ledger::StorePool& pool, const ledger::PolicySet& policies,
                                                          const Policy& guichi, const Households& households,
                                                          const DemoOptions& o, Date today) {
  std::vector<ledger::PaymentRequest> reqs;
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u01(0, 1);
  const Date open = collection_open(guichi);
  const int year = guichi.year;
  int span = std::max(0, today.days - open.days);
  auto l = pool.lease();
  for (auto& [hh, members] : households) {
    if (u01(rng) >= o.paid_share) continue;
    Date day = open.plus_days(int(rng() % uint64_t(span + 1)));
    for (auto& p : members) {
      auto enr = l->enrollments_of(p.id_number, year);
      if (enr.empty() || enr[0].status != store::EnrollmentStatus::registered) continue;
      const Policy* pol = policies.find(enr[0].place, year);
      if (!pol) continue;
      registry::FactsChunk fc;
      registry::fill_facts(*l, {p}, year, fc);
      auto f = fc.facts.at(0);
      f.has_paid_on = true;
      f.paid_on = day;
      Assessment a;
      assess(*pol, f, day, a);
      if (!a.eligible || !a.due_known || a.payment != PaymentStatus::accepted) continue;
      ledger::PaymentRequest r;
      r.idempotency_key = fmt::format("demo-{}", reqs.size() + 1);
      r.person = p.id_number;
      r.year = year;
      r.amount_fen = a.due.fen;
      static const char* chans[] = {"wechat", "village_collector", "alipay", "tax_hall", "app", "bank"};
      r.channel = chans[rng() % 6];
      if (enr[0].place == kGuichi) {
        r.channel = "school";
        r.payer_kind = "school";
      }
      r.paid_on = day;
      reqs.push_back(r);
    }
  }
  return reqs;
}

// 6. Payments through the ledger (group commit, receipts, subsidy rows),
// from 16 threads as collectors would send them; what cun01's village pays
// through a channel a collector may take is recorded as cun01's, so the
// demo's collector has a 日结 (daily handover) of their own.
void pay_some_households(ledger::StorePool& pool, const ledger::PolicySet& policies, const Policy& guichi,
                         const Households& households, const DemoOptions& o, Date today, const DemoRegions& d,
                         const Say& say) {
  ledger::Ledger led(pool, policies);
  // Built with its own lease, given back before paying.
  std::vector<ledger::PaymentRequest> reqs = demo_payment_requests(pool, policies, guichi, households, o, today);
  std::map<std::string, RegionCode> place;
  {
    auto l = pool.lease();
    for (auto& r : reqs)
      if (auto p = l->person(r.person)) place[r.person] = p->hukou;
  }
  std::vector<std::thread> ts;
  std::atomic<int64_t> ok{0};
  const size_t n = 16;
  const ledger::Actor bureau{"demo", "admin", kGuichi, ""};
  const ledger::Actor collector{"cun01", "village", d.village, ""};
  for (size_t k = 0; k < n; ++k)
    ts.emplace_back([&, k] {
      for (size_t i = k; i < reqs.size(); i += n) {
        auto at = place.find(reqs[i].person);  // read-only here: shared by the threads
        bool own = at != place.end() && at->second == d.village && role_channel("village", reqs[i].channel);
        if (led.pay(own ? collector : bureau, reqs[i], today).ok) ++ok;
      }
    });
  for (auto& t : ts) t.join();
  say(fmt::format("缴费 {} 笔（含缴费凭证和代缴资助记录）", ok.load()));
}

}  // namespace

Date demo_today(const std::string& policies_dir) {
  auto policies = ledger::PolicySet::load_dir(policies_dir);
  return collection_open(guichi_policy(policies, policies_dir)).plus_days(7 * 10 + 1);
}

std::vector<DemoUser> build_demo(const DemoOptions& o, bool verbose) {
  Say say = [&](const std::string& s) {
    if (verbose) fmt::print(stderr, "demo: {}\n", s);
  };
  ledger::StorePool pool(o.db, {}, 4);
  {
    auto l = pool.lease();
    if (find_user(*l, std::string_view("admin"))) return users_for(first_regions(*l));
  }
  auto policies = ledger::PolicySet::load_dir(o.policies_dir);
  const Policy& guichi = guichi_policy(policies, o.policies_dir);
  const Date today = o.today ? *o.today : collection_open(guichi).plus_days(7 * 10 + 1);

  Places places = load_places(pool, o, say);
  load_roster(pool, o, guichi, places, today, say);
  Households households = targets(pool, o, guichi, places, say);
  enroll_households(pool, households, guichi, today, say);
  DemoRegions d;
  {
    auto l = pool.lease();
    d = first_regions(*l);
  }
  auto users = users_for(d);
  create_users(pool, users);
  pay_some_households(pool, policies, guichi, households, o, today, d, say);
  return users;
}

}  // namespace canbao::server
