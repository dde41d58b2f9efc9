// Migration 3 is applied history: its counter SQL, now rendered from one
// description (store/counters.h), must stay byte-for-byte the text databases
// were migrated with. The literals below are that text as first written by
// hand (and the recount/roll-up statements campaign/progress.cc used to hold).
#include <gtest/gtest.h>

#include "store/counters.h"
#include "store/migrations.h"

using namespace canbao::store;

namespace {

constexpr std::string_view kV3 = R"SQL(
CREATE TABLE progress_counters (
  lvl INTEGER NOT NULL,
  region BIGINT NOT NULL,
  year INTEGER NOT NULL,
  day TEXT NOT NULL,
  registered BIGINT NOT NULL DEFAULT 0,
  paid BIGINT NOT NULL DEFAULT 0,
  subsidised BIGINT NOT NULL DEFAULT 0,
  collected_fen BIGINT NOT NULL DEFAULT 0,
  subsidy_fen BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (lvl, region, year, day)
);
CREATE INDEX progress_counters_day ON progress_counters(lvl, year, day);

CREATE TABLE progress_totals (
  lvl INTEGER NOT NULL,
  region BIGINT NOT NULL,
  year INTEGER NOT NULL,
  registered BIGINT NOT NULL DEFAULT 0,
  paid BIGINT NOT NULL DEFAULT 0,
  subsidised BIGINT NOT NULL DEFAULT 0,
  collected_fen BIGINT NOT NULL DEFAULT 0,
  subsidy_fen BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (lvl, region, year)
);

INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 12, region, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen), SUM(subsidy_fen) FROM (
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
) t GROUP BY region, year, day;

INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 9, (region / 1000) * 1000, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen),
       SUM(subsidy_fen) FROM progress_counters WHERE lvl = 12 GROUP BY (region / 1000) * 1000, year, day;

INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 6, (region / 1000000) * 1000000, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen),
       SUM(subsidy_fen) FROM progress_counters WHERE lvl = 12 GROUP BY (region / 1000000) * 1000000, year, day;

INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT lvl, region, year, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen), SUM(subsidy_fen)
  FROM progress_counters GROUP BY lvl, region, year;

CREATE TABLE reconciliation_runs (
  id {{ID}},
  year INTEGER NOT NULL,
  scope BIGINT,
  inputs_from BIGINT REFERENCES reconciliation_runs(id),
  tax_file TEXT,
  tax_fingerprint TEXT,
  treasury_file TEXT,
  treasury_fingerprint TEXT,
  actor TEXT NOT NULL,
  created_at TEXT NOT NULL,
  as_of TEXT,
  tax_rows BIGINT NOT NULL DEFAULT 0,
  treasury_rows BIGINT NOT NULL DEFAULT 0,
  mismatches BIGINT NOT NULL DEFAULT 0,
  summary TEXT NOT NULL DEFAULT '{}',
  region BIGINT NOT NULL
);

CREATE TABLE reconciliation_tax_rows (
  id {{ID}},
  run BIGINT NOT NULL REFERENCES reconciliation_runs(id),
  row_no BIGINT NOT NULL,
  elec_taxrpt_no TEXT,
  certno TEXT NOT NULL,
  psn_name TEXT,
  amount BIGINT NOT NULL,
  clct_time TEXT,
  taxdept_code TEXT,
  revs_flag TEXT NOT NULL DEFAULT 'Z',
  unit_region BIGINT,
  unit_name TEXT,
  year INTEGER,
  region BIGINT NOT NULL
);
CREATE INDEX reconciliation_tax_rows_run ON reconciliation_tax_rows(run, id);

CREATE TABLE reconciliation_treasury_rows (
  id {{ID}},
  run BIGINT NOT NULL REFERENCES reconciliation_runs(id),
  row_no BIGINT NOT NULL,
  unit_region BIGINT,
  unit_name TEXT,
  persons BIGINT NOT NULL,
  amount BIGINT NOT NULL,
  region BIGINT NOT NULL
);
CREATE INDEX reconciliation_treasury_rows_run ON reconciliation_treasury_rows(run, id);

