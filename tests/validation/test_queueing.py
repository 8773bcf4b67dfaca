"""salessim against queueing theory: where a formula gives the exact answer, we reproduce it.

Each model is a scenario in salessim's own YAML format that reduces to a textbook queue; the
expected value comes from `theory.py`; the simulated value must fall within the 99% confidence
interval over independent replications.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from salessim.experiment.replications import run_replication
from salessim.scenario import loader
from salessim.scenario.models import Scenario

from .theory import erlang_a_abandonment, mmc_mean_wait

ROUND_THE_CLOCK = "{workdays: [mon, tue, wed, thu, fri, sat, sun], hours: [0, 24]}"


def scenario_from_yaml(tmp_path: Path, text: str) -> Scenario:
    path = tmp_path / "model.yaml"
    path.write_text(text, encoding="utf-8")
    return loader.load(path)


def mmc_yaml(
    servers: int,
    arrival_per_hour: float,
    service_per_hour: float,
    days: float,
    warmup_days: float,
    patience_line: str = "",
) -> str:
    return f"""
name: mmc
horizon_days: {days}
warmup_days: {warmup_days}
calendar: {ROUND_THE_CLOCK}
leads:
  - source: poisson
    per_day: {arrival_per_hour * 24}
{patience_line}
stages:
  serve: {{by: server, work_hours: {{dist: exponential, mean: {1 / service_per_hour}}},
           success: 1.0}}
roles:
  server: {{headcount: {servers}}}
"""


def ci99(values: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.995, len(arr) - 1) * arr.std(ddof=1) / math.sqrt(len(arr))
    return float(arr.mean() - half), float(arr.mean() + half)


def replicate(scenario: Scenario, reps: int, seed: int = 2026) -> list[dict[str, float]]:
    return [run_replication(scenario, seed, r) for r in range(reps)]


# Each case keeps c * mu = 1 per hour so every load has the same time scale; heavier loads relax
# more slowly and get longer runs.
MMC_CASES = [
    (c, rho, days, warm, reps)
    for c in (1, 3, 10)
    for rho, days, warm, reps in ((0.5, 150, 10, 20), (0.8, 300, 20, 20), (0.95, 900, 60, 24))
]


@pytest.mark.parametrize(("servers", "rho", "days", "warmup", "reps"), MMC_CASES)
def test_mmc_wait_and_utilisation_match_erlang_c(
    tmp_path: Path, servers: int, rho: float, days: float, warmup: float, reps: int
) -> None:
    mu = 1.0 / servers
    lam = rho
    sc = scenario_from_yaml(tmp_path, mmc_yaml(servers, lam, mu, days, warmup))
    recs = replicate(sc, reps)
    expected_wait = mmc_mean_wait(servers, lam, mu)
    lo, hi = ci99([r["wait_first_contact_hours_mean"] for r in recs])
    assert lo <= expected_wait <= hi, (
        f"Erlang C wait {expected_wait:.3f} not in [{lo:.3f}, {hi:.3f}]"
    )
    lo, hi = ci99([r["role.server.utilisation"] for r in recs])
    assert lo <= rho <= hi, f"utilisation {rho} not in [{lo:.4f}, {hi:.4f}]"


@pytest.mark.parametrize(
    ("servers", "rho", "patience"), [(1, 0.9, 2.0), (3, 1.1, 1.0), (10, 0.95, 4.0)]
)
def test_erlang_a_share_gone_cold(
    tmp_path: Path, servers: int, rho: float, patience: float
) -> None:
    mu = 1.0 / servers
    patience_line = f"    patience_hours: {{dist: exponential, mean: {patience}}}"
    sc = scenario_from_yaml(tmp_path, mmc_yaml(servers, rho, mu, 200, 10, patience_line))
    recs = replicate(sc, 20)
    expected = erlang_a_abandonment(servers, rho, mu, 1 / patience)
    lo, hi = ci99([r["lost_cold"] / r["leads_arrived"] for r in recs])
    assert lo <= expected <= hi, f"Erlang A abandonment {expected:.4f} not in [{lo:.4f}, {hi:.4f}]"


FUNNEL = """
name: funnel
horizon_days: 20
calendar: {round_the_clock}
leads: [{{source: web, per_day: 30}}]
stages:
  a: {{by: team, work_hours: 0, success: 0.6, next: b}}
  b: {{by: team, work_hours: 0, success: 0.5, next: c}}
  c: {{by: team, work_hours: 0, success: 0.7}}
roles:
  team: {{headcount: 50}}
