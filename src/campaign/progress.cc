#include "campaign/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include "campaign/util.h"
#include "core/money.h"
#include "store/sql_store.h"

namespace canbao::campaign {

using store::detail::Param;
using store::detail::RowView;
using store::detail::region_range;

std::string ProgressNode::label() const {
  if (!name.empty()) return name;
  return region.str();
}

namespace {

Counts read_counts(const RowView& v, int c0) {
  return Counts{v.i(c0), v.i(c0 + 1), v.i(c0 + 2), v.i(c0 + 3), v.i(c0 + 4)};
}

// Same text as the backfill of migration 3 (store/migrations.cc): the
// counters recomputed from the rows.
constexpr std::string_view kRecount = R"SQL(
SELECT region, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen), SUM(subsidy_fen) FROM (
  SELECT place_region AS region, year, COALESCE(registered_on, '1970-01-01') AS day, 1 AS registered, 0 AS paid,
         0 AS subsidised, 0 AS collected_fen, 0 AS subsidy_fen
    FROM enrollments WHERE status IN ('registered', 'paid')
  UNION ALL
  SELECT place_region, year, COALESCE(paid_on, registered_on, '1970-01-01'), 0, 1, 0, 0, 0
    FROM enrollments WHERE status = 'paid'
  UNION ALL
  SELECT region, year, paid_on, 0, 0, 0, CASE WHEN payer_kind = 'department' THEN 0 ELSE amount END,
         CASE WHEN payer_kind = 'department' THEN amount ELSE 0 END
    FROM payments
  UNION ALL
  SELECT p.region, p.year, p.paid_on, 0, 0, 1, 0, 0 FROM payments p
   WHERE p.kind = 'subsidy' AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)
     AND NOT EXISTS (SELECT 1 FROM payments q WHERE q.person = p.person AND q.year = p.year AND q.kind = 'subsidy'
                     AND q.id < p.id AND NOT EXISTS (SELECT 1 FROM payments r2 WHERE r2.reverses = q.id))
) t GROUP BY region, year, day)SQL";

// The counter level that answers for places down to `finest`: county
// roll-ups (lvl 6) for anything at county level or above, township roll-ups
// (lvl 9), else the places themselves (lvl 12).
int rollup_level(int finest) { return finest <= 6 ? 6 : finest <= 9 ? 9 : 12; }
int rollup_level(RegionCode scope) { return scope.empty() ? 6 : rollup_level(int(scope.level())); }
int next_level(int l) { return l < 4 ? 4 : l < 6 ? 6 : l < 9 ? 9 : 12; }

constexpr std::string_view kRollups = R"SQL(
INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 9, (region / 1000) * 1000, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen),
       SUM(subsidy_fen) FROM progress_counters WHERE lvl = 12 GROUP BY (region / 1000) * 1000, year, day)SQL";
constexpr std::string_view kRollups6 = R"SQL(
INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 6, (region / 1000000) * 1000000, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen),
       SUM(subsidy_fen) FROM progress_counters WHERE lvl = 12 GROUP BY (region / 1000000) * 1000000, year, day)SQL";

}  // namespace

Counts counter_totals(store::Store& st, RegionCode scope, int year) {
  auto [lo, hi] = region_range(scope);
  Counts c;
  sql(st).sql_query(
      "SELECT COALESCE(SUM(registered), 0), COALESCE(SUM(paid), 0), COALESCE(SUM(subsidised), 0), "
      "COALESCE(SUM(collected_fen), 0), COALESCE(SUM(subsidy_fen), 0) FROM progress_totals "
      "WHERE lvl = ? AND region BETWEEN ? AND ? AND year = ?",
      {rollup_level(scope), lo, hi, year}, [&](const RowView& v) { c = read_counts(v, 0); });
  return c;
}