CREATE TABLE reconciliation_items (
  id {{ID}},
  run BIGINT NOT NULL REFERENCES reconciliation_runs(id),
  kind TEXT NOT NULL,
  person TEXT,
  unit_region BIGINT,
  tax TEXT NOT NULL DEFAULT '{}',
  platform TEXT NOT NULL DEFAULT '{}',
  action TEXT NOT NULL DEFAULT '',
  region BIGINT NOT NULL
);
CREATE INDEX reconciliation_items_run ON reconciliation_items(run, kind, id);
)SQL";

constexpr std::string_view kV3Sqlite = R"SQL(
CREATE VIEW progress_delta AS
  SELECT region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen FROM progress_counters WHERE 0;

CREATE TRIGGER progress_delta_apply INSTEAD OF INSERT ON progress_delta BEGIN
  INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (12, NEW.region, NEW.year, NEW.day, NEW.registered, NEW.paid, NEW.subsidised, NEW.collected_fen, NEW.subsidy_fen)
  ON CONFLICT (lvl, region, year, day) DO UPDATE SET
    registered = progress_counters.registered + excluded.registered,
    paid = progress_counters.paid + excluded.paid,
    subsidised = progress_counters.subsidised + excluded.subsidised,
    collected_fen = progress_counters.collected_fen + excluded.collected_fen,
    subsidy_fen = progress_counters.subsidy_fen + excluded.subsidy_fen;
  INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (12, NEW.region, NEW.year, NEW.registered, NEW.paid, NEW.subsidised, NEW.collected_fen, NEW.subsidy_fen)
  ON CONFLICT (lvl, region, year) DO UPDATE SET
    registered = progress_totals.registered + excluded.registered,
    paid = progress_totals.paid + excluded.paid,
    subsidised = progress_totals.subsidised + excluded.subsidised,
    collected_fen = progress_totals.collected_fen + excluded.collected_fen,
    subsidy_fen = progress_totals.subsidy_fen + excluded.subsidy_fen;
  INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (9, (NEW.region / 1000) * 1000, NEW.year, NEW.day, NEW.registered, NEW.paid, NEW.subsidised, NEW.collected_fen, NEW.subsidy_fen)
  ON CONFLICT (lvl, region, year, day) DO UPDATE SET
    registered = progress_counters.registered + excluded.registered,
    paid = progress_counters.paid + excluded.paid,
    subsidised = progress_counters.subsidised + excluded.subsidised,
    collected_fen = progress_counters.collected_fen + excluded.collected_fen,
    subsidy_fen = progress_counters.subsidy_fen + excluded.subsidy_fen;
  INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (9, (NEW.region / 1000) * 1000, NEW.year, NEW.registered, NEW.paid, NEW.subsidised, NEW.collected_fen, NEW.subsidy_fen)
  ON CONFLICT (lvl, region, year) DO UPDATE SET
    registered = progress_totals.registered + excluded.registered,
    paid = progress_totals.paid + excluded.paid,
    subsidised = progress_totals.subsidised + excluded.subsidised,
    collected_fen = progress_totals.collected_fen + excluded.collected_fen,
    subsidy_fen = progress_totals.subsidy_fen + excluded.subsidy_fen;
  INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (6, (NEW.region / 1000000) * 1000000, NEW.year, NEW.day, NEW.registered, NEW.paid, NEW.subsidised, NEW.collected_fen, NEW.subsidy_fen)
  ON CONFLICT (lvl, region, year, day) DO UPDATE SET
    registered = progress_counters.registered + excluded.registered,
    paid = progress_counters.paid + excluded.paid,
    subsidised = progress_counters.subsidised + excluded.subsidised,
    collected_fen = progress_counters.collected_fen + excluded.collected_fen,
    subsidy_fen = progress_counters.subsidy_fen + excluded.subsidy_fen;
  INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (6, (NEW.region / 1000000) * 1000000, NEW.year, NEW.registered, NEW.paid, NEW.subsidised, NEW.collected_fen, NEW.subsidy_fen)
  ON CONFLICT (lvl, region, year) DO UPDATE SET
    registered = progress_totals.registered + excluded.registered,
    paid = progress_totals.paid + excluded.paid,
    subsidised = progress_totals.subsidised + excluded.subsidised,
    collected_fen = progress_totals.collected_fen + excluded.collected_fen,
    subsidy_fen = progress_totals.subsidy_fen + excluded.subsidy_fen;
