#include "campaign/progress.h"

#include <fmt/format.h>

#include <algorithm>
#include <functional>
#include <map>
#include <unordered_map>

#include "campaign/util.h"
#include "core/money.h"
#include "store/campaign_store.h"

namespace canbao::campaign {

std::string ProgressNode::label() const {
  if (!name.empty()) return name;
  return region.str();
}

namespace {

int next_level(int l) { return l < 4 ? 4 : l < 6 ? 6 : l < 9 ? 9 : 12; }

struct PlaceFigures {
  RegionCode place;
  Counts now, week_ago;
};

// Per place (keyed by padded code, in code order): totals now, minus what is
// dated after the as-of day; week_ago minus what is dated after as_of − 7.
std::map<uint64_t, PlaceFigures> place_figures(store::CampaignStore& cs, RegionCode root, int year, Date as_of,
                                               int finest) {
  std::map<uint64_t, PlaceFigures> places;
  for (auto& p : cs.place_totals(root, year, finest)) {
    auto& f = places[p.place.padded_number()];
    f.place = p.place;
    f.now = p.counts;
    f.week_ago = p.counts;
  }
  std::string ao = as_of.str();
  for (auto& d : cs.place_days_after(root, year, finest, as_of.plus_days(-7))) {
    auto& f = places[d.place.padded_number()];
    f.place = d.place;
    f.week_ago -= d.counts;
    if (d.day > ao) f.now -= d.counts;
  }
  return places;
}

// Builds a ProgressTree in the steps progress.h describes: nodes for the
// codes that carry counts, names or targets, code-less units and 直属 rows,
// then sums bottom-up and ranks siblings.
class TreeBuilder {
 public:
  TreeBuilder(ProgressTree& t, RegionCode root, int depth) : t_(t), root_(root), depth_(depth) {
    t_.nodes.push_back({});
    t_.nodes[0].region = root;
    index_[{root.padded_number(), int(root.level())}] = 0;
    grow();
  }

  // The deepest node (within the shown depth) for a code inside root;
  // creates the path. -1 outside root.
  int node_for(RegionCode code) {
    if (code.empty() || !code.inside(root_)) return -1;
    std::vector<RegionCode> chain;
    for (RegionCode c = code; !(c == root_);) {
      chain.push_back(c);
      auto p = c.parent();
      if (!p || int(p->level()) < int(root_.level())) break;
      c = *p;
    }
    std::reverse(chain.begin(), chain.end());
    int cur = 0;
    for (size_t k = 0; k < chain.size() && int(k) < depth_; ++k) {
      auto key = std::make_pair(chain[k].padded_number(), int(chain[k].level()));
      auto it = index_.find(key);
      if (it == index_.end()) {
        ProgressNode n;
        n.region = chain[k];
        n.depth = t_.nodes[size_t(cur)].depth + 1;
        n.parent = cur;
        it = index_.emplace(key, add_child(cur, std::move(n))).first;
      }
      cur = it->second;
    }
    return cur;
  }

  // Regions with names (only down to the shown depth).
  void name_regions(const std::vector<store::Region>& regions) {
    for (auto& r : regions) {
      int n = node_for(r.code);
      if (n > 0 && t_.nodes[size_t(n)].region == r.code) t_.nodes[size_t(n)].name = r.name;
    }
  }

  void add_places(const std::map<uint64_t, PlaceFigures>& places) {
    for (auto& [code, p] : places) {
      int n = node_for(p.place);
      if (n < 0) continue;
      direct_now_[size_t(n)] += p.now;
      direct_week_[size_t(n)] += p.week_ago;
    }
  }

  void add_targets(const std::vector<store::Target>& targets);
  void route_direct_counts();
  void order_children();
  void sum_up();
  void rank();

 private:
  ProgressTree& t_;
  RegionCode root_;
  int depth_;
  std::map<std::pair<uint64_t, int>, int> index_;  // (padded code, level) → node
  // Per node: counts written at exactly its code, and its own target.
  std::vector<Counts> direct_now_, direct_week_;
  std::vector<int64_t> own_target_;
  std::vector<bool> has_own_;

