"""Backtest on a real CRM export that salessim did not make: coverage of the intervals, the
simulated median against naive forecasts, and how the deals open at each cut-off really ended
against the simulation. Not run by CI (the export is not in the repository).

The figures in docs/calibration.md were measured on Maven Analytics' "CRM Sales Opportunities"
(8,800 opportunities, Oct 2016 - Dec 2017), as held in the public repository
ikebude/CRM-Sales-Analysis (`sales_pipeline.csv`), with this mapping:

    value: close_value
    owner: sales_agent
    created: engage_date
    closed: close_date
    outcome: deal_stage

    python bench/backtest_real.py sales_pipeline.csv --columns map.yaml \\
        --cut 2017-05-31 --cut 2017-06-30 --cut 2017-08-31 -n 200 --fits 1 --fits 10
"""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd

from salessim.crm import backtest
from salessim.crm import export as crm


def pipeline_outcomes(deals: crm.Deals, cut: pd.Timestamp, run_leads: pd.DataFrame) -> str:
    """How the deals open at the cut-off ended in reality and in the simulation (median)."""
    known = backtest.known_at(deals, cut).frame
    ids = known.loc[known["outcome"] == "open", "id"]
    real = deals.frame.set_index("id").loc[ids, "outcome"].value_counts()
    sim = run_leads[run_leads["kind"] == "pipeline"]
    per_rep = sim.groupby("replication")["outcome"].value_counts().unstack(fill_value=0)
    median = per_rep.median()
    return (
        f"open at the cut-off {len(ids):,}: won later {real.get('won', 0):,} "
        f"(simulated {median.get('won', 0):.0f}), lost {real.get('lost', 0):,} "
        f"(simulated {median.get('rejected', 0):.0f}), still open {real.get('open', 0):,} "
        f"(simulated {median.get('open', 0):.0f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export")
    parser.add_argument("--columns")
    parser.add_argument("--cut", action="append", required=True)
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--fits", type=int, action="append")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("-w", type=int, default=2)
    args = parser.parse_args()
    deals = crm.read_export(args.export, args.columns)
    for cut in args.cut:
        for fits in args.fits or [backtest.DEFAULT_FITS]:
            day = dt.date.fromisoformat(cut)
            done = backtest.backtest(deals, day, args.n, args.seed, args.w, fits=fits)
            print(f"== cut-off {cut}, {fits} fits, {args.n} replications")
            cover = backtest.coverage(done.table)
            for metric, row in cover.iterrows():
                print(f"  {metric}: {row['in80']}/{row['months']} inside 80%, "
                      f"{row['in95']}/{row['months']} inside 95%")  # fmt: skip
            for row in backtest.forecast_errors(done.table).to_dict("records"):
                if row["months"]:
                    print(f"  {row['metric']}: error of the median {row['simulation_error']:.4g}"
                          f", of the {row['naive']} {row['naive_error']:.4g}")  # fmt: skip
            print("  " + pipeline_outcomes(deals, pd.Timestamp(day), done.run.leads))


if __name__ == "__main__":
    main()
