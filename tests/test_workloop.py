"""The work loop (engine/workloop.py): when an idle person starts on a lead, and who takes a lead
two free people could work."""

from __future__ import annotations

from salessim.engine.simulation import TraceRow, simulate
from salessim.engine.streams import Streams
from salessim.scenario.models import Scenario

ALWAYS = {"workdays": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "hours": [0, 24]}


def trace_of(scenario: Scenario, seed: int = 3) -> list[TraceRow]:
    trace: list[TraceRow] = []
    simulate(scenario, Streams(seed, 0), trace)
    return trace


def test_one_seller_starts_each_lead_at_arrival_or_when_the_last_one_ends() -> None:
    """FIFO with one server (Lindley): work on lead i starts at max(its arrival, the end of
    lead i-1's work); so an idle seller starts the moment a lead arrives, to the float."""
    sc = Scenario.model_validate(
        {
            "name": "one_seller",
            "horizon_days": 60,
            "calendar": ALWAYS,
            "leads": [{"source": "web", "per_day": 8}],
            "stages": {
                "sell": {
                    "by": "seller",
                    "work_hours": {"dist": "exponential", "mean": 2},
                    "success": 0.5,
                }
            },
            "roles": {"seller": {"headcount": 1}},
        }
    )
    trace = trace_of(sc)
    arrived = {row[1]: row[3] for row in trace if row[0] == "end"}
    work = [row for row in trace if row[0] == "work"]
    assert len(work) > 300
    idle_starts = 0
    previous_end = 0.0
    for _, _person, _stage, lead, start, end, _hours in work:
        if lead in arrived:
            assert start == max(arrived[lead], previous_end)
            idle_starts += start == arrived[lead]
        previous_end = end
    assert idle_starts > 50  # about a third of leads find the seller idle (utilisation 2/3)


def test_a_lead_the_hunter_finds_is_theirs_to_qualify_before_an_idle_colleague() -> None:
    """A hunter whose prospecting session finds a lead qualifies it next (qualifying comes first
    in their list), though a colleague who also qualifies is idle: the person who finished
    picks before anyone is woken for what their work produced. A session finds a Poisson(0.1)
    number of leads; the hunter takes the first, the idle closer the others, so the hunter
    qualifies (1 - e^-0.1) / 0.1 = 95% of them."""
    sc = Scenario.model_validate(
        {
            "name": "hunter_first",
            "horizon_days": 365,
            "calendar": ALWAYS,
            "leads": [],
            "stages": {
                "qualify": {
                    "by": ["hunter", "closer"],
                    "work_hours": 0.5,
                    "success": 0.5,
                    "next": "close",
                },
                "close": {"by": "closer", "work_hours": 0.5, "success": 0.5},
                "prospect": {
                    "by": "hunter",
                    "kind": "prospecting",
                    "work_hours": 1.0,
                    "leads_per_hour": 0.1,
                    "next": "qualify",
                },
            },
            "roles": {"hunter": {"headcount": 1}, "closer": {"headcount": 1}},
        }
    )
    qualified = [row[1] for row in trace_of(sc) if row[0] == "work" and row[2] == "qualify"]
    assert len(qualified) > 400
    hunter_share = sum(person.startswith("hunter") for person in qualified) / len(qualified)
    assert 0.92 < hunter_share < 0.98