ProgressTree progress(store::Store& st, RegionCode root, int year, Date as_of, const ProgressOptions& opt) {
  ProgressTree t;
  t.year = year;
  t.as_of = as_of;
  auto& s = sql(st);
  auto [lo, hi] = region_range(root);
  Date week_ago = as_of.plus_days(-7);

  // 1. Per place: totals now, minus what is dated after the as-of day.
  struct Place {
    Counts now, week_ago;
  };
  std::map<int64_t, Place> places;
  int finest = int(root.level());
  for (int k = 0; k < opt.depth; ++k) finest = next_level(finest);
  const int lvl = rollup_level(finest);
  s.sql_query(
      "SELECT region, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_totals "
      "WHERE lvl = ? AND region BETWEEN ? AND ? AND year = ?",
      {lvl, lo, hi, year}, [&](const RowView& v) {
        auto& p = places[v.i(0)];
        p.now = read_counts(v, 1);
        p.week_ago = p.now;
      });
  std::string wa = week_ago.str(), ao = as_of.str();
  auto tail = [&](const RowView& v) {
    auto& p = places[v.i(0)];
    Counts c = read_counts(v, 2);
    p.week_ago -= c;
    if (v.s(1) > std::string_view(ao)) p.now -= c;
  };
  if (lvl == 12)  // a few hundred places: all their days (primary key range)
    s.sql_query("SELECT region, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters "
                "WHERE lvl = 12 AND region BETWEEN ? AND ? AND year = ? AND day > ?",
                {lo, hi, year, std::string_view(wa)}, tail);
  else  // roll-ups: the recent days of every township/county ((lvl, year, day) index; `region + 0` keeps it)
    s.sql_query("SELECT region, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters "
                "WHERE lvl = ? AND year = ? AND day > ? AND region + 0 BETWEEN ? AND ?",
                {lvl, year, std::string_view(wa), lo, hi}, tail);

  // 2. The tree.
  std::map<std::pair<uint64_t, int>, int> index;  // (padded code, level) → node
  t.nodes.push_back({});
  {
    auto& r = t.nodes[0];
    r.region = root;
    if (auto reg = st.region(root)) r.name = reg->name;
  }
  index[{root.padded_number(), int(root.level())}] = 0;
  // The deepest node (within opt.depth) for a code inside root; creates the path.
  auto node_for = [&](RegionCode code) -> int {
    if (code.empty() || !code.inside(root)) return -1;
    std::vector<RegionCode> chain;
    for (RegionCode c = code; !(c == root);) {
      chain.push_back(c);
      auto p = c.parent();
      if (!p || int(p->level()) < int(root.level())) break;
      c = *p;
    }
    std::reverse(chain.begin(), chain.end());
    int cur = 0;
    for (size_t k = 0; k < chain.size() && int(k) < opt.depth; ++k) {
      auto key = std::make_pair(chain[k].padded_number(), int(chain[k].level()));
      auto it = index.find(key);
      if (it == index.end()) {
        ProgressNode n;
        n.region = chain[k];
        n.depth = t.nodes[size_t(cur)].depth + 1;
        n.parent = cur;
        t.nodes.push_back(std::move(n));
        int id = int(t.nodes.size()) - 1;
        t.nodes[size_t(cur)].children.push_back(id);
        it = index.emplace(key, id).first;
      }
      cur = it->second;
    }
    return cur;
  };
  // Regions with names (only down to the shown depth).
  for (auto& r : st.regions_under(root)) {
    int n = node_for(r.code);
    if (n > 0 && t.nodes[size_t(n)].region == r.code) t.nodes[size_t(n)].name = r.name;
  }
  std::vector<Counts> direct_now, direct_week;
  auto grow = [&] {
    direct_now.resize(t.nodes.size());
    direct_week.resize(t.nodes.size());
  };
  for (auto& [code, p] : places) {
    int n = node_for(store::detail::region_from_number(code));
    if (n < 0) continue;
    grow();
    direct_now[size_t(n)] += p.now;
    direct_week[size_t(n)] += p.week_ago;
  }
  grow();

  // 3. Targets: a row named like its code's region (or the only row at a
  // code with no target rows below it) is that region's own target; other
  // rows at a code are code-less units under it (高校).
  auto targets = st.targets(root, year);
  std::map<int, std::vector<const store::Target*>> at_node;
  for (auto& tg : targets) {
    int n = node_for(tg.region);
    if (n >= 0) at_node[n].push_back(&tg);
  }
  grow();
  auto has_target_below = [&](int n) {
    for (auto& [m, rows] : at_node) {
      if (m == n) continue;
      for (int p = t.nodes[size_t(m)].parent; p >= 0; p = t.nodes[size_t(p)].parent)
        if (p == n) return true;
    }
    return false;
  };
  std::vector<int64_t> own_target(t.nodes.size(), 0);
  std::vector<bool> has_own(t.nodes.size(), false);
  for (auto& [n, rows] : at_node) {
    bool below = has_target_below(n);
    std::string nname = strip_spaces(t.nodes[size_t(n)].name);
    for (auto* tg : rows) {
      bool own = (!nname.empty() && strip_spaces(tg->unit) == nname) || (rows.size() == 1 && !below);
      if (own) {
        own_target[size_t(n)] += tg->target;
        has_own[size_t(n)] = true;
        if (t.nodes[size_t(n)].name.empty()) t.nodes[size_t(n)].name = tg->unit;
        continue;
      }
      ProgressNode u;
      u.kind = ProgressNode::Kind::unit;
      u.region = t.nodes[size_t(n)].region;
      u.name = tg->unit;
      u.depth = t.nodes[size_t(n)].depth + 1;
      u.parent = n;
      u.has_target = true;
      u.target = tg->target;
      u.target_extra = tg->extra_json;
      t.nodes.push_back(std::move(u));
      t.nodes[size_t(n)].children.push_back(int(t.nodes.size()) - 1);
    }
  }
  grow();
  own_target.resize(t.nodes.size(), 0);
  has_own.resize(t.nodes.size(), false);

  // 4. Counts written at a parent's own code: to its single code-less unit,
  // else to a 直属 row, so parents are exactly the sum of their rows.
  size_t nbefore = t.nodes.size();
  for (size_t n = 0; n < nbefore; ++n) {
    if (t.nodes[n].children.empty() || (direct_now[n].zero() && direct_week[n].zero())) continue;
    std::vector<int> units;
    for (int c : t.nodes[n].children)
      if (t.nodes[size_t(c)].kind == ProgressNode::Kind::unit) units.push_back(c);
    int to;
    if (units.size() == 1) {
      to = units[0];
    } else {
      ProgressNode d;
      d.kind = ProgressNode::Kind::direct;
      d.region = t.nodes[n].region;
      d.name = "直属（未分到下级单位）";
      d.depth = t.nodes[n].depth + 1;
      d.parent = int(n);
      t.nodes.push_back(std::move(d));
      to = int(t.nodes.size()) - 1;
      t.nodes[n].children.push_back(to);
      grow();
    }
    direct_now[size_t(to)] += direct_now[n];
    direct_week[size_t(to)] += direct_week[n];
    direct_now[n] = {};
    direct_week[n] = {};
  }
  own_target.resize(t.nodes.size(), 0);
  has_own.resize(t.nodes.size(), false);

  // 5. Order children (regions by code, then units, then 直属), sum bottom-up.
  for (auto& n : t.nodes) {
    std::stable_sort(n.children.begin(), n.children.end(), [&](int a, int b) {
      auto& x = t.nodes[size_t(a)];
      auto& y = t.nodes[size_t(b)];
      if (x.kind != y.kind) return int(x.kind) < int(y.kind);
      if (x.kind == ProgressNode::Kind::region) return x.region < y.region;
      return false;
    });
  }
  // Post-order by depth: deeper nodes first.
  std::vector<int> order(t.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return t.nodes[size_t(a)].depth > t.nodes[size_t(b)].depth; });
  for (int i : order) {
    auto& n = t.nodes[size_t(i)];
    n.now += direct_now[size_t(i)];
    n.week_ago += direct_week[size_t(i)];
    bool child_target = false;
    int64_t sum = 0;
    for (int c : n.children) {
      auto& ch = t.nodes[size_t(c)];
      n.now += ch.now;
      n.week_ago += ch.week_ago;
      if (ch.has_target) {
        child_target = true;
        sum += ch.target;
      }
    }
    if (n.kind == ProgressNode::Kind::unit) continue;
    if (child_target) {
      n.has_target = true;
      n.target = sum;
    } else if (has_own[size_t(i)]) {
      n.has_target = true;
      n.target = own_target[size_t(i)];
    }
  }
  // 6. Rank siblings with a target by completion rate (ties share a rank).
  for (auto& n : t.nodes) {
    std::vector<int> ranked;
    for (int c : n.children)
      if (t.nodes[size_t(c)].has_target && t.nodes[size_t(c)].target > 0) ranked.push_back(c);
    std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) {
      // compare paid_a/target_a > paid_b/target_b exactly
      auto& x = t.nodes[size_t(a)];
      auto& y = t.nodes[size_t(b)];
      return __int128(x.now.paid) * y.target > __int128(y.now.paid) * x.target;
    });
    for (size_t k = 0; k < ranked.size(); ++k) {
      auto& x = t.nodes[size_t(ranked[k])];
      if (k > 0) {
        auto& prev = t.nodes[size_t(ranked[k - 1])];
        if (__int128(x.now.paid) * prev.target == __int128(prev.now.paid) * x.target) {
          x.rank = prev.rank;
          continue;
        }
      }
      x.rank = int(k) + 1;
    }
  }
  return t;
}