END;

CREATE TRIGGER progress_enrollment_insert AFTER INSERT ON enrollments
WHEN NEW.status IN ('registered', 'paid') BEGIN
  INSERT INTO progress_delta VALUES (NEW.place_region, NEW.year, COALESCE(NEW.registered_on, '1970-01-01'), 1, 0, 0, 0, 0);
  INSERT INTO progress_delta SELECT NEW.place_region, NEW.year, COALESCE(NEW.paid_on, NEW.registered_on, '1970-01-01'),
    0, 1, 0, 0, 0 WHERE NEW.status = 'paid';
END;

CREATE TRIGGER progress_enrollment_update AFTER UPDATE ON enrollments
WHEN OLD.status IS NOT NEW.status OR OLD.place_region IS NOT NEW.place_region OR OLD.year IS NOT NEW.year
  OR OLD.registered_on IS NOT NEW.registered_on OR OLD.paid_on IS NOT NEW.paid_on BEGIN
  INSERT INTO progress_delta SELECT OLD.place_region, OLD.year, COALESCE(OLD.registered_on, '1970-01-01'), -1, 0, 0, 0, 0
    WHERE OLD.status IN ('registered', 'paid');
  INSERT INTO progress_delta SELECT OLD.place_region, OLD.year, COALESCE(OLD.paid_on, OLD.registered_on, '1970-01-01'),
    0, -1, 0, 0, 0 WHERE OLD.status = 'paid';
  INSERT INTO progress_delta SELECT NEW.place_region, NEW.year, COALESCE(NEW.registered_on, '1970-01-01'), 1, 0, 0, 0, 0
    WHERE NEW.status IN ('registered', 'paid');
  INSERT INTO progress_delta SELECT NEW.place_region, NEW.year, COALESCE(NEW.paid_on, NEW.registered_on, '1970-01-01'),
    0, 1, 0, 0, 0 WHERE NEW.status = 'paid';
END;

CREATE TRIGGER progress_enrollment_delete AFTER DELETE ON enrollments BEGIN
  INSERT INTO progress_delta SELECT OLD.place_region, OLD.year, COALESCE(OLD.registered_on, '1970-01-01'), -1, 0, 0, 0, 0
    WHERE OLD.status IN ('registered', 'paid');
  INSERT INTO progress_delta SELECT OLD.place_region, OLD.year, COALESCE(OLD.paid_on, OLD.registered_on, '1970-01-01'),
    0, -1, 0, 0, 0 WHERE OLD.status = 'paid';
END;

