// Tax-bureau payment files (税务征收明细): one ledger payment per row, keyed by
// the electronic tax receipt number (elec_taxrpt_no), so importing the same
// file (or an overlapping one) twice records every payment once.
#include <fmt/format.h>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>

#include "core/id_number.h"
#include "core/money.h"
#include "io/table.h"
#include "ledger/ledger.h"
#include "ledger/tax_import.h"
#include "registry/sha256.h"

namespace canbao::ledger {

namespace {
std::string norm(std::string_view h) {
  std::string o;
  for (char c : h)
    if (c != ' ' && c != '\t') o += char(std::tolower(static_cast<unsigned char>(c)));
  return o;
}
int find_col(const std::vector<std::string>& header, std::initializer_list<std::string_view> names) {
  for (size_t i = 0; i < header.size(); ++i)
    for (auto n : names)
      if (norm(header[i]) == norm(n)) return int(i);
  return -1;
}
}  // namespace

nlohmann::json TaxImportResult::report() const {
  nlohmann::json probs = nlohmann::json::array();
  for (const auto& p : problems)
    probs.push_back({{"row", p.row}, {"column", p.column}, {"value", p.value}, {"reason", p.reason}});
  return {{"batch_id", batch_id},       {"already_imported", already_imported}, {"committed", true},
          {"rows_total", rows_total},   {"rows_written", rows_written},         {"rows_replayed", rows_replayed},
          {"rows_rejected", rows_rejected}, {"problems", probs},
          {"findings", rows_replayed ? nlohmann::json::array({{{"row", 0}, {"code", "already_imported"},
                                                               {"message", fmt::format("{} 行的电子税票号码已导入过，未重复记账",
                                                                                       rows_replayed)}}})
                                     : nlohmann::json::array()}};
}

namespace {

// Where each column is in the file's header (-1: absent).
struct Columns {
  int id = -1, name = -1, txn = -1, amt = -1, time = -1, year = -1;
};

// The file's columns by any of their usual names; the required ones missing
// are added to res.problems (then nothing is imported).
Columns find_columns(const std::vector<std::string>& h, TaxImportResult& res) {
  Columns c;
  c.id = find_col(h, {"身份证号", "certno", "id_number", "证件号码", "身份证号码"});
  c.name = find_col(h, {"姓名", "psn_name", "name", "人员姓名"});
  c.txn = find_col(h, {"电子税票号码", "elec_taxrpt_no", "transaction_id", "交易流水号", "税票号码"});
  c.amt = find_col(h, {"缴费金额", "psn_clct_amt", "amount", "个人缴费金额", "实缴金额"});
  c.time = find_col(h, {"缴费时间", "clct_time", "paid_on", "缴费日期"});
  c.year = find_col(h, {"缴费年度", "cashym", "year", "费款所属期"});
  auto missing = [&](int col, const char* name) {
    if (col < 0) res.problems.push_back({0, name, "", fmt::format("缺少必需的列：{}", name)});
  };
  missing(c.id, "身份证号");
  missing(c.txn, "电子税票号码");
  missing(c.amt, "缴费金额");
  return c;
}

// One row of the file as a payment request, or the first problem it has.
struct Item {
  int64_t row;
  PaymentRequest req;
  std::string name;
  std::string problem, column, value;
};

// 缴费时间 as "YYYY-MM-DD…" or "YYYYMMDD…"; nullopt when neither.
std::optional<Date> parse_paid_on(const std::string& tv) {
  auto day = Date::parse(tv.substr(0, 10));
  if (!day && tv.size() >= 8 && std::all_of(tv.begin(), tv.begin() + 8, ::isdigit))
    day = Date::parse(tv.substr(0, 4) + "-" + tv.substr(4, 2) + "-" + tv.substr(6, 2));
  return day;
}

Item read_item(const io::Row& row, const Columns& c, int default_year, Date today) {
  auto cell = [&](int col) -> std::string {
    return col >= 0 && size_t(col) < row.cells.size() ? row.cells[size_t(col)] : "";
  };
  Item it;
  it.row = row.number;
  std::string raw_id = cell(c.id);
  auto id = IdNumber::parse(raw_id, today.plus_days(366));
  it.name = cell(c.name);
  if (!id) {
    it.problem = "身份证号无效";
    it.column = "身份证号";
    it.value = mask_id(raw_id);
  }
  std::string txn = cell(c.txn);
  if (it.problem.empty() && txn.empty()) {
    it.problem = "缺少电子税票号码";
    it.column = "电子税票号码";
  }
  auto amt = Money::parse_yuan(cell(c.amt));
  if (it.problem.empty() && !amt) {
    it.problem = "缴费金额无效";
    it.column = "缴费金额";
    it.value = cell(c.amt);
  }
  std::optional<Date> day;
  if (c.time >= 0) {
    std::string tv = cell(c.time);
    day = parse_paid_on(tv);
    if (it.problem.empty() && !day) {
      it.problem = "缴费时间无效";
      it.column = "缴费时间";
      it.value = tv;
    }
  }
  int year = default_year;
  if (c.year >= 0 && cell(c.year).size() >= 4) {
    try {
      year = std::stoi(cell(c.year).substr(0, 4));
    } catch (...) {
    }
  }
  if (id) it.req.person = id->str();
  it.req.idempotency_key = "tax:" + txn;
  it.req.external_txn = txn;
  it.req.year = year;
  it.req.amount_fen = amt ? amt->fen : 0;
  it.req.channel = "tax_hall";
  it.req.payer_kind = "self";
  it.req.paid_on = day;
  return it;
}

// Rows go to the ledger from several threads so the group commit batches
// them. A row whose name differs from the registered person's is not paid
// (`name_mismatch`). The first store error of a thread is rethrown after all
// threads end; rows already written stay (idempotent: run the import again).
void pay_items(Ledger& l, const Actor& a, const std::vector<Item>& items, Date today, std::vector<Outcome>& outs,
               std::vector<std::string>& name_mismatch) {
  outs.assign(items.size(), Outcome{});
  name_mismatch.assign(items.size(), std::string());
  const size_t nthreads = std::min<size_t>(32, std::max<size_t>(1, items.size()));
  std::vector<std::thread> ts;
  std::mutex err_mu;
  std::exception_ptr err;
  for (size_t k = 0; k < nthreads; ++k)
    ts.emplace_back([&, k] {
      try {
        for (size_t i = k; i < items.size(); i += nthreads) {
          auto& it = items[i];
          if (!it.problem.empty()) continue;
          if (!it.name.empty()) {
            auto lease = l.pool().lease();
            auto p = lease->person(it.req.person);
            if (p && p->name != it.name) {
              name_mismatch[i] = "姓名与参保登记不一致";
              continue;
            }
          }
          outs[i] = l.pay(a, it.req, today);
        }
      } catch (...) {
        std::lock_guard lk(err_mu);
        if (!err) err = std::current_exception();
      }
    });
  for (auto& th : ts) th.join();
  if (err) std::rethrow_exception(err);
}

// Counts and problems of the rows, in file order.
void tally(const std::vector<Item>& items, const std::vector<Outcome>& outs,
           const std::vector<std::string>& name_mismatch, TaxImportResult& res) {
  for (size_t i = 0; i < items.size(); ++i) {
    auto& it = items[i];
    if (!it.problem.empty()) {
      res.problems.push_back({it.row, it.column, it.value, it.problem});
      continue;
    }
    if (!name_mismatch[i].empty()) {
      res.problems.push_back({it.row, "姓名", mask_name(it.name), name_mismatch[i]});
      continue;
    }
    auto& o = outs[i];
    if (o.ok) {
      (o.replayed ? res.rows_replayed : res.rows_written)++;
    } else {
      res.problems.push_back({it.row, o.refusal.field == "amount_fen" ? "缴费金额" : "身份证号",
                              mask_id(it.req.person), o.refusal.message});
    }
  }
  res.rows_rejected = int64_t(res.problems.size());
}

// The batch and its report, with an audit row.
void record_batch(Ledger& l, const Actor& a, const std::string& path, TaxImportResult& res) {
  auto lease = l.pool().lease();
  auto& st = *lease;
  std::string fp = registry::sha256_file(path);
  res.already_imported = st.find_import("payments", fp).has_value();
  store::ImportBatch b;
  b.kind = "payments";
  b.file_name = std::filesystem::path(path).filename().string();
  b.fingerprint = fp;
  b.mode = "partial";
  b.status = "committed";
  b.rows_total = res.rows_total;
  b.rows_written = res.rows_written;
  b.rows_rejected = res.rows_rejected;
  b.report_json = res.report()["problems"].dump();
  b.actor = a.username;
  b.region = a.scope;
  auto tx = st.transaction();
  res.batch_id = st.add_import(b);
  st.audit({"", a.username, "import.payments", "import_batch", std::to_string(res.batch_id), "",
            nlohmann::json{{"rows", res.rows_total}, {"written", res.rows_written}, {"replayed", res.rows_replayed},
                           {"rejected", res.rows_rejected}}
                .dump(),
            a.scope});
  tx.commit();
}

}  // namespace

TaxImportResult import_tax_payments(Ledger& l, const Actor& a, const std::string& path, int default_year,
                                    Date today) {
  TaxImportResult res;
  auto t = io::open_table(path);
  const Columns cols = find_columns(t->header(), res);
  if (!res.problems.empty()) {
    res.rows_rejected = 0;
    return res;
  }
  std::vector<Item> items;
  io::Row row;
  while (t->next(row)) items.push_back(read_item(row, cols, default_year, today));
  res.rows_total = int64_t(items.size());
  std::vector<Outcome> outs;
  std::vector<std::string> name_mismatch;
  pay_items(l, a, items, today, outs, name_mismatch);
  tally(items, outs, name_mismatch, res);
  record_batch(l, a, path, res);
  return res;
}

}  // namespace canbao::ledger
