// Tax-bureau payment file (`canbao import payments FILE`): rows matched to
// persons by ID number, idempotent by elec_taxrpt_no, mismatches reported.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/date.h"
#include "ledger/actor.h"

namespace canbao::ledger {

class Ledger;

struct TaxImportResult {
  int64_t batch_id = 0;
  bool already_imported = false;
  int64_t rows_total = 0, rows_written = 0, rows_replayed = 0, rows_rejected = 0;
  struct Problem {
    int64_t row = 0;
    std::string column, value, reason;
  };
  std::vector<Problem> problems;
  nlohmann::json report() const;
};
// Missing required columns come back as problems with nothing written; a
// store error (e.g. store::Unavailable) is thrown after the rows already
// written stay written (run the import again: they replay).
TaxImportResult import_tax_payments(Ledger& l, const Actor& a, const std::string& path, int default_year,
                                    Date today);

}  // namespace canbao::ledger
