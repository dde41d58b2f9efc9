-- The 晋城市 2024 assessment (policies/2024/jincheng.toml, 晋市医保发〔2023〕10号) as ONE SQL
-- statement over the roster table that bench/compare/run.sh loads with \copy.
-- Same outputs as canbao's batch path: eligible, subsidy_fen, individual_due_fen,
-- payment_status and coverage_start (NULL where canbao leaves the amount open).
--
-- Rules (amounts in fen, individual standard 380.00 元):
--   eligibility  hukou or residence inside 140500 (first four digits 1405) and not
--                employee_insured (已参加职工医保)                          — 三(一)
--   subsidy      highest single amount (就高不就低, 不重复资助)              — 四
--     monitored         28000  unless also minimum_living / extreme_poverty /
--                              orphan / de_facto_orphan                   — 四.1
--     relapsed_poverty  34200                                             — 四.2
--     extreme_poverty, orphan, de_facto_orphan  38000 (full)              — 四.3
--     minimum_living    30400                                             — 四.4
--     entitled_veteran, severe_disability: amount unspecified (原有政策) → subsidy and
--       due are NULL ("needs local configuration") unless a full 38000 already applies — 四.5
--   window       paid 2023-09-01..2023-12-25 on days 1–25 → accepted, cover from 2024-01-01;
--                other paid days → outside_window, no cover; unpaid → projected 2024-01-01,
--                unless born (ID digits 7–14) after 2023-12-25: the projected payment day is
--                the birth, after the window, and no late path takes it → window_closed — 二
CREATE UNLOGGED TABLE assessed AS
SELECT r.row_no,
       r.id_number,
       e.eligible,
       CASE WHEN NOT e.eligible THEN 0
            WHEN s.unspecified AND s.best < 38000 THEN NULL
            ELSE s.best END                                   AS subsidy_fen,
       CASE WHEN NOT e.eligible THEN 0
            WHEN s.unspecified AND s.best < 38000 THEN NULL
            ELSE 38000 - s.best END                           AS individual_due_fen,
       CASE WHEN NOT e.eligible THEN 'not_paid'
            WHEN r.paid_on IS NULL AND b.born > DATE '2023-12-25' THEN 'window_closed'
            WHEN r.paid_on IS NULL THEN 'not_paid'
            WHEN w.in_window THEN 'accepted'
            ELSE 'outside_window' END                         AS payment_status,
       CASE WHEN NOT e.eligible THEN NULL
            WHEN r.paid_on IS NULL AND b.born > DATE '2023-12-25' THEN NULL
            WHEN r.paid_on IS NULL OR w.in_window THEN DATE '2024-01-01'
       END                                                    AS coverage_start
FROM roster r
CROSS JOIN LATERAL (SELECT string_to_array(coalesce(r.categories, ''), ';') AS c) k
CROSS JOIN LATERAL (SELECT to_date(substr(r.id_number, 7, 8), 'YYYYMMDD') AS born) b
CROSS JOIN LATERAL (
  SELECT NOT ('employee_insured' = ANY (k.c))
         AND (left(coalesce(r.hukou_region, ''), 4) = '1405'
              OR left(coalesce(r.residence_region, ''), 4) = '1405') AS eligible) e
CROSS JOIN LATERAL (
  SELECT GREATEST(
           0,
           CASE WHEN k.c && '{extreme_poverty,orphan,de_facto_orphan}'::text[] THEN 38000 END,
           CASE WHEN 'relapsed_poverty' = ANY (k.c) THEN 34200 END,
           CASE WHEN 'minimum_living' = ANY (k.c) THEN 30400 END,
           CASE WHEN 'monitored' = ANY (k.c)
                 AND NOT k.c && '{minimum_living,extreme_poverty,orphan,de_facto_orphan}'::text[] THEN 28000 END
         ) AS best,
         k.c && '{entitled_veteran,severe_disability}'::text[] AS unspecified) s
CROSS JOIN LATERAL (
  SELECT r.paid_on BETWEEN DATE '2023-09-01' AND DATE '2023-12-25'
         AND extract(day FROM r.paid_on) <= 25 AS in_window) w;
