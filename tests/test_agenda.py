"""The agenda (customers' timed actions outside SimPy's queue) runs each action at exactly the
instant, and in the order, that a SimPy timeout of its own would have; a person's ramp-up."""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from salessim.engine.agenda import Agenda
from salessim.engine.records import PersonRt
from salessim.scenario.workforce import Workforce

# (when an action is booked, its delay): booked from a driver process, as the customer book does
bookings = st.lists(
    st.tuples(st.floats(0, 5_000, allow_nan=False), st.floats(0, 9_000, allow_nan=False)),
    min_size=1,
    max_size=40,
)


def fired(plan: list[tuple[float, float]], use_agenda: bool) -> list[tuple[float, int]]:
    """(time, booking) of each action as it runs, booked through the agenda or as timeouts."""
    env = simpy.Environment()
    agenda = Agenda(env)
    seen: list[tuple[float, int]] = []

    def driver() -> Generator[simpy.Event, Any, None]:
        for k, (at, delay) in enumerate(sorted(plan)):
            if at > env.now:
                yield env.timeout(at - env.now)
            if use_agenda:
                agenda.at(env.now + delay, lambda k, _t: seen.append((env.now, k)), k)
            else:
                env.timeout(delay).callbacks.append(lambda _e, k=k: seen.append((env.now, k)))

    env.process(driver())
    env.run()
    return seen


@settings(max_examples=200, deadline=None)
@given(bookings)
def test_actions_run_when_and_in_the_order_their_own_timeouts_would(
    plan: list[tuple[float, float]],
) -> None:
    assert fired(plan, use_agenda=True) == fired(plan, use_agenda=False)


def test_an_instant_no_delay_can_reach_is_reached_by_a_hop() -> None:
    # from `now`, now + d is never exactly `due` for any d (ties round to even, both sides)
    now, due = 1508.8349770943526, 3894.9228530859723
    d = math.nextafter(due - now, -math.inf)
    for _ in range(3):
        assert now + d != due
        d = math.nextafter(d, math.inf)
    env = simpy.Environment()
    agenda = Agenda(env)
    seen: list[float] = []
    agenda.at(now, lambda _s, _t: None, None)  # fires at `now`; only then is `due` the next
    agenda.at(due, lambda _s, t: seen.append(env.now), None)
    env.run()
    assert seen == [due]


def test_an_action_booked_in_the_past_runs_at_once() -> None:
    env = simpy.Environment()
    agenda = Agenda(env)
    seen: list[tuple[float, float]] = []
    env.timeout(10).callbacks.append(
        lambda _e: agenda.at(4.0, lambda _s, t: seen.append((env.now, t)), None)
    )
    env.run()
    assert seen == [(10.0, 4.0)]  # run at 10, told the time it was booked for


def test_ramp_up_rises_linearly_to_full_speed_and_stays_there() -> None:
    wf = Workforce.model_validate({"ramp_up": {"days": 10, "start": 0.5}})
    person = PersonRt("designer[0]", "designer", 0, 0.0, wf)
    person.ramp = wf.ramp_up
    assert person.productivity(0.0) == 0.5
    assert abs(person.productivity(5 * 24) - 0.75) < 1e-12  # half way: 0.5 + 0.5 * 0.5
    assert person.productivity(10 * 24) == 1.0
    assert person.productivity(300 * 24) == 1.0
    person.notice_at = 400 * 24  # serving notice at effort 0.7: slower again
    person.effort = 0.7
    assert person.productivity(401 * 24) == 0.7
