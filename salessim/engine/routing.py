"""Routing: who gets a booked lead or a repeat order. Today's rule is `Router`'s default.

A lead entering a stage with a delay (a meeting booked days ahead) is booked with one person
when it enters; a repeat order goes to the customer's owner if they work its stage. Everything
else waits in the stage's team queue, where the first free person takes it. A stage's
`routing:` (owner, round robin, weights, skill, territories, back-up people) assigns each lead
to one person on entry instead (`Router.assign`). A different rule altogether is a `Router`
subclass given to the simulation.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from salessim.engine.records import Lead, PersonRt, StageRt

INF = math.inf


def named(person: PersonRt, refs: Collection[str]) -> bool:
    """Whether `refs` names the person: their seat `role[i]`, their name (a successor keeps
    it), or their role."""
    return (
        person.name.split("#")[0] in refs
        or f"{person.role}[{person.seat}]" in refs
        or person.role in refs
    )


def waiting(person: PersonRt, st: StageRt) -> int:
    """Leads waiting for the person at `st`: in their queue and booked ahead."""
    return len(person.personal[st.index]) + person.pending


class Router:
    """Today's routing: the person who booked the lead if they can work it and are present,
    else the present person of the stage with the fewest bookings (the least recently booked
    on a tie)."""

    def book(self, st: StageRt, by: PersonRt | None, now: float) -> PersonRt | None:
        """Who a lead entering the booked stage `st` is booked with (None: the team queue)."""
        if by is not None and st.index in by.personal and by.present(now):
            by.pending += 1
            return by
        best: PersonRt | None = None
        best_load, best_last = INF, INF
        for p in st.staff:  # the first present person with the least (load, last booked)
            load = len(p.personal[st.index]) + p.pending
            if load > best_load or (load == best_load and p.last_booked >= best_last):
                continue
            if p.present(now):  # checked only for a better candidate
                best, best_load, best_last = p, load, p.last_booked
        if best is not None:
            best.pending += 1
            best.last_booked = now
        return best

    def assign(self, st: StageRt, lead: Lead, by: PersonRt | None, source: str,
               now: float) -> PersonRt | None:  # fmt: skip
        """Who a lead entering `st` is assigned to under the stage's `routing` (None: nobody
        able is present, so the team queue)."""
        spec = st.routing
        assert spec is not None
        people = [p for p in st.staff if p.present(now)]
        if source in spec.sources:
            people = [p for p in people if named(p, spec.sources[source])]
        if spec.backup:
            primary = [p for p in people if not named(p, spec.backup)]
            if primary and min(waiting(p, st) for p in primary) < spec.backup_after:
                people = primary
        if not people:
            return None
        target = self._choose(spec.rule, st, people, by)
        st.assigned[target] = st.assigned.get(target, 0) + 1
        target.last_booked = now
        if st.delay is not None:
            target.pending += 1
        return target

    def _choose(self, rule: str, st: StageRt, people: list[PersonRt],
                by: PersonRt | None) -> PersonRt:  # fmt: skip
        if rule == "owner" and by in people:
            return by
        if rule == "round_robin":
            order = st.workers
            for k in range(len(order)):
                p = order[(st.turn + k) % len(order)]
                if p in people:
                    st.turn = (st.turn + k + 1) % len(order)
                    return p
        spec = st.routing
        assert spec is not None
        if rule == "weighted":

            def share(p: PersonRt) -> float:
                weight = next((w for ref, w in spec.weights.items() if named(p, (ref,))), 1.0)
                return (st.assigned.get(p, 0) + 1) / weight

            return min(people, key=share)
        if rule == "skill":
            free = [p for p in people if waiting(p, st) < spec.max_waiting]
            if free:
                return max(free, key=lambda p: p.success)
        return min(people, key=lambda p: (waiting(p, st), p.last_booked))

    def repeat_order(self, owner: PersonRt | None, st: StageRt) -> PersonRt | None:
        """Who a customer's repeat order at `st` goes to: its owner, if they work the stage."""
        return owner if owner is not None and st in owner.stages else None
