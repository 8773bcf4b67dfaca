"""How long open deals stay open, and how they end: a competing-risks survival fit on a CRM
export, for the deals open at a backtest's cut-off (or at the export date).

`fit(frame, until)` takes every deal created up to `until`: a closed deal ends at its cycle
length as won or lost; a deal still open is censored at its age. The Aalen-Johansen estimator
(Kaplan-Meier with two causes of ending; Aalen & Johansen 1978) gives, for every age, the
share of deals won and the share lost by then. The rest never closed in the data: an old open
deal is mostly a stale one. The engine draws each open deal's end from these curves,
conditioned on the age it has reached (`scenario.models.PipelineSurvival`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

MAX_POINTS = 400  # points kept of the curves (evenly spread over the ages seen)
MIN_STAGE_DEALS = 30  # deals that entered a stage for curves of its own


def aalen_johansen(
    durations: np.ndarray, outcome: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ages, won by then, lost by then): cumulative incidence of each cause at every distinct
    age at which a deal ended, from 0. `outcome` is 'won', 'lost' or 'open' (censored)."""
    ended = outcome != "open"
    ages, where = np.unique(durations[ended], return_inverse=True)
    won = np.bincount(where, weights=outcome[ended] == "won", minlength=len(ages))
    lost = np.bincount(where, weights=outcome[ended] == "lost", minlength=len(ages))
    at_risk = len(durations) - np.searchsorted(np.sort(durations), ages, side="left")
    survive = np.cumprod(1.0 - (won + lost) / at_risk)
    before = np.concatenate([[1.0], survive[:-1]])  # still open just before each age
    won_by = np.cumsum(before * won / at_risk)
    lost_by = np.cumsum(before * lost / at_risk)
    if len(ages) and ages[0] == 0:
        return ages, won_by, lost_by
    return (np.concatenate([[0.0], ages]), np.concatenate([[0.0], won_by]),
            np.concatenate([[0.0], lost_by]))  # fmt: skip


def fit(frame: pd.DataFrame, until: pd.Timestamp,
        stages: Sequence[str] = ()) -> tuple[dict[str, Any], str]:  # fmt: skip
    """The `pipeline_survival` entry of a scenario fitted on the deals of `frame` (as known at
    the end of `until`'s day), and how it was made, for the YAML comment. With stage entry
    dates in the export (`entered.<stage>` columns), also one set of curves per stage of
    `stages`, timed from the stage's entry, over the deals that entered it."""
    end = until.normalize() + pd.Timedelta(days=1)
    entry, how = _curves(frame, frame["created"], end)
    by_stage: dict[str, dict[str, Any]] = {}
    for stage in stages:
        column = f"entered.{stage}"
        if column not in frame:
            continue
        entered = frame[frame[column].notna() & (frame[column] < end)]
        if len(entered) >= MIN_STAGE_DEALS:
            by_stage[stage], _ = _curves(entered, entered[column], end)
    if by_stage:
        entry["by_stage"] = by_stage
        how += (f"; per stage from its entry date, for {', '.join(by_stage)} (at least "
                f"{MIN_STAGE_DEALS} deals entered each)")  # fmt: skip
    return entry, how


def _curves(frame: pd.DataFrame, since: pd.Series, end: pd.Timestamp) -> tuple[dict[str, Any], str]:
    """The curves of `frame`'s deals timed from `since` (creation, or a stage's entry)."""
    closed = frame["outcome"].isin(["won", "lost"])
    age = ((end - since).dt.total_seconds() / 86400).to_numpy()
    took = ((frame["closed"] - since).dt.total_seconds() / 86400).to_numpy()
    durations = np.where(closed, took, age).clip(min=0.0)
    ages, won, lost = aalen_johansen(durations, frame["outcome"].to_numpy())
    if len(ages) > MAX_POINTS:
        keep = np.unique(np.linspace(0, len(ages) - 1, MAX_POINTS).round().astype(int))
        ages, won, lost = ages[keep], won[keep], lost[keep]
    rounded = np.round(ages, 3)
    last = np.r_[rounded[1:] != rounded[:-1], True]  # of ages equal once rounded, the last
    entry = {
        "age_days": rounded[last].tolist(),
        "won": np.round(won[last], 5).tolist(),
        "lost": np.round(lost[last], 5).tolist(),
    }
    open_n = int((~closed).sum())
    how = (
        f"Aalen-Johansen fit on {len(frame):,} deals ({open_n:,} still open, censored at their "
        f"age): {won[-1]:.1%} won and {lost[-1]:.1%} lost by {ages[-1]:.0f} days; the rest "
        "never closed in the data"
    )
    return entry, how
