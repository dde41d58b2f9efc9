// Helpers for the golden tests: load a seed policy, build a person, assess.
#pragma once
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "assess/assessment.h"
#include "core/id_number.h"
#include "policy/loader.h"

namespace canbao::golden {

inline Date D(const char* s) {
  auto d = Date::parse(s);
  if (!d) throw std::runtime_error(std::string("bad date in test: ") + s);
  return *d;
}

inline const Policy& policy(const std::string& name) {
  static std::map<std::string, Policy> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  std::string path = std::string(CANBAO_SOURCE_DIR) + "/policies/2024/" + name + ".toml";
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto load = parse_policy(ss.str(), path);
  if (!load.ok()) {
    std::string msg;
    for (auto& e : load.errors) msg += e.str() + "\n";
    throw std::runtime_error(msg);
  }
  return cache.emplace(name, std::move(*load.policy)).first->second;
}

// A person with a valid ID number born on `birth`, hukou in `hukou`.
struct Person {
  std::string id;
  std::vector<DatedCategory> dated;
  PersonFacts f;
  Person(const char* birth, const char* hukou, std::initializer_list<Category> cats = {}) {
    Date b = D(birth);
    std::string s = fmt::format("{}{:04d}{:02d}{:02d}123", std::string(hukou).substr(0, 6), b.year(), b.month(), b.day());
    s.push_back(IdNumber::check_char(s));
    id = s;
    f.id_number = id;
    f.birth = b;
    f.hukou = *RegionCode::parse(hukou);
    for (auto c : cats) f.categories |= bit(c);
  }
  Person& residence(const char* r) { f.residence = *RegionCode::parse(r); return *this; }
  Person& grade(int g) { f.disability_grade = static_cast<int8_t>(g); return *this; }
  Person& paid(const char* d) { f.has_paid_on = true; f.paid_on = D(d); return *this; }
  Person& registered(const char* d) { f.has_registered_on = true; f.registered_on = D(d); return *this; }
  Person& event(Event e, const char* d) { f.event = e; f.event_date = D(d); return *this; }
  Person& employee_months(int m) { f.employee_months = static_cast<int16_t>(m); return *this; }
  Person& parent_insured(bool y) { f.parent_insured = y ? 1 : 0; return *this; }
  Person& since(Category c, const char* d) {
    f.categories |= bit(c);
    dated.push_back({c, D(d)});
    f.dated = dated;
    return *this;
  }
};

inline Assessment run(const std::string& name, const Person& p, const char* as_of = "2023-11-01", Trace* t = nullptr) {
  Assessment a;
  assess(policy(name), p.f, D(as_of), a, t);
  return a;
}

inline std::string winner(const std::string& name, const Assessment& a) {
  return a.winner < 0 ? "" : policy(name).subsidies[a.winner].id;
}

}  // namespace canbao::golden