std::vector<int> ProgressTree::at_depth(int depth) const {
  std::vector<int> out;
  // pre-order walk keeps tree order
  std::function<void(int)> walk = [&](int n) {
    if (nodes[size_t(n)].depth == depth) {
      out.push_back(n);
      return;
    }
    for (int c : nodes[size_t(n)].children) walk(c);
  };
  if (!nodes.empty()) walk(0);
  return out;
}

std::vector<int> ProgressTree::level_rows(int depth) const {
  std::vector<int> out;
  std::function<void(int)> walk = [&](int n) {
    const auto& x = nodes[size_t(n)];
    if (x.depth == depth || (x.children.empty() && x.depth > 0 && x.depth < depth)) {
      out.push_back(n);
      return;
    }
    for (int c : x.children) walk(c);
  };
  if (!nodes.empty()) walk(0);
  return out;
}

int ProgressTree::max_depth() const {
  int d = 0;
  for (auto& n : nodes) d = std::max(d, n.depth);
  return d;
}

static nlohmann::json counts_json(const Counts& c) {
  return {{"enrolled", c.registered},   {"paid", c.paid},
          {"subsidised", c.subsidised}, {"paid_fen", c.collected_fen},
          {"paid_yuan", Money::from_fen(c.collected_fen).yuan()}, {"subsidy_fen", c.subsidy_fen},
          {"subsidy_yuan", Money::from_fen(c.subsidy_fen).yuan()}};
}

