"""Routing rules per stage: each one acts as documented (docs/modelling.md, "Routing")."""

from __future__ import annotations

from typing import Any

from salessim.experiment.replications import replicate
from salessim.scenario.crosscheck import cross_check
from salessim.scenario.models import Scenario

from .conftest import TINY, deep_update


def scenario(stages: dict[str, Any], roles: dict[str, Any], **changes: Any) -> Scenario:
    data = deep_update(TINY, {"horizon_days": 120, "warmup_days": 10, **changes})
    data["stages"], data["roles"] = stages, roles
    return Scenario.model_validate(data)


def closing(routing: dict[str, Any] | None, per_day: float = 4, **changes: Any) -> Scenario:
    close: dict[str, Any] = {"by": "rep", "work_hours": 1.0, "success": 0.5}
    if routing is not None:
        close["routing"] = routing
    changes.setdefault("roles", {"rep": {"headcount": 2}})
    changes.setdefault("leads", [{"source": "web", "per_day": per_day}])
    return scenario({"close": close}, **changes)


def per_person(sc: Scenario, key: str, reps: int = 3) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in range(reps):
        for row in replicate(sc, 5, r).people:
            out[row["person"]] = out.get(row["person"], 0.0) + row[key]
    return out


def test_weighted_shares_two_to_one_give_two_to_one_deals() -> None:
    deals = per_person(closing({"rule": "weighted", "weights": {"rep[0]": 2}}), "deals")
    assert 1.75 < deals["rep[0]"] / deals["rep[1]"] < 2.3, deals


def test_round_robin_gives_a_fast_and_a_slow_person_the_same_number_of_leads() -> None:
    roles = {"rep": {"headcount": 2, "people": [{"work_time": 0.5}, {}]}}
    shared = per_person(closing(None, per_day=14, roles=roles), "attempts")
    turns = per_person(closing({"rule": "round_robin"}, per_day=5, roles=roles), "attempts")
    assert shared["rep[0]"] > 1.3 * shared["rep[1]"]  # the faster one takes more from a queue
    assert abs(turns["rep[0]"] - turns["rep[1]"]) <= 2 * 3, turns  # alternating, per run


def test_the_owner_keeps_the_deal_from_stage_to_stage() -> None:
    def two_steps(rule: str) -> list[dict[str, Any]]:
        stages = {
            "qualify": {"by": "rep", "work_hours": 0.5, "success": 0.6, "next": "close"},
            "close": {"by": "rep", "work_hours": 1.0, "success": 0.5, "routing": {"rule": rule}},
        }
        sc = scenario(stages, {"rep": {"headcount": 3}}, leads=[{"source": "web", "per_day": 8}])
        return [row for row in replicate(sc, 1, 0, leads=True).leads if row["outcome"] == "won"]

    kept = two_steps("owner")
    assert kept and all(row["closed_by"] == row["sourced_by"] for row in kept)
    mixed = two_steps("round_robin")
    assert any(row["closed_by"] != row["sourced_by"] for row in mixed)


def test_a_territory_goes_only_to_its_people() -> None:
    routing = {"sources": {"north": ["rep[0]"]}}
    sc = closing(
        routing, leads=[{"source": "north", "per_day": 3}, {"source": "south", "per_day": 3}]
    )
    rows = [row for row in replicate(sc, 2, 0, leads=True).leads if row["outcome"] == "won"]
    north = [row["closed_by"] for row in rows if row["source"] == "north"]
    south = {row["closed_by"] for row in rows if row["source"] == "south"}
    assert north and set(north) == {"rep[0]"}
    assert south == {"rep[0]", "rep[1]"}


def test_skill_routing_gives_the_best_person_most_leads() -> None:
    roles = {"rep": {"headcount": 2, "people": [{"success": 0.5}, {"success": 1.5}]}}
    best = per_person(closing({"rule": "skill"}, roles=roles), "attempts")
    shared = per_person(closing(None, roles=roles), "attempts")
    # The best takes every lead until 3 wait for them (the night's leads spill over).
    assert best["rep[1]"] > 0.65 * (best["rep[0]"] + best["rep[1]"]), best
    assert shared["rep[1]"] < 0.6 * (shared["rep[0]"] + shared["rep[1]"]), shared


def test_a_backup_works_only_when_the_others_are_swamped() -> None:
    def backup_attempts(per_day: float) -> float:
        close = {"by": ["rep", "head"], "work_hours": 1.0, "success": 0.5,
                 "routing": {"backup": ["head"], "backup_after": 6}}  # fmt: skip
        roles = {"rep": {"headcount": 2}, "head": {"headcount": 1}}
        sc = scenario({"close": close}, roles, leads=[{"source": "web", "per_day": per_day}])
        return per_person(sc, "attempts")["head[0]"]

    # Two reps do 16 a day against 3 arriving: only a weekend's pile (~8) can reach 6 each.
    assert backup_attempts(3) < 10
    assert backup_attempts(40) > 100  # swamped reps: the head closes too


def test_routing_names_must_work_the_stage() -> None:
    data = deep_update(
        TINY,
        {"stages": {"meeting": {"routing": {"backup": ["designer[5]"], "sources": {"mail": []}}}}},
    )
    problems = dict(cross_check(data))
    assert "designer[5]" in problems["stages.meeting.routing.backup[0]"]
    assert "does not exist" in problems["stages.meeting.routing.sources.mail"]