  void grow() {
    direct_now_.resize(t_.nodes.size());
    direct_week_.resize(t_.nodes.size());
    own_target_.resize(t_.nodes.size(), 0);
    has_own_.resize(t_.nodes.size(), false);
  }
  int add_child(int parent, ProgressNode n) {
    t_.nodes.push_back(std::move(n));
    int id = int(t_.nodes.size()) - 1;
    t_.nodes[size_t(parent)].children.push_back(id);
    grow();
    return id;
  }
  bool has_target_below(const std::map<int, std::vector<const store::Target*>>& at_node, int n) const {
    for (auto& [m, rows] : at_node) {
      if (m == n) continue;
      for (int p = t_.nodes[size_t(m)].parent; p >= 0; p = t_.nodes[size_t(p)].parent)
        if (p == n) return true;
    }
    return false;
  }
};

// A row named like its code's region (or the only row at a code with no
// target rows below it) is that region's own target; other rows at a code
// are code-less units under it (高校).
void TreeBuilder::add_targets(const std::vector<store::Target>& targets) {
  std::map<int, std::vector<const store::Target*>> at_node;
  for (auto& tg : targets) {
    int n = node_for(tg.region);
    if (n >= 0) at_node[n].push_back(&tg);
  }
  for (auto& [n, rows] : at_node) {
    bool below = has_target_below(at_node, n);
    std::string nname = strip_spaces(t_.nodes[size_t(n)].name);
    for (auto* tg : rows) {
      bool own = (!nname.empty() && strip_spaces(tg->unit) == nname) || (rows.size() == 1 && !below);
      if (own) {
        own_target_[size_t(n)] += tg->target;
        has_own_[size_t(n)] = true;
        if (t_.nodes[size_t(n)].name.empty()) t_.nodes[size_t(n)].name = tg->unit;
        continue;
      }
      ProgressNode u;
      u.kind = ProgressNode::Kind::unit;
      u.region = t_.nodes[size_t(n)].region;
      u.name = tg->unit;
      u.depth = t_.nodes[size_t(n)].depth + 1;
      u.parent = n;
      u.has_target = true;
      u.target = tg->target;
      u.target_extra = tg->extra_json;
      add_child(n, std::move(u));
    }
  }
}

// Counts written at a parent's own code go to its single code-less unit,
// else to a 直属 row, so parents are exactly the sum of their rows.
void TreeBuilder::route_direct_counts() {
  size_t nbefore = t_.nodes.size();
  for (size_t n = 0; n < nbefore; ++n) {
    if (t_.nodes[n].children.empty() || (direct_now_[n].zero() && direct_week_[n].zero())) continue;
    std::vector<int> units;
    for (int c : t_.nodes[n].children)
      if (t_.nodes[size_t(c)].kind == ProgressNode::Kind::unit) units.push_back(c);
    int to;
    if (units.size() == 1) {
      to = units[0];
    } else {
      ProgressNode d;
      d.kind = ProgressNode::Kind::direct;
      d.region = t_.nodes[n].region;
      d.name = "直属（未分到下级单位）";
      d.depth = t_.nodes[n].depth + 1;
      d.parent = int(n);
      to = add_child(int(n), std::move(d));
    }
    direct_now_[size_t(to)] += direct_now_[n];
    direct_week_[size_t(to)] += direct_week_[n];
    direct_now_[n] = {};
    direct_week_[n] = {};
  }
}

// Regions by code, then units, then 直属.
void TreeBuilder::order_children() {
  for (auto& n : t_.nodes) {
    std::stable_sort(n.children.begin(), n.children.end(), [&](int a, int b) {
      auto& x = t_.nodes[size_t(a)];
      auto& y = t_.nodes[size_t(b)];
      if (x.kind != y.kind) return int(x.kind) < int(y.kind);
      if (x.kind == ProgressNode::Kind::region) return x.region < y.region;
      return false;
    });
  }
}

// Deeper nodes first: a node's counts and target are its children's sum
// (its own target only when no child has one).
void TreeBuilder::sum_up() {
  std::vector<int> order(t_.nodes.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = int(i);
  std::stable_sort(order.begin(), order.end(),
                   [&](int a, int b) { return t_.nodes[size_t(a)].depth > t_.nodes[size_t(b)].depth; });
  for (int i : order) {
    auto& n = t_.nodes[size_t(i)];
    n.now += direct_now_[size_t(i)];
    n.week_ago += direct_week_[size_t(i)];
    bool child_target = false;
    int64_t sum = 0;
    for (int c : n.children) {
      auto& ch = t_.nodes[size_t(c)];
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
    } else if (has_own_[size_t(i)]) {
      n.has_target = true;
      n.target = own_target_[size_t(i)];
    }
  }
}

// Siblings with a target by completion rate (ties share a rank), compared
// exactly: paid_a/target_a > paid_b/target_b.
void TreeBuilder::rank() {
  for (auto& n : t_.nodes) {
    std::vector<int> ranked;
    for (int c : n.children)
      if (t_.nodes[size_t(c)].has_target && t_.nodes[size_t(c)].target > 0) ranked.push_back(c);
    std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) {
      auto& x = t_.nodes[size_t(a)];
      auto& y = t_.nodes[size_t(b)];
      return __int128(x.now.paid) * y.target > __int128(y.now.paid) * x.target;
    });
    for (size_t k = 0; k < ranked.size(); ++k) {
      auto& x = t_.nodes[size_t(ranked[k])];
      if (k > 0) {
        auto& prev = t_.nodes[size_t(ranked[k - 1])];
        if (__int128(x.now.paid) * prev.target == __int128(prev.now.paid) * x.target) {
          x.rank = prev.rank;
          continue;
        }
      }
      x.rank = int(k) + 1;
    }
  }
}

}  // namespace