CREATE TRIGGER progress_payment_insert AFTER INSERT ON payments BEGIN
  INSERT INTO progress_delta VALUES (NEW.region, NEW.year, NEW.paid_on, 0, 0,
    CASE WHEN NEW.payer_kind <> 'department' THEN 0
         WHEN NEW.kind = 'subsidy' AND NOT EXISTS (
           SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
              AND p.id <> NEW.id AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN 1
         WHEN NEW.kind = 'reversal' AND NOT EXISTS (
           SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
              AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN -1
         ELSE 0 END,
    CASE WHEN NEW.payer_kind = 'department' THEN 0 ELSE NEW.amount END,
    CASE WHEN NEW.payer_kind = 'department' THEN NEW.amount ELSE 0 END);
END;
)SQL";

constexpr std::string_view kV3Postgres = R"SQL(
CREATE FUNCTION progress_add(p_region BIGINT, p_year INTEGER, p_day TEXT, p_reg BIGINT, p_paid BIGINT,
                             p_sub BIGINT, p_col BIGINT, p_sf BIGINT) RETURNS void LANGUAGE sql AS $$
  INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (12, p_region, p_year, p_day, p_reg, p_paid, p_sub, p_col, p_sf)
  ON CONFLICT (lvl, region, year, day) DO UPDATE SET
    registered = progress_counters.registered + EXCLUDED.registered,
    paid = progress_counters.paid + EXCLUDED.paid,
    subsidised = progress_counters.subsidised + EXCLUDED.subsidised,
    collected_fen = progress_counters.collected_fen + EXCLUDED.collected_fen,
    subsidy_fen = progress_counters.subsidy_fen + EXCLUDED.subsidy_fen;
  INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (12, p_region, p_year, p_reg, p_paid, p_sub, p_col, p_sf)
  ON CONFLICT (lvl, region, year) DO UPDATE SET
    registered = progress_totals.registered + EXCLUDED.registered,
    paid = progress_totals.paid + EXCLUDED.paid,
    subsidised = progress_totals.subsidised + EXCLUDED.subsidised,
    collected_fen = progress_totals.collected_fen + EXCLUDED.collected_fen,
    subsidy_fen = progress_totals.subsidy_fen + EXCLUDED.subsidy_fen;
  INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (9, (p_region / 1000) * 1000, p_year, p_day, p_reg, p_paid, p_sub, p_col, p_sf)
  ON CONFLICT (lvl, region, year, day) DO UPDATE SET
    registered = progress_counters.registered + EXCLUDED.registered,
    paid = progress_counters.paid + EXCLUDED.paid,
    subsidised = progress_counters.subsidised + EXCLUDED.subsidised,
    collected_fen = progress_counters.collected_fen + EXCLUDED.collected_fen,
    subsidy_fen = progress_counters.subsidy_fen + EXCLUDED.subsidy_fen;
  INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (9, (p_region / 1000) * 1000, p_year, p_reg, p_paid, p_sub, p_col, p_sf)
  ON CONFLICT (lvl, region, year) DO UPDATE SET
    registered = progress_totals.registered + EXCLUDED.registered,
    paid = progress_totals.paid + EXCLUDED.paid,
    subsidised = progress_totals.subsidised + EXCLUDED.subsidised,
    collected_fen = progress_totals.collected_fen + EXCLUDED.collected_fen,
    subsidy_fen = progress_totals.subsidy_fen + EXCLUDED.subsidy_fen;
  INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (6, (p_region / 1000000) * 1000000, p_year, p_day, p_reg, p_paid, p_sub, p_col, p_sf)
  ON CONFLICT (lvl, region, year, day) DO UPDATE SET
    registered = progress_counters.registered + EXCLUDED.registered,
    paid = progress_counters.paid + EXCLUDED.paid,
    subsidised = progress_counters.subsidised + EXCLUDED.subsidised,
    collected_fen = progress_counters.collected_fen + EXCLUDED.collected_fen,
    subsidy_fen = progress_counters.subsidy_fen + EXCLUDED.subsidy_fen;
  INSERT INTO progress_totals (lvl, region, year, registered, paid, subsidised, collected_fen, subsidy_fen)
  VALUES (6, (p_region / 1000000) * 1000000, p_year, p_reg, p_paid, p_sub, p_col, p_sf)
  ON CONFLICT (lvl, region, year) DO UPDATE SET
    registered = progress_totals.registered + EXCLUDED.registered,
    paid = progress_totals.paid + EXCLUDED.paid,
    subsidised = progress_totals.subsidised + EXCLUDED.subsidised,
    collected_fen = progress_totals.collected_fen + EXCLUDED.collected_fen,
    subsidy_fen = progress_totals.subsidy_fen + EXCLUDED.subsidy_fen;
$$;

CREATE FUNCTION progress_enrollment_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.status IS NOT DISTINCT FROM NEW.status
     AND OLD.place_region IS NOT DISTINCT FROM NEW.place_region AND OLD.year IS NOT DISTINCT FROM NEW.year
     AND OLD.registered_on IS NOT DISTINCT FROM NEW.registered_on AND OLD.paid_on IS NOT DISTINCT FROM NEW.paid_on THEN
    RETURN NULL;
  END IF;
  IF TG_OP <> 'INSERT' THEN
    IF OLD.status IN ('registered', 'paid') THEN
      PERFORM progress_add(OLD.place_region, OLD.year, COALESCE(OLD.registered_on, '1970-01-01'), -1, 0, 0, 0, 0);
    END IF;
    IF OLD.status = 'paid' THEN
      PERFORM progress_add(OLD.place_region, OLD.year, COALESCE(OLD.paid_on, OLD.registered_on, '1970-01-01'), 0, -1, 0, 0, 0);
    END IF;
  END IF;
  IF TG_OP <> 'DELETE' THEN
    IF NEW.status IN ('registered', 'paid') THEN
      PERFORM progress_add(NEW.place_region, NEW.year, COALESCE(NEW.registered_on, '1970-01-01'), 1, 0, 0, 0, 0);
    END IF;
    IF NEW.status = 'paid' THEN
      PERFORM progress_add(NEW.place_region, NEW.year, COALESCE(NEW.paid_on, NEW.registered_on, '1970-01-01'), 0, 1, 0, 0, 0);
    END IF;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER progress_enrollment AFTER INSERT OR UPDATE OR DELETE ON enrollments
  FOR EACH ROW EXECUTE FUNCTION progress_enrollment_trg();

CREATE FUNCTION progress_payment_trg() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  sub BIGINT := 0;
BEGIN
  IF NEW.payer_kind = 'department' THEN
    IF NEW.kind = 'subsidy' AND NOT EXISTS (
        SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
           AND p.id <> NEW.id AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN
      sub := 1;
    ELSIF NEW.kind = 'reversal' AND NOT EXISTS (
        SELECT 1 FROM payments p WHERE p.person = NEW.person AND p.year = NEW.year AND p.kind = 'subsidy'
           AND NOT EXISTS (SELECT 1 FROM payments r WHERE r.reverses = p.id)) THEN
      sub := -1;
    END IF;
    PERFORM progress_add(NEW.region, NEW.year, NEW.paid_on, 0, 0, sub, 0, NEW.amount);
  ELSE
    PERFORM progress_add(NEW.region, NEW.year, NEW.paid_on, 0, 0, 0, NEW.amount, 0);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER progress_payment AFTER INSERT ON payments
  FOR EACH ROW EXECUTE FUNCTION progress_payment_trg();
)SQL";

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

constexpr std::string_view kRollups = R"SQL(
INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 9, (region / 1000) * 1000, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen),
       SUM(subsidy_fen) FROM progress_counters WHERE lvl = 12 GROUP BY (region / 1000) * 1000, year, day)SQL";

