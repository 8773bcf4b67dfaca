"""Leads coming in (engine/inflow.py): a lead that finds nobody free joins the queue without an
event of its own, yet keeps its arrival time, its place in the queue and its id order."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
from salessim.scenario.models import Scenario

ALL_DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def queue(load: float, servers: int = 1, days: float = 400, **extra: Any) -> Scenario:
    """M/M/c around the clock at utilisation `load` (service 1 h on average)."""
    return Scenario.model_validate(
        {
            "name": "mmc",
            "horizon_days": days,
            "calendar": {"workdays": ALL_DAYS, "hours": [0, 24]},
            "leads": [{"source": "web", "per_day": 24 * load * servers}],
            "stages": {
                "serve": {
                    "by": "server",
                    "success": 1.0,
                    "work_hours": {"dist": "exponential", "mean": 1.0},
                },
            },  # fmt: skip
            "roles": {"server": {"headcount": servers}},
            **extra,
        }
    )


def events_per_lead(sc: Scenario) -> float:
    sim = Simulation(sc, Streams(3, 0))
    steps = [0]
    step = sim.env.step

    def counted() -> None:
        steps[0] += 1
        step()

    sim.env.step = counted  # type: ignore[method-assign]
    tally = sim.run()
    return steps[0] / tally.arrived


def test_a_lead_that_finds_everyone_busy_needs_no_event_of_its_own() -> None:
    """By hand: every lead costs one event, the end of its work; a lead that finds the server
    idle (probability 1 - rho) also costs the alarm of its arrival and the wake-up of the
    server: 1 + 2 (1 - rho) events a lead, 1.1 at rho = 0.95 and 1.6 at rho = 0.7 (a
    simulation with one event per arrival would need 2 + (1 - rho) at least)."""
    assert events_per_lead(queue(0.95)) == pytest.approx(1.1, abs=0.03)
    assert events_per_lead(queue(0.7)) == pytest.approx(1.6, abs=0.04)


def traced(sc: Scenario) -> list[tuple[Any, ...]]:
    trace: list[tuple[Any, ...]] = []
    Simulation(sc, Streams(5, 0), trace=trace).run()
    return trace


def test_unseen_arrivals_keep_their_time_place_and_id_order() -> None:
    """Two sources into two stages of one busy person (utilisation ~0.97, so most leads come
    while they work): each lead's work starts after it arrived, each stage's queue is served
    in order of arrival, and lead ids follow arrival times across both sources."""
    sc = queue(0.97, days=60).model_dump(by_alias=True, exclude_unset=True)
    sc["leads"] = [
        {"source": "web", "per_day": 16},
        {"source": "shop", "per_day": 7.3, "entry_stage": "walk_in"},
    ]
    sc["stages"]["walk_in"] = {"by": "server", "success": 1.0, "work_hours": 1.0}
    sc["roles"]["server"]["stages"] = ["serve", "walk_in"]
    trace = traced(Scenario.model_validate(sc))
    arrived = {row[1]: row[3] for row in trace if row[0] == "end"}  # leads that ended
    starts: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for row in trace:
        if row[0] == "work":
            _, _, stage, lead, start, _, _ = row
            if lead not in arrived:
                continue
            assert start >= arrived[lead]
            starts[stage].append((start, arrived[lead]))
    for stage, order in starts.items():
        times = [a for _, a in sorted(order)]
        assert times == sorted(times), stage
        assert len(order) > 300
    ids = sorted(arrived)
    assert [arrived[i] for i in ids] == sorted(arrived.values())
