#include "registry/rules.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

#include "core/id_number.h"

namespace canbao::registry {

using store::Enrollment;
using store::EnrollmentStatus;
using store::Store;

std::string_view accounted_label(Accounted a) {
  switch (a) {
    case Accounted::not_accounted: return "未参保";
    case Accounted::enrolling: return "本次参保";
    case Accounted::enrolled: return "已在本年度参保";
    case Accounted::employee_insured: return "已参加职工医保";
    case Accounted::deceased: return "已死亡";
    case Accounted::university_student: return "高校在校学生（在校参保）";
  }
  return "";
}

namespace {

bool employee_insured_on(Store& st, const std::string& id, Date today) {
  for (const auto& e : st.employee_insured(id))
    if ((!e.insured_from || *e.insured_from <= today) && (!e.insured_to || *e.insured_to >= today)) return true;
  for (const auto& c : st.categories_of(id))
    if (c.category == Category::employee_insured && (!c.valid_to || *c.valid_to >= today)) return true;
  return false;
}

bool has_category(Store& st, const std::string& id, Category cat, Date today) {
  for (const auto& c : st.categories_of(id))
    if (c.category == cat && (!c.valid_to || *c.valid_to >= today)) return true;
  return false;
}

std::string enrollment_ref(const Enrollment& e) {
  return fmt::format("#{} {}年 {} {}", e.id, e.year, e.place.str(), store::status_label(e.status));
}

std::string enrollment_json(const Enrollment& e) {
  return fmt::format(R"({{"id":{},"year":{},"place":"{}","status":"{}","ended_on":"{}"}})", e.id, e.year,
                     e.place.str(), store::status_id(e.status), e.ended_on ? e.ended_on->str() : "");
}

}  // namespace

std::vector<MemberStatus> household_status(Store& st, std::string_view household, int year,
                                           std::span<const std::string> enrolling, Date today) {
  std::vector<MemberStatus> out;
  for (const auto& m : st.household_members(household)) {
    MemberStatus s{m.id_number, Accounted::not_accounted};
    if (std::find(enrolling.begin(), enrolling.end(), m.id_number) != enrolling.end()) s.why = Accounted::enrolling;
    else if (m.deceased_on && *m.deceased_on <= today) s.why = Accounted::deceased;
    else if (auto es = st.enrollments_of(m.id_number, year);  // one vector: begin and end of the same one
             std::any_of(es.begin(), es.end(), [](const Enrollment& e) { return store::is_active(e.status); }))
      s.why = Accounted::enrolled;
    else if (employee_insured_on(st, m.id_number, today)) s.why = Accounted::employee_insured;
    else if (has_category(st, m.id_number, Category::university_student, today)) s.why = Accounted::university_student;
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<int64_t> enroll_household(Store& st, const EnrollRequest& req) {
  auto tx = st.transaction();
  // Each person: known, in the household, alive, not employee-insured, not already enrolled.
  for (const auto& id : req.persons) {
    auto p = st.person(id);
    if (!p)
      throw RegistryError("unknown_person", fmt::format("person {} is not in the registry", mask_id(id)),
                          fmt::format("{} 不在人员登记中，请先登记", mask_id(id)));
    if (p->household != req.household)
      throw RegistryError("not_in_household",
                          fmt::format("person {} is not a member of household {}", mask_id(id), req.household),
                          fmt::format("{} 不是户 {} 的成员", mask_id(id), req.household));
    if (p->deceased_on && *p->deceased_on <= req.today)
      throw RegistryError("deceased", fmt::format("person {} is recorded as deceased", mask_id(id)),
                          fmt::format("{} 已登记死亡，不能参保", mask_id(id)));
    if (employee_insured_on(st, id, req.today))
      throw RegistryError("employee_insured",
                          fmt::format("person {} is on the employee-insurance roster (duplicate insurance)", mask_id(id)),
                          fmt::format("{} 已参加职工医保，不能重复参加居民医保", mask_id(id)));
    for (const auto& e : st.enrollments_of(id, req.year)) {
      if (!store::is_active(e.status)) continue;
      bool elsewhere = e.place != req.place;
      throw RegistryError(
          "duplicate_enrollment",
          fmt::format("person {} already has an active {} enrollment ({}){}", mask_id(id), req.year,
                      enrollment_ref(e), elsewhere ? "; suspend it at the old place first (参保暂停)" : ""),
          fmt::format("{} 已有{}年度参保登记（{}）{}", mask_id(id), req.year, enrollment_ref(e),
                      elsewhere ? "，须先在原参保地办理参保暂停" : "，不得重复参保"));
    }
  }
  // 不得选择性参保.
  auto members = household_status(st, req.household, req.year, req.persons, req.today);
  std::vector<std::string> missing;
  for (const auto& m : members)
    if (m.why == Accounted::not_accounted) missing.push_back(mask_id(m.id_number));
  if (!missing.empty()) {
    std::string list;
    for (auto& m : missing) list += (list.empty() ? "" : "、") + m;
    throw RegistryError(
        "selective_enrollment",
        fmt::format("household {} must enroll as a whole; not enrolled and not accounted for: {}", req.household,
                    list),
        fmt::format("户 {} 须以户为单位整户参保（不得选择性参保），以下成员未参保且无职工医保、异地参保、死亡或高校在校等情形：{}",
                    req.household, list));
  }
  std::vector<int64_t> ids;
  for (const auto& id : req.persons) {
    Enrollment e;
    e.person = id;
    e.year = req.year;
    e.place = req.place;
    e.household = req.household;
    e.status = EnrollmentStatus::registered;
    e.registered_on = req.today;
    e.id = st.add_enrollment(e);
    ids.push_back(e.id);
    st.audit({"", req.actor, "enroll", "enrollment", std::to_string(e.id), "", enrollment_json(e), req.place});
  }
  tx.commit();
  return ids;
}

std::vector<Finding2> find_conflicts(Store& st, RegionCode scope, int year, Date today) {
  std::vector<Finding2> out;
  std::map<std::string, bool> persons;
  for (const auto& e : st.enrollments_in(scope, year))
    if (store::is_active(e.status)) persons[e.person] = true;
  for (const auto& [id, _] : persons) {
    std::vector<Enrollment> active;
    for (auto& e : st.enrollments_of(id, year))
      if (store::is_active(e.status)) active.push_back(e);
    for (size_t i = 0; i < active.size(); ++i)
      for (size_t j = i + 1; j < active.size(); ++j) {
        const auto& a = active[i];
        const auto& b = active[j];
        if (a.place == b.place)
          out.push_back({"same_place_twice", mask_id(id), a.id, b.id,
                         fmt::format("{} 在同一参保地重复登记 {} 年度：{} 与 {}", mask_id(id), year,
                                     enrollment_ref(a), enrollment_ref(b)),
                         fmt::format("{} enrolled twice for {} at the same place: {} and {}", mask_id(id), year,
                                     enrollment_ref(a), enrollment_ref(b))});
        else
          out.push_back({"two_places", mask_id(id), a.id, b.id,
                         fmt::format("{} 在两地重复参保 {} 年度：{} 与 {}；迁移须先在原参保地办理参保暂停",
                                     mask_id(id), year, enrollment_ref(a), enrollment_ref(b)),
                         fmt::format("{} enrolled for {} at two places: {} and {} (moved without suspension at "
                                     "the old place)",
                                     mask_id(id), year, enrollment_ref(a), enrollment_ref(b))});
      }
    if (!active.empty() && employee_insured_on(st, id, today)) {
      std::string employer;
      for (auto& e : st.employee_insured(id)) employer = e.employer;
      out.push_back({"employee_insured", mask_id(id), active[0].id, 0,
                     fmt::format("{} 已参加职工医保（{}），又有居民医保参保登记 {}，属重复参保", mask_id(id),
                                 employer.empty() ? "职工医保参保名单" : employer, enrollment_ref(active[0])),
                     fmt::format("{} is on the employee-insurance roster ({}) and has resident enrollment {}",
                                 mask_id(id), employer.empty() ? "roster" : employer, enrollment_ref(active[0]))});
    }
  }
  return out;
}

void suspend_enrollment(Store& st, int64_t enrollment_id, Date on, const std::string& actor,
                        const std::string& reason) {
  auto tx = st.transaction();
  auto e = st.enrollment(enrollment_id);
  if (!e)
    throw RegistryError("unknown_enrollment", fmt::format("enrollment {} not found", enrollment_id),
                        fmt::format("参保登记 {} 不存在", enrollment_id));
  if (!store::is_active(e->status))
    throw RegistryError("not_active", fmt::format("enrollment {} is not active", enrollment_id),
                        fmt::format("参保登记 {} 当前状态为{}，无需暂停", enrollment_id, store::status_label(e->status)));
  std::string old = enrollment_json(*e);
  e->status = EnrollmentStatus::suspended;
  e->ended_on = on;
  if (!reason.empty()) e->note = reason;
  st.update_enrollment(*e);
  auto now = nlohmann::json::parse(enrollment_json(*e));
  if (!reason.empty()) now["reason"] = reason;
  st.audit({"", actor, "suspend", "enrollment", std::to_string(e->id), old,
            now.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), e->place});
  tx.commit();
}

void move_household(Store& st, std::string_view household, RegionCode to, Date on, const std::string& actor) {
  auto tx = st.transaction();
  auto h = st.household(household);
  if (!h)
    throw RegistryError("unknown_household", fmt::format("household {} not found", household),
                        fmt::format("户 {} 不存在", household));
  auto members = st.household_members(household);
  RegionCode from = h->region;
  h->region = to;
  st.put_households(std::span<const store::Household>(&*h, 1));
  for (auto& m : members) m.hukou = to;
  st.put_persons(members);
  st.audit({"", actor, "move_household", "household", std::string(household),
            fmt::format(R"({{"region":"{}"}})", from.str()),
            fmt::format(R"({{"region":"{}","on":"{}"}})", to.str(), on.str()), to});
  tx.commit();
}

void move_person(Store& st, std::string_view id_number, std::string_view to_household, Date on,
                 const std::string& actor) {
  auto tx = st.transaction();
  auto p = st.person(id_number);
  if (!p)
    throw RegistryError("unknown_person", fmt::format("person {} not found", mask_id(id_number)),
                        fmt::format("{} 不在人员登记中", mask_id(id_number)));
  auto h = st.household(to_household);
  if (!h)
    throw RegistryError("unknown_household", fmt::format("household {} not found", to_household),
                        fmt::format("户 {} 不存在", to_household));
  std::string from = p->household;
  p->household = h->id;
  p->hukou = h->region;
  st.put_persons(std::span<const store::Person>(&*p, 1));
  st.audit({"", actor, "move_person", "person", p->id_number, fmt::format(R"({{"household":"{}"}})", from),
            fmt::format(R"({{"household":"{}","on":"{}"}})", h->id, on.str()), h->region});
  tx.commit();
}

void move_person_to_new_household(Store& st, std::string_view id_number, std::string_view household,
                                  RegionCode region, Date on, const std::string& actor) {
  auto tx = st.transaction();
  if (st.household(household))
    throw RegistryError("duplicate_household", fmt::format("household {} already exists", household),
                        fmt::format("户 {} 已存在", household));
  if (!st.person(id_number))
    throw RegistryError("unknown_person", fmt::format("person {} not found", mask_id(id_number)),
                        fmt::format("{} 不在人员登记中", mask_id(id_number)));
  store::Household h{std::string(household), region, std::string(id_number)};
  st.put_households(std::span<const store::Household>(&h, 1));
  st.audit({"", actor, "create_household", "household", h.id, "",
            fmt::format(R"({{"region":"{}","on":"{}"}})", region.str(), on.str()), region});
  move_person(st, id_number, household, on, actor);
  tx.commit();
}

void register_birth(Store& st, const store::Person& newborn, const std::string& actor) {
  auto tx = st.transaction();
  if (!st.household(newborn.household))
    throw RegistryError("unknown_household", fmt::format("household {} not found", newborn.household),
                        fmt::format("户 {} 不存在，请先登记户", newborn.household));
  if (st.person(newborn.id_number))
    throw RegistryError("duplicate_person", fmt::format("person {} already registered", mask_id(newborn.id_number)),
                        fmt::format("{} 已登记", mask_id(newborn.id_number)));
  store::Person p = newborn;
  if (p.event == Event::none) p.event = Event::birth;
  if (!p.event_date) p.event_date = p.birth;
  st.put_persons(std::span<const store::Person>(&p, 1));
  st.audit({"", actor, "birth", "person", p.id_number, "",
            fmt::format(R"({{"household":"{}","birth":"{}"}})", p.household, p.birth.str()), p.hukou});
  tx.commit();
}

void register_death(Store& st, std::string_view id_number, Date on, const std::string& actor) {
  auto tx = st.transaction();
  auto p = st.person(id_number);
  if (!p)
    throw RegistryError("unknown_person", fmt::format("person {} not found", mask_id(id_number)),
                        fmt::format("{} 不在人员登记中", mask_id(id_number)));
  p->deceased_on = on;
  st.put_persons(std::span<const store::Person>(&*p, 1));
  st.audit({"", actor, "death", "person", p->id_number, "", fmt::format(R"({{"deceased_on":"{}"}})", on.str()),
            p->hukou});
  for (auto e : st.enrollments_of(id_number, std::nullopt)) {
    if (!store::is_active(e.status)) continue;
    std::string old = enrollment_json(e);
    if (e.year > on.year()) {
      e.status = EnrollmentStatus::cancelled;  // a later year never starts
      e.note = "死亡注销";
    } else {
      e.note = "死亡";  // coverage of the current year ends on the day; the record stays
    }
    e.ended_on = on;
    st.update_enrollment(e);
    st.audit({"", actor, "end_enrollment", "enrollment", std::to_string(e.id), old, enrollment_json(e), e.place});
  }
  tx.commit();
}

}  // namespace canbao::registry