"""


def test_funnel_with_unlimited_staff_is_binomial(tmp_path: Path) -> None:
    sc = scenario_from_yaml(tmp_path, FUNNEL.format(round_the_clock=ROUND_THE_CLOCK))
    p = 0.6 * 0.5 * 0.7
    recs = replicate(sc, 400)
    n = np.array([r["leads_arrived"] for r in recs])
    won = np.array([r["won"] for r in recs])
    assert all(r["open_at_end"] == 0 for r in recs)
    z = (won - n * p) / np.sqrt(n * p * (1 - p))  # standard normal if won ~ Binomial(n, p)
    assert stats.ttest_1samp(z, 0).pvalue > 0.01, f"mean of standardised wins {z.mean():.3f}"
    # variance of a standardised binomial is 1: chi-square test on the sample variance
    k = len(z) - 1
    chi2 = k * z.var(ddof=1)
    assert stats.chi2.ppf(0.005, k) <= chi2 <= stats.chi2.ppf(0.995, k), f"variance {z.var():.3f}"


LITTLE = """
name: little
horizon_days: 400
warmup_days: 20
calendar: {{start: 2026-01-05, workdays: [mon, tue, wed, thu, fri], hours: [9, 17]}}
leads: [{{source: web, per_day: 10, patience_hours: {{dist: exponential, mean: 48}}}}]
stages:
  qualify: {{by: sdr, work_hours: {{dist: triangular, low: 0.1, mode: 0.3, high: 0.8}},
            success: 0.4, next: meeting}}
  meeting: {{by: closer, delay_days: {{dist: uniform, low: 1, high: 4}}, no_show: 0.1,
            work_hours: {{dist: lognormal, mean: 2, sd: 1}}, success: 0.5,
            follow_up: {{attempts: 1, delay_days: 2}}}}
roles:
  sdr: {{headcount: 1}}
  closer: {{headcount: 2}}
"""


def test_littles_law_on_a_multi_stage_scenario(tmp_path: Path) -> None:
    sc = scenario_from_yaml(tmp_path, LITTLE.format())
    recs = replicate(sc, 10)
    window = (sc.horizon_days - sc.warmup_days) * 24
    for r in recs:
        arrival_rate = r["leads_arrived"] / window
        predicted = arrival_rate * r["time_in_system_hours_mean"]
        assert r["open_leads_mean"] == pytest.approx(predicted, rel=0.05)


def test_one_server_working_a_third_of_the_day_has_a_third_of_the_capacity(
    tmp_path: Path,
) -> None:
    text = mmc_yaml(1, 1.0, 1.0, 200, 0).replace(
        ROUND_THE_CLOCK, ROUND_THE_CLOCK.replace("hours: [0, 24]", "hours: [9, 17]")
    )
    sc = scenario_from_yaml(tmp_path, text)
    recs = replicate(sc, 10)
    per_hour = [r["stage.serve.worked"] / (sc.horizon_days * 24) for r in recs]
    lo, hi = ci99(per_hour)
    assert lo <= 1 / 3 <= hi, f"throughput per hour {np.mean(per_hour):.4f}, expected 1/3"
    assert all(r["role.server.utilisation"] > 0.99 for r in recs)


TANDEM = """
name: tandem
horizon_days: 150
warmup_days: 10
calendar: {round_the_clock}
leads: [{{source: poisson, per_day: 12}}]
stages:
  a: {{by: first, work_hours: {{dist: exponential, mean: 0.5}}, success: 1.0, next: b}}
  b: {{by: second, work_hours: {{dist: exponential, mean: 1.0}}, success: 1.0}}
roles:
  first: {{headcount: 1}}
  second: {{headcount: 1}}
"""


def test_per_stage_waits_and_times_match_a_tandem_of_mm1_queues(tmp_path: Path) -> None:
    # lambda = 0.5 / h; stage a has mu = 2 / h, stage b mu = 1 / h. By Burke's theorem stage
    # b also sees Poisson arrivals, so each stage is an M/M/1 queue: wait Wq = rho / (mu -
    # lambda), time in stage W = 1 / (mu - lambda), exponential, so its median is ln 2 x W.
    sc = scenario_from_yaml(tmp_path, TANDEM.format(round_the_clock=ROUND_THE_CLOCK))
    recs = replicate(sc, 20)
    for stage, mu in (("a", 2.0), ("b", 1.0)):
        expected = {
            "wait_hours_mean": mmc_mean_wait(1, 0.5, mu),
            "time_hours_mean": 1 / (mu - 0.5),
            "time_hours_p50": math.log(2) / (mu - 0.5),
        }
        for key, value in expected.items():
            lo, hi = ci99([r[f"stage.{stage}.{key}"] for r in recs])
            assert lo <= value <= hi, f"{stage}.{key} {value:.3f} not in [{lo:.3f}, {hi:.3f}]"