Counts counter_totals(store::Store& st, RegionCode scope, int year) { return st.campaign().counter_totals(scope, year); }

ProgressTree progress(store::Store& st, RegionCode root, int year, Date as_of, const ProgressOptions& opt) {
  ProgressTree t;
  t.year = year;
  t.as_of = as_of;
  int finest = int(root.level());
  for (int k = 0; k < opt.depth; ++k) finest = next_level(finest);
  auto places = place_figures(st.campaign(), root, year, as_of, finest);

  TreeBuilder b(t, root, opt.depth);
  if (auto reg = st.region(root)) t.nodes[0].name = reg->name;
  b.name_regions(st.regions_under(root));
  b.add_places(places);
  b.add_targets(st.targets(root, year));
  b.route_direct_counts();
  b.order_children();
  b.sum_up();
  b.rank();
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

namespace {

struct DayKey {
  int64_t region;
  int64_t year;
  std::string day;
  bool operator<(const DayKey& o) const { return std::tie(region, year, day) < std::tie(o.region, o.year, o.day); }
};
DayKey day_key(const store::CounterRow& r) { return {r.region, r.year, r.day}; }

std::string counts_text(const Counts& c) {
  return fmt::format("registered {} paid {} collected {} subsidy {}", c.registered, c.paid, c.collected_fen,
                     c.subsidy_fen);
}

// The place rows against a recount. `subsidised` is compared per place and
// year: the trigger counts a subsidy on the day of the row that changed it,
// the recount on the day of the first subsidy still standing.
void check_places(store::CampaignStore& cs, int year, std::vector<std::string>& out) {
  std::map<DayKey, Counts> want, have;
  std::map<std::pair<int64_t, int64_t>, int64_t> want_sub, have_sub;
  auto collect = [year](std::map<DayKey, Counts>& days, std::map<std::pair<int64_t, int64_t>, int64_t>& sub) {
    return [year, &days, &sub](const store::CounterRow& r) {
      if (year && r.year != year) return;
      Counts c = r.counts;
      sub[{r.region, r.year}] += c.subsidised;
      c.subsidised = 0;
      if (!c.zero()) days[day_key(r)] = c;
    };
  };
  cs.recount(collect(want, want_sub));
  cs.counter_rows(12, collect(have, have_sub));
  for (auto& [k, c] : want) {
    auto it = have.find(k);
    if (it == have.end() || !(it->second == c))
      out.push_back(fmt::format("{} {} {}: counters {} / recount {}", k.region, k.year, k.day,
                                it == have.end() ? "none" : counts_text(it->second), counts_text(c)));
  }
  for (auto& [k, c] : have)
    if (!want.count(k))
      out.push_back(fmt::format("{} {} {}: counters {} / recount none", k.region, k.year, k.day, counts_text(c)));
  for (auto& [k, n] : want_sub)
    if (have_sub[k] != n)
      out.push_back(fmt::format("{} {}: subsidised counters {} / recount {}", k.first, k.second, have_sub[k], n));
  for (auto& [k, n] : have_sub)
    if (n && !want_sub.count(k))
      out.push_back(fmt::format("{} {}: subsidised counters {} / recount 0", k.first, k.second, n));
}

// Roll-ups = the places' rows truncated to the township / county code.
void check_rollups(store::CampaignStore& cs, int year, std::vector<std::string>& out) {
  // Plain variables, not a structured binding: clang before 16 cannot capture
  // one in the lambdas below (fuzz/run.sh builds the server with clang).
  for (auto level : {std::pair<int, int64_t>{9, 1000}, {6, 1000000}}) {
    const int lv = level.first;
    const int64_t div = level.second;
    std::map<DayKey, Counts> roll, want_roll;
    cs.counter_rows(12, [&](const store::CounterRow& r) {
      if (!year || r.year == year) want_roll[{r.region / div * div, r.year, r.day}] += r.counts;
    });
    cs.counter_rows(lv, [&](const store::CounterRow& r) {
      if (!year || r.year == year) roll[day_key(r)] = r.counts;
    });
    for (auto& [k, c] : want_roll)
      if (!(roll[k] == c))
        out.push_back(fmt::format("lvl {} {} {} {}: roll-up differs from its places", lv, k.region, k.year, k.day));
    for (auto& [k, c] : roll)
      if (!c.zero() && !want_roll.count(k))
        out.push_back(fmt::format("lvl {} {} {} {}: roll-up without places", lv, k.region, k.year, k.day));
  }
}

// Totals = the sum of the day rows, at every level.
void check_totals(store::CampaignStore& cs, int year, std::vector<std::string>& out) {
  std::map<std::tuple<int64_t, int64_t, int64_t>, Counts> tot_days, tot;
  auto collect = [year](std::map<std::tuple<int64_t, int64_t, int64_t>, Counts>& m) {
    return [year, &m](const store::CounterRow& r) {
      if (!year || r.year == year) m[{r.lvl, r.region, r.year}] = r.counts;
    };
  };
  cs.counter_row_sums(collect(tot_days));
  cs.total_rows(collect(tot));
  for (auto& [k, c] : tot_days)
    if (!(tot[k] == c))
      out.push_back(fmt::format("lvl {} {} {}: progress_totals differ from the day counters", std::get<0>(k),
                                std::get<1>(k), std::get<2>(k)));
  for (auto& [k, c] : tot)
    if (!c.zero() && !tot_days.count(k))
      out.push_back(fmt::format("lvl {} {} {}: progress_totals without day counters", std::get<0>(k), std::get<1>(k),
                                std::get<2>(k)));
}

}  // namespace

std::vector<std::string> verify_counters(store::Store& st, int year) {
  std::vector<std::string> out;
  check_places(st.campaign(), year, out);
  check_rollups(st.campaign(), year, out);
  check_totals(st.campaign(), year, out);
  return out;
}

void rebuild_counters(store::Store& st) {
  auto tx = st.transaction();
  st.campaign().recount_places();
  rebuild_rollups(st);
  tx.commit();
}

void rebuild_rollups(store::Store& st) {
  auto tx = st.transaction();
  st.campaign().rebuild_rollups();
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