static std::string_view kind_name(ProgressNode::Kind k) {
  switch (k) {
    case ProgressNode::Kind::region: return "region";
    case ProgressNode::Kind::unit: return "unit";
    case ProgressNode::Kind::direct: return "direct";
  }
  return "region";
}

static nlohmann::json node_json(const ProgressTree& t, int i, int depth_left) {
  const auto& n = t.nodes[size_t(i)];
  nlohmann::json j = counts_json(n.now);
  j["region"] = n.region.str();
  j["name"] = n.label();
  j["kind"] = kind_name(n.kind);
  j["target"] = n.has_target ? nlohmann::json(n.target) : nlohmann::json();
  j["rate"] = n.rate();
  j["rank"] = n.rank ? nlohmann::json(n.rank) : nlohmann::json();
  j["week_ago"] = counts_json(n.week_ago);
  j["change"] = counts_json(n.change());
  if (n.kind == ProgressNode::Kind::unit) j["extra"] = nlohmann::json::parse(n.target_extra, nullptr, false);
  if (depth_left > 0 && !n.children.empty()) {
    j["children"] = nlohmann::json::array();
    for (int c : n.children) j["children"].push_back(node_json(t, c, depth_left - 1));
  }
  return j;
}

nlohmann::json ProgressTree::to_json(int max_depth_) const {
  nlohmann::json items = nlohmann::json::array();
  for (int c : root().children) items.push_back(node_json(*this, c, max_depth_ - 1));
  nlohmann::json total = node_json(*this, 0, 0);
  return {{"year", year}, {"as_of", as_of.str()}, {"region", root().region.str()}, {"region_name", root().name},
          {"items", items}, {"total", total}};
}

// ------------------------------------------------------------ verification