constexpr std::string_view kRollups6 = R"SQL(
INSERT INTO progress_counters (lvl, region, year, day, registered, paid, subsidised, collected_fen, subsidy_fen)
SELECT 6, (region / 1000000) * 1000000, year, day, SUM(registered), SUM(paid), SUM(subsidised), SUM(collected_fen),
       SUM(subsidy_fen) FROM progress_counters WHERE lvl = 12 GROUP BY (region / 1000000) * 1000000, year, day)SQL";

const Migration& v3() {
  for (auto& m : migrations())
    if (m.version == 3) return m;
  throw std::runtime_error("no migration 3");
}

}  // namespace

TEST(Counters, Migration3RendersTheAppliedText) {
  EXPECT_EQ(v3().sql, kV3);
  EXPECT_EQ(v3().sqlite_sql, kV3Sqlite);
  EXPECT_EQ(v3().postgresql_sql, kV3Postgres);
}

TEST(Counters, RecountAndRollupsAreTheBackfillsStatements) {
  EXPECT_EQ(counters::recount_select(), kRecount);
  EXPECT_EQ(counters::rollup_insert(counters::kLevels[1]), kRollups);
  EXPECT_EQ(counters::rollup_insert(counters::kLevels[2]), kRollups6);
  // The backfill of the migration groups the same rows as the recount.
  std::string inner(kRecount.substr(kRecount.find("FROM (")));
  EXPECT_NE(std::string(v3().sql).find(inner), std::string::npos);
}
