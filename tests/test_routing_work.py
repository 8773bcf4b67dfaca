"""The engine's policies (engine/routing.py, engine/work.py): today's rules are the defaults,
and a different rule plugged into the simulation changes what a hand calculation says."""

from __future__ import annotations

from salessim.engine.records import PersonRt, StageRt
from salessim.engine.routing import Router
from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
from salessim.engine.work import Productivity, Prospecting
from salessim.measures.metrics import record
from salessim.scenario.models import Scenario

from .conftest import make_scenario


def busy_closer() -> Scenario:
    """One closer who cannot keep up: 12 leads a day of 1 h each on an 8 h day, patient leads,
    every one won; the deals are bounded by the closer's hours."""
    return Scenario.model_validate({
        "name": "busy", "horizon_days": 120,
        "leads": [{"source": "web", "per_day": 12, "patience_hours": 10_000}],
        "stages": {"close": {"by": "closer", "work_hours": 1.0, "success": 1.0}},
        "roles": {"closer": {"headcount": 1}},
    })  # fmt: skip


class HalfSpeed(Productivity):
    def hours(self, person: PersonRt, st: StageRt, now: float) -> tuple[float, float]:
        base, hours = super().hours(person, st, now)
        return base, 2 * hours


def won(scenario: Scenario, seed: int, **policies: object) -> float:
    tally = Simulation(scenario, Streams(seed, 0), **policies).run()  # type: ignore[arg-type]
    return record(tally)["won"]


def test_a_person_at_half_speed_wins_about_half_the_deals() -> None:
    scenario = busy_closer()
    full = sum(won(scenario, s) for s in range(3))
    half = sum(won(scenario, s, productivity=HalfSpeed()) for s in range(3))
    assert 0.45 < half / full < 0.55, (half, full)


def test_the_default_policies_are_todays_rules() -> None:
    scenario = make_scenario(horizon_days=60)
    plain = record(Simulation(scenario, Streams(4, 0)).run())
    policies = {"router": Router(), "productivity": Productivity(), "prospecting": Prospecting()}
    explicit = record(Simulation(scenario, Streams(4, 0), **policies).run())  # type: ignore[arg-type]
    assert plain == explicit


class NeverProspects(Prospecting):
    def wants(self, person: PersonRt, st: StageRt, now: float) -> bool:
        return False


def test_a_prospecting_policy_decides_whether_people_prospect() -> None:
    from salessim.scenario import loader

    from .test_readme import ROOT

    star = loader.load(ROOT / "scenarios" / "super_seller.yaml")
    usual = Simulation(star, Streams(2, 0)).run()
    never = Simulation(star, Streams(2, 0), prospecting=NeverProspects()).run()
    assert sum(usual.daily_outbound) > 50 and sum(never.daily_outbound) == 0


class NobodyBooks(Router):
    def book(self, st: StageRt, by: PersonRt | None, now: float) -> PersonRt | None:
        return None  # every booked meeting waits in the team queue


def test_a_router_decides_who_gets_a_booked_meeting() -> None:
    scenario = make_scenario(horizon_days=60, stages={"meeting": {"delay_days": 2}})
    tally = Simulation(scenario, Streams(3, 0), router=NobodyBooks()).run()
    assert record(tally)["won"] > 0  # the team queue still serves them
    booked = Simulation(scenario, Streams(3, 0))
    booked.run()
    assert any(p.last_booked >= 0 for p in booked.staffing.people)
    queued = Simulation(scenario, Streams(3, 0), router=NobodyBooks())
    queued.run()
    assert all(p.last_booked < 0 for p in queued.staffing.people)
