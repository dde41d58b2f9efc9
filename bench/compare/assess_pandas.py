#!/usr/bin/python3
"""The 晋城市 2024 assessment in pandas, written the way a bureau's analyst would:
read the roster CSV, vectorised column operations, write a CSV.

    /usr/bin/python3 bench/compare/assess_pandas.py ROSTER.csv OUT.csv

Writes id_number,eligible,subsidy_fen,individual_due_fen,payment_status,coverage_start
(blank where the amount is left open by 四.5) and prints read_s / compute_s / write_s
on stdout as key=value lines. Rules: see bench/compare/assess.sql.
Uses Debian's python3-pandas (apt-get install -y python3-pandas).
"""
import sys
import time

import numpy as np
import pandas as pd


def main(src: str, out: str) -> None:
    t0 = time.perf_counter()
    df = pd.read_csv(src, dtype=str, keep_default_na=False,
                     usecols=["id_number", "hukou_region", "residence_region", "categories", "paid_on"])
    t1 = time.perf_counter()

    cats = ";" + df["categories"] + ";"

    def has(c: str) -> np.ndarray:
        return cats.str.contains(";" + c + ";", regex=False).to_numpy()

    employee = has("employee_insured")
    in_region = (df["hukou_region"].str[:4] == "1405").to_numpy() | (df["residence_region"].str[:4] == "1405").to_numpy()
    eligible = ~employee & in_region

    extreme = has("extreme_poverty") | has("orphan") | has("de_facto_orphan")
    minimum = has("minimum_living")
    relapsed = has("relapsed_poverty")
    monitored = has("monitored") & ~minimum & ~extreme
    best = np.zeros(len(df), dtype=np.int64)
    best = np.where(monitored, np.maximum(best, 28000), best)
    best = np.where(minimum, np.maximum(best, 30400), best)
    best = np.where(relapsed, np.maximum(best, 34200), best)
    best = np.where(extreme, 38000, best)
    unspecified = has("entitled_veteran") | has("severe_disability")
    open_amount = eligible & unspecified & (best < 38000)

    subsidy = pd.array(np.where(eligible, best, 0), dtype="Int64")
    due = pd.array(np.where(eligible, 38000 - best, 0), dtype="Int64")
    subsidy[open_amount] = pd.NA
    due[open_amount] = pd.NA

    paid = pd.to_datetime(df["paid_on"], format="%Y-%m-%d", errors="coerce")
    has_paid = paid.notna().to_numpy()
    in_window = ((paid >= "2023-09-01") & (paid <= "2023-12-25") & (paid.dt.day <= 25)).to_numpy()
    # Unpaid: canbao projects a payment on the later of the as-of day and birth; a baby born after
    # the window closes (and 晋城 has no newborn late path) can no longer pay this year.
    born = pd.to_datetime(df["id_number"].str[6:14], format="%Y%m%d", errors="coerce")
    closed = ~has_paid & (born > "2023-12-25").to_numpy()
    status = np.where(~eligible, "not_paid",
                      np.where(~has_paid, np.where(closed, "window_closed", "not_paid"),
                               np.where(in_window, "accepted", "outside_window")))
    coverage = np.where(eligible & ((~has_paid & ~closed) | in_window), "2024-01-01", "")

    res = pd.DataFrame({
        "id_number": df["id_number"],
        "eligible": np.where(eligible, "true", "false"),
        "subsidy_fen": subsidy,
        "individual_due_fen": due,
        "payment_status": status,
        "coverage_start": coverage,
    })
    t2 = time.perf_counter()
    res.to_csv(out, index=False, na_rep="")
    t3 = time.perf_counter()
    print(f"rows={len(res)}\nread_s={t1 - t0:.4f}\ncompute_s={t2 - t1:.4f}\nwrite_s={t3 - t2:.4f}\ntotal_s={t3 - t0:.4f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: assess_pandas.py ROSTER.csv OUT.csv")
    main(sys.argv[1], sys.argv[2])