std::vector<std::string> verify_counters(store::Store& st, int year) {
  auto& s = sql(st);
  struct K {
    int64_t region;
    int64_t year;
    std::string day;
    bool operator<(const K& o) const { return std::tie(region, year, day) < std::tie(o.region, o.year, o.day); }
  };
  std::map<K, Counts> want, have;
  std::map<std::pair<int64_t, int64_t>, int64_t> want_sub, have_sub;
  std::vector<std::string> out;
  s.sql_query(kRecount, {}, [&](const RowView& v) {
    if (year && v.i(1) != year) return;
    Counts c = read_counts(v, 3);
    want_sub[{v.i(0), v.i(1)}] += c.subsidised;
    c.subsidised = 0;
    if (!c.zero()) want[{v.i(0), v.i(1), std::string(v.s(2))}] = c;
  });
  s.sql_query(
      "SELECT region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters "
      "WHERE lvl = 12", {},
      [&](const RowView& v) {
        if (year && v.i(1) != year) return;
        Counts c = read_counts(v, 3);
        have_sub[{v.i(0), v.i(1)}] += c.subsidised;
        c.subsidised = 0;
        if (!c.zero()) have[{v.i(0), v.i(1), std::string(v.s(2))}] = c;
      });
  auto fmtc = [](const Counts& c) {
    return fmt::format("registered {} paid {} collected {} subsidy {}", c.registered, c.paid, c.collected_fen,
                       c.subsidy_fen);
  };
  for (auto& [k, c] : want) {
    auto it = have.find(k);
    if (it == have.end() || !(it->second == c))
      out.push_back(fmt::format("{} {} {}: counters {} / recount {}", k.region, k.year, k.day,
                                it == have.end() ? "none" : fmtc(it->second), fmtc(c)));
  }
  for (auto& [k, c] : have)
    if (!want.count(k)) out.push_back(fmt::format("{} {} {}: counters {} / recount none", k.region, k.year, k.day, fmtc(c)));
  for (auto& [k, n] : want_sub)
    if (have_sub[k] != n) out.push_back(fmt::format("{} {}: subsidised counters {} / recount {}", k.first, k.second, have_sub[k], n));
  for (auto& [k, n] : have_sub)
    if (n && !want_sub.count(k)) out.push_back(fmt::format("{} {}: subsidised counters {} / recount 0", k.first, k.second, n));
  // roll-ups = the places' rows truncated to the township / county code
  // Plain variables, not a structured binding: clang before 16 cannot capture
  // one in the lambdas below (fuzz/run.sh builds the server with clang).
  for (auto level : {std::pair<int, int64_t>{9, 1000}, {6, 1000000}}) {
    const int lv = level.first;
    const int64_t div = level.second;
    std::map<K, Counts> roll, want_roll;
    s.sql_query("SELECT region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM "
                "progress_counters WHERE lvl = 12", {}, [&](const RowView& v) {
                  if (!year || v.i(1) == year) want_roll[{v.i(0) / div * div, v.i(1), std::string(v.s(2))}] += read_counts(v, 3);
                });
    s.sql_query("SELECT region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM "
                "progress_counters WHERE lvl = ?", {lv}, [&](const RowView& v) {
                  if (!year || v.i(1) == year) roll[{v.i(0), v.i(1), std::string(v.s(2))}] = read_counts(v, 3);
                });
    for (auto& [k, c] : want_roll)
      if (!(roll[k] == c)) out.push_back(fmt::format("lvl {} {} {} {}: roll-up differs from its places", lv, k.region, k.year, k.day));
    for (auto& [k, c] : roll)
      if (!c.zero() && !want_roll.count(k)) out.push_back(fmt::format("lvl {} {} {} {}: roll-up without places", lv, k.region, k.year, k.day));
  }
  // totals = sum of the day rows, at every level
  std::map<std::tuple<int64_t, int64_t, int64_t>, Counts> tot_days, tot;
  s.sql_query("SELECT lvl, region, year, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen), "
              "SUM(subsidy_fen) FROM progress_counters GROUP BY lvl, region, year",
              {}, [&](const RowView& v) {
                if (!year || v.i(2) == year) tot_days[{v.i(0), v.i(1), v.i(2)}] = read_counts(v, 3);
              });
  s.sql_query("SELECT lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_totals",
              {}, [&](const RowView& v) {
                if (!year || v.i(2) == year) tot[{v.i(0), v.i(1), v.i(2)}] = read_counts(v, 3);
              });
  for (auto& [k, c] : tot_days)
    if (!(tot[k] == c))
      out.push_back(fmt::format("lvl {} {} {}: progress_totals differ from the day counters", std::get<0>(k),
                                std::get<1>(k), std::get<2>(k)));
  for (auto& [k, c] : tot)
    if (!c.zero() && !tot_days.count(k))
      out.push_back(fmt::format("lvl {} {} {}: progress_totals without day counters", std::get<0>(k), std::get<1>(k),
                                std::get<2>(k)));
  return out;
}

