"""Routing: who gets a booked lead or a repeat order. Today's rule is `Router`'s default.

A lead entering a stage with a delay (a meeting booked days ahead) is booked with one person
when it enters; a repeat order goes to the customer's owner if they work its stage. Everything
else waits in the stage's team queue, where the first free person takes it. A different rule
(skills, territories, round robin) is a `Router` subclass given to the simulation.
"""

from __future__ import annotations

import math

from salessim.engine.records import PersonRt, StageRt

INF = math.inf


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
        best_key = (INF, INF)
        for p in st.workers:
            if not p.present(now):
                continue
            key = (len(p.personal[st.index]) + p.pending, p.last_booked)
            if key < best_key:
                best, best_key = p, key
        if best is not None:
            best.pending += 1
            best.last_booked = now
        return best

    def repeat_order(self, owner: PersonRt | None, st: StageRt) -> PersonRt | None:
        """Who a customer's repeat order at `st` goes to: its owner, if they work the stage."""
        return owner if owner is not None and st in owner.stages else None
