"""What the engine's parts (`people`, `customers`) may ask of the running simulation.

`Engine` is the interface `simulation.Simulation` offers them: the SimPy environment, the
scenario and streams, the measured window, the people of each role, and a few actions (call
later, start a person's work, hand over their leads, wake them, a repeat purchase, hiring costs,
a person joining or leaving). Depending on this protocol instead of the class keeps the import
graph of the engine free of circles.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import simpy

    from salessim.engine.calendar import WorkCalendar
    from salessim.engine.records import Customer, PersonRt
    from salessim.engine.streams import Streams
    from salessim.scenario.models import Scenario


class Engine(Protocol):
    """The running simulation, as the people and customer processes see it."""

    env: simpy.Environment
    scenario: Scenario
    streams: Streams
    horizon: float
    warmup: float
    role_index: dict[str, int]
    role_calendars: dict[str, WorkCalendar]
    seat_calendars: dict[tuple[str, int], WorkCalendar]
    role_people: dict[str, list[PersonRt]]
    role_staff: dict[str, list[PersonRt]]

    def at(self, t: float, action: Callable[[], Any]) -> None: ...

    def add_person(self, person: PersonRt) -> None: ...

    def hand_over(self, person: PersonRt, leaving: bool = False) -> None: ...

    def wake(self, person: PersonRt) -> None: ...

    def referral(self) -> None: ...

    def repeat_lead(self, value: float, customer: Customer, stage: str,
                    wait_hours: float) -> None: ...  # fmt: skip

    def repeat_won(self, value: float, customer: Customer) -> None: ...

    def pay_hiring(self, t: float, cost: float) -> None: ...

    def person_joined(self, person: PersonRt) -> None: ...

    def person_left(self, person: PersonRt) -> None: ...