void rebuild_counters(store::Store& st) {
  auto& s = sql(st);
  auto tx = st.transaction();
  s.sql_exec("DELETE FROM progress_counters", {});
  s.sql_exec("DELETE FROM progress_totals", {});
  s.sql_exec("INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, "
             "subsidy_fen) SELECT 12, t2.* FROM (" + std::string(kRecount) + ") t2",
             {});
  rebuild_rollups(st);
  tx.commit();
}

void rebuild_rollups(store::Store& st) {
  auto& s = sql(st);
  auto tx = st.transaction();
  s.sql_exec("DELETE FROM progress_counters WHERE lvl <> 12", {});
  s.sql_exec("DELETE FROM progress_totals", {});
  s.sql_exec(kRollups, {});
  s.sql_exec(kRollups6, {});
  s.sql_exec("INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen) "
             "SELECT lvl, region, year, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen), "
             "SUM(subsidy_fen) FROM progress_counters GROUP BY lvl, region, year",
             {});
  tx.commit();
}

// ----------------------------------------------------------------- targets

PolicyTargetsResult targets_from_policy(store::Store& st, const Policy& p) {
  PolicyTargetsResult r;
  auto regions = st.regions_under(p.region);
  std::vector<store::Target> ts;
  for (auto& row : p.targets) {
    store::Target t;
    t.year = p.year;
    t.unit = row.unit;
    t.target = row.target;
    t.region = p.region;
    bool matched = false;
    if (!row.region.empty()) {
      if (auto c = RegionCode::parse(row.region)) {
        t.region = *c;
        matched = true;
      }
    }
    if (!matched) {
      std::string want = strip_spaces(row.unit);
      for (auto& reg : regions)
        if (!(reg.code == p.region) && strip_spaces(reg.name) == want) {
          t.region = reg.code;
          matched = true;
          break;
        }
    }
    nlohmann::json extra = nlohmann::json::object();
    for (auto& [k, v] : row.extra) extra[k] = v;
    t.extra_json = extra.dump();
    r.matched += matched;
    r.total += row.target;
    ts.push_back(std::move(t));
  }
  st.put_targets(ts);
  r.rows = int64_t(ts.size());
  return r;
}

// -------------------------------------------------------------- ISO weeks

namespace {
int weekday_mon0(Date d) { return ((d.days % 7) + 7 + 3) % 7; }  // 1970-01-01 was a Thursday
Date iso_week1_monday(int y) {
  Date jan4 = Date::from_ymd(y, 1, 4);
  return jan4.plus_days(-weekday_mon0(jan4));
}
}  // namespace

std::string IsoWeek::str() const { return fmt::format("{:04d}-W{:02d}", year, week); }

IsoWeek iso_week_of(Date d) {
  int y = d.year();
  Date m1 = iso_week1_monday(y + 1);
  if (d >= m1) y = y + 1;
  else if (d < iso_week1_monday(y)) y = y - 1;
  Date start = iso_week1_monday(y);
  IsoWeek w;
  w.year = y;
  w.week = (d.days - start.days) / 7 + 1;
  w.monday = start.plus_days((w.week - 1) * 7);
  w.friday = w.monday.plus_days(4);
  w.sunday = w.monday.plus_days(6);
  return w;
}

std::optional<IsoWeek> parse_iso_week(std::string_view text) {
  // YYYY-Www or YYYYWww
  std::string s(text);
  if (s.size() == 8 && s[4] == 'W') s.insert(4, "-");
  if (s.size() != 8 || s[4] != '-' || (s[5] != 'W' && s[5] != 'w')) return std::nullopt;
  for (int i : {0, 1, 2, 3, 6, 7})
    if (!std::isdigit(static_cast<unsigned char>(s[size_t(i)]))) return std::nullopt;
  int y = std::stoi(s.substr(0, 4)), wk = std::stoi(s.substr(6, 2));
  if (wk < 1 || wk > 53) return std::nullopt;
  Date monday = iso_week1_monday(y).plus_days((wk - 1) * 7);
  IsoWeek w = iso_week_of(monday);
  if (w.year != y || w.week != wk) return std::nullopt;  // week 53 of a 52-week year
  return w;
}

}  // namespace canbao::campaign
