// Bulk loads of the registry (roster imports, test fixtures): the one thing a
// load switches off beyond the indexes of Store::bulk_begin — the enrollment
// progress counters' row trigger (store/counters.h).
//
// That trigger costs 6–12 counter upserts per enrollment, more than the
// enrollment row itself. A load into an empty enrollments table writes its
// rows with the trigger off and then rebuilds every counter once with the
// recount of counters.h (the text `report progress --verify` compares
// against), so after the load counters == recount by construction.
//
// Header-only over Store's virtuals, so the registry uses it without a link
// dependency on the engines (SqlStore's side is in bulk_load.cc).
#pragma once
#include "store/store.h"

namespace canbao::store {

class EnrollmentCountersPaused {
 public:
  // Call inside the load's transaction, before its enrollments are written.
  // Pauses only when the enrollments table is empty (the recount then costs
  // the loaded rows and the ledger's payments, nothing more); otherwise
  // leaves the trigger on and finish() does nothing. Throws StoreError from SQL.
  explicit EnrollmentCountersPaused(Store& st) : st_(st), paused_(st.pause_enrollment_counters()) {}
  // Turns the trigger back on and rebuilds every counter (place rows,
  // roll-ups, totals) from the current rows. Call once, inside the same
  // transaction, after the last enrollment and before commit. No-op when
  // nothing was paused or finish() already ran.
  void finish() {
    if (!paused_) return;
    paused_ = false;
    st_.resume_enrollment_counters();
  }
  // Without finish() the transaction must roll back: that alone restores the
  // trigger (DDL is transactional on both engines).
  ~EnrollmentCountersPaused() = default;
  EnrollmentCountersPaused(const EnrollmentCountersPaused&) = delete;
  EnrollmentCountersPaused& operator=(const EnrollmentCountersPaused&) = delete;

  bool paused() const { return paused_; }

 private:
  Store& st_;
  bool paused_;
};

}  // namespace canbao::store
