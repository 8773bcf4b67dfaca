"""Make `b2b_export.csv`: two years of scenarios/b2b_team.yaml as a CRM would export them.

One replication (seed 7) of the shipped scenario run for 790 days, its per-lead log renamed to
Salesforce-like columns, outcomes written as CRM stage names. Run from the repository root:

    python tests/data/make_b2b_export.py
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from salessim.experiment import replications as experiment
from salessim.scenario import loader

HERE = Path(__file__).resolve().parent
COLUMNS = {"lead": "Opportunity ID", "owner": "Opportunity Owner", "created_at": "Created Date",
           "closed_at": "Close Date", "outcome": "Stage", "value": "Amount",
           "stages": "Stage History"}  # fmt: skip
STAGE_NAMES = {"won": "Closed Won", "rejected": "Closed Lost", "cold": "Closed Lost",
               "no_show": "Closed Lost", "open": "Negotiation/Review"}  # fmt: skip


NAMES = ["Anna Berg", "Ben Ortiz", "Chloé Martin", "Dan Novak", "Eva Lind", "Farid Haddad",
         "Greta Nagy", "Hugo Silva"]  # fmt: skip


def export(leads: pd.DataFrame) -> pd.DataFrame:
    """A lead log in the shape of a CRM opportunities report, reps given people's names."""
    out = leads[leads["kind"] != "repeat"][list(COLUMNS)].rename(columns=COLUMNS)
    seats = sorted(o for o in out["Opportunity Owner"].unique() if o)
    out["Opportunity Owner"] = out["Opportunity Owner"].map(dict(zip(seats, NAMES, strict=False)))
    out["Stage"] = out["Stage"].map(STAGE_NAMES)
    for column in ("Created Date", "Close Date"):
        out[column] = out[column].dt.strftime("%Y-%m-%d %H:%M")
    out["Amount"] = out["Amount"].round(2)
    return out


def main() -> None:
    scenario = loader.load(
        HERE.parent.parent / "scenarios" / "b2b_team.yaml", {"horizon_days": 790}
    )
    leads = experiment.run(scenario, 1, seed=7, leads=True).leads
    export(leads).to_csv(HERE / "b2b_export.csv", index=False)


if __name__ == "__main__":
    main()
