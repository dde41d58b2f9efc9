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
#include "registry/rules.h"
#include "server/auth.h"

namespace canbao::server {

namespace {
const RegionCode kGuichi = *RegionCode::parse("341702");

struct DemoRegions {
  RegionCode township, village;
};

DemoRegions first_regions(store::Store& st) {
  DemoRegions d;
  for (auto& r : st.regions_under(kGuichi)) {
    if (d.township.empty() && r.code.level() == RegionCode::township) d.township = r.code;
    if (!d.township.empty() && d.village.empty() && r.code.level() == RegionCode::village && r.code.inside(d.township))
      d.village = r.code;
  }
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

using Say = std::function<void(const std::string&)>;
// Household id → its members, as the roster import left them.
using Households = std::map<std::string, std::vector<store::Person>>;

// 1. A generated roster of the demo's size, imported as the CLI would.
void load_roster(ledger::StorePool& pool, const DemoOptions& o, const Say& say) {
  // Generated in memory and imported as an upload would be: the same reader, no file on disk.
  std::ostringstream out;
  io::GenOptions g;
  g.region = kGuichi;
  g.year = 2024;
  g.persons = o.persons;
  g.seed = o.seed;
  g.window_open = Date::from_ymd(2023, 9, 10);
  g.window_close = Date::from_ymd(2023, 12, 31);
  io::generate_roster(g, out);
  say(fmt::format("生成 {} 人花名册", o.persons));
  auto l = pool.lease();
  registry::ImportOptions io;
  io.actor = "demo";
  io.today = o.today;
  io.mode = registry::ImportMode::partial;
  auto r = registry::import_roster(*l, registry::ImportFile{"demo.csv", std::move(out).str()}, io);
  say(fmt::format("导入花名册：{} 行写入，{} 行拒绝", r.rows_written, r.rows_rejected));
}

// 2. Division codes and targets (township names from the document's target
// table); returns the households the roster formed.
Households regions_and_targets(ledger::StorePool& pool, const DemoOptions& o, const Policy& guichi, const Say& say) {
  std::set<RegionCode> villages, towns;
  Households households;
  auto l = pool.lease();
  l->scan_persons(kGuichi, 5000, [&](std::span<const store::Person> ps) {
    for (auto& p : ps) {
      households[p.household].push_back(p);
      if (p.hukou.level() == RegionCode::village) {
        villages.insert(p.hukou);
        towns.insert(p.hukou.at_level(RegionCode::township));
      }
    }
  });
  std::vector<store::Region> regs = {{*RegionCode::parse("34"), "安徽省"}, {*RegionCode::parse("3417"), "池州市"},
                                     {kGuichi, "贵池区"}};
  std::vector<std::string> names;
  for (auto& t : guichi.targets)
    if (t.unit != "经济开发区" && t.unit != "高校") names.push_back(t.unit);
  std::map<RegionCode, std::string> town_name;
  size_t k = 0;
  for (auto& t : towns) {
    town_name[t] = k < names.size() ? names[k] : fmt::format("第{}乡镇", k + 1);
    regs.push_back({t, town_name[t]});
    ++k;
  }
  std::map<RegionCode, int> nvill;
  for (auto& v : villages) {
    auto t = v.at_level(RegionCode::township);
    int n = ++nvill[t];
    bool street = town_name[t].find("街道") != std::string::npos;
    regs.push_back({v, fmt::format("{}{}{}", town_name[t], n, street ? "社区" : "村")});
  }
  l->put_regions(regs);
  // Targets scaled to the demo's size (the document's numbers are for 510,000 persons).
  std::vector<store::Target> ts;
  double scale = double(o.persons) / 510000.0;
  for (auto& t : guichi.targets) {
    store::Target x;
    x.year = 2024;
    x.unit = t.unit;
    x.target = std::max<int64_t>(1, int64_t(double(t.target) * scale + 0.5));
    x.region = kGuichi;
    for (auto& [code, name] : town_name)
      if (name == t.unit) x.region = code;
    ts.push_back(x);
  }
  l->put_targets(ts);
  say(fmt::format("区划 {} 个乡镇、{} 个村（社区），任务数 {} 条", towns.size(), villages.size(), ts.size()));
  return households;
}

// 3. Enrollment by whole household; a household the rules refuse is left
// for the collectors.
void enroll_households(ledger::StorePool& pool, const Households& households, const DemoOptions& o, const Say& say) {
  int64_t enrolled = 0;
  {
    auto l = pool.lease();
    l->set_bulk_mode(true);
    for (auto& [hh, members] : households) {
      if (hh.empty()) continue;
      auto h = l->household(hh);
      if (!h || !h->region.inside(kGuichi)) continue;
      std::vector<std::string> ids;
      for (auto& m : registry::household_status(*l, hh, 2024, {}, o.today))
        if (m.why == registry::Accounted::not_accounted) ids.push_back(m.id_number);
      if (ids.empty()) continue;
      registry::EnrollRequest er{hh, ids, 2024, h->region, Date::from_ymd(2023, 9, 10), "demo"};
      try {
        enrolled += int64_t(registry::enroll_household(*l, er).size());
      } catch (const registry::RegistryError& e) {
        // leave the household for the collectors
      }
    }
    l->set_bulk_mode(false);
  }
  say(fmt::format("参保登记 {} 人", enrolled));
}

// 4. The demo users with their known passwords (no change required).
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
// day of the window (persons the policy would refuse on that day are skipped).
std::vector<ledger::PaymentRequest> demo_payment_requests(ledger::StorePool& pool, const ledger::PolicySet& policies,
                                                          const Households& households, const DemoOptions& o) {
  std::vector<ledger::PaymentRequest> reqs;
  std::mt19937_64 rng(o.seed);
  std::uniform_real_distribution<double> u01(0, 1);
  int span = o.today.days - Date::from_ymd(2023, 9, 10).days;
  auto l = pool.lease();
  for (auto& [hh, members] : households) {
    if (u01(rng) >= o.paid_share) continue;
    Date day = Date::from_ymd(2023, 9, 10).plus_days(int(rng() % uint64_t(span + 1)));
    for (auto& p : members) {
      auto enr = l->enrollments_of(p.id_number, 2024);
      if (enr.empty() || enr[0].status != store::EnrollmentStatus::registered) continue;
      const Policy* pol = policies.find(enr[0].place, 2024);
      if (!pol) continue;
      registry::FactsChunk fc;
      registry::fill_facts(*l, {p}, 2024, fc);
      auto f = fc.facts.at(0);
      f.has_paid_on = true;
      f.paid_on = day;
      Assessment a;
      assess(*pol, f, day, a);
      if (!a.eligible || !a.due_known || a.payment != PaymentStatus::accepted) continue;
      ledger::PaymentRequest r;
      r.idempotency_key = fmt::format("demo-{}", reqs.size() + 1);
      r.person = p.id_number;
      r.year = 2024;
      r.amount_fen = a.due.fen;
      static const char* chans[] = {"wechat", "village_collector", "alipay", "tax_hall", "app", "bank"};
      r.channel = chans[rng() % 6];
      r.paid_on = day;
      reqs.push_back(r);
    }
  }
  return reqs;
}

// 5. Payments through the ledger (group commit, receipts, subsidy rows),
// from 16 threads as collectors would send them.
void pay_some_households(ledger::StorePool& pool, const ledger::PolicySet& policies, const Households& households,
                         const DemoOptions& o, const Say& say) {
  ledger::Ledger led(pool, policies);
  // Built with its own lease, given back before paying.
  std::vector<ledger::PaymentRequest> reqs = demo_payment_requests(pool, policies, households, o);
  std::vector<std::thread> ts;
  std::atomic<int64_t> ok{0};
  const size_t n = 16;
  ledger::Actor actor{"demo", "admin", kGuichi, ""};
  for (size_t k = 0; k < n; ++k)
    ts.emplace_back([&, k] {
      for (size_t i = k; i < reqs.size(); i += n)
        if (led.pay(actor, reqs[i], o.today).ok) ++ok;
    });
  for (auto& t : ts) t.join();
  say(fmt::format("缴费 {} 笔（含缴费凭证和代缴资助记录）", ok.load()));
}

}  // namespace

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
  const Policy* guichi = policies.find(kGuichi, 2024);
  if (!guichi) throw std::runtime_error("demo: policies/2024/guichi.toml not found under " + o.policies_dir);

  load_roster(pool, o, say);
  Households households = regions_and_targets(pool, o, *guichi, say);
  enroll_households(pool, households, o, say);
  DemoRegions d;
  {
    auto l = pool.lease();
    d = first_regions(*l);
  }
  auto users = users_for(d);
  create_users(pool, users);
  pay_some_households(pool, policies, households, o, say);
  return users;
}

}  // namespace canbao::server
