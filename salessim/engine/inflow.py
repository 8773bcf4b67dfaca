"""Where leads come from: the lead sources, the open pipeline on day 0, prospecting sessions and
repeat orders.

One of the parts of `simulation.Simulation` (a mixin: the methods run on the simulation itself,
so the hot path pays no extra indirection); `wiring.Wired` names what they may use of it.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Generator, Iterator
from functools import partial
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from salessim.engine.arrivals import arrival_chunks
from salessim.engine.records import Arrivals, Customer, Due, Lead, PersonRt, StageRt

if TYPE_CHECKING:
    from salessim.engine.wiring import Wired
    from salessim.scenario.models import LeadSource

INF = math.inf


def _time(due: Due) -> float:
    return due[0]


def merge(streams: list[Iterator[list[Due]]], size: int = 1024) -> Iterator[list[Due]]:
    """Chunked streams of arrivals merged in time order (and chunked again)."""
    merged = heapq.merge(*(chain.from_iterable(chunks) for chunks in streams), key=_time)
    return iter(lambda: list(islice(merged, size)), [])


def _next(stream: Arrivals) -> float:
    return stream.due_t


def delay_to(now: float, t: float) -> float:
    """The delay after which SimPy's clock (`now + delay`, rounded) reads exactly `t`."""
    delay = t - now
    while now + delay < t:
        delay = math.nextafter(delay, INF)
    while now + delay > t:
        delay = math.nextafter(delay, -INF)
    return delay


class Inflow:
    """Leads entering the funnel."""

    def _arrivals(self: Wired, k: int, src: LeadSource) -> Iterator[list[Due]]:
        """The leads of source `k` that come, in time order and in chunks, up to the horizon
        or until its market is used up (a depleting market thins them by the share left)."""
        chunks = arrival_chunks(
            src,
            self.scenario,
            len(self.stages),
            self.streams(f"arrivals.{src.source}"),
            self.streams(f"leads.{src.source}"),
        )
        left = src.market_size if src.market_size is not None else -1
        size = float(src.market_size or 0)
        depletes = src.market_saturation == "depletion"
        market = self.streams(f"market.{src.source}") if depletes else None
        for chunk in chunks:
            come: list[Due] = []
            for t, value, patience, u in chunk:
                if t >= self.horizon or left == 0:
                    yield come
                    return
                if market is not None and market.random() * size >= left:
                    continue  # thinned: only the share of the market left still comes
                left -= 1
                come.append((t, k, value, t + patience, u))
            yield come

    def _open_inflow(self: Wired) -> None:
        """One stream of arrivals per entry stage (its sources merged in time order), each
        held one lead ahead.

        A lead that arrives while nobody could take it (no one idle at its entry stage, which
        has no booking, routing or patience) needs no event of its own: it joins the queue,
        with its own arrival time and in the same order, when someone next looks at the
        queues or lets in a lead (`catch_up`). An event (the stream's alarm) is set only for
        the next arrival at a stage where someone is idle, or one that must be booked on
        arrival."""
        by_entry: dict[int, list[Iterator[list[Due]]]] = {}
        for k, src in enumerate(self.scenario.leads):
            entry = self.stage_index[src.entry_stage or next(iter(self.scenario.stages))]
            by_entry.setdefault(entry, []).append(self._arrivals(k, src))
        self.inbound = []
        for index, streams in by_entry.items():
            merged = streams[0] if len(streams) == 1 else merge(streams)
            st = self.stages[index]
            st.arrivals = Arrivals(st, merged, self._alarm)
            self.inbound.append(st.arrivals)
        self.due_t = min((a.due_t for a in self.inbound), default=INF)
        for stream in self.inbound:
            self.arm(stream)

    def catch_up(self: Wired, now: float) -> None:
        """Let in the leads that arrived up to `now`, each at its own arrival time, in the
        order they came."""
        inbound = self.inbound
        while self.due_t <= now:
            stream = inbound[0] if len(inbound) == 1 else min(inbound, key=_next)
            t, k, value, deadline, u = stream.take()
            self.due_t = stream.due_t if len(inbound) == 1 else min(a.due_t for a in inbound)
            lead = self._new_lead(k, t, value, deadline, u)
            entry = stream.entry
            if entry.plain:
                self._arrive(lead, entry, t)
            else:  # its alarm went off at t: now is t
                self._enter(lead, entry)

    def arm(self: Wired, stream: Arrivals) -> None:
        """Set the stream's alarm for its next arrival if someone could take that lead then,
        or if it must be booked on arrival."""
        t = stream.due_t
        if t < stream.alarm_at and (stream.entry.idle or not stream.entry.plain):
            stream.alarm_at = t
            self.env.timeout(delay_to(self.env.now, t)).callbacks.append(stream.ring)

    def _alarm(self: Wired, stream: Arrivals) -> None:
        stream.alarm_at = INF  # a stream has one alarm at a time: this one
        self.catch_up(self.env.now)
        self.arm(stream)

    def _pipeline(self: Wired) -> Generator[Any, Any, None]:
        """Deals open on day 0 enter their stage with a random part of its delay left."""
        yield self.env.timeout(0)
        rng = self.streams("pipeline")
        survival = self.scenario.pipeline_survival
        fate_rng = self.streams("pipeline.survival") if survival is not None else None
        for deal in self.scenario.pipeline:
            k = self.sources.index(deal.source) if deal.source else 0
            dist = self.scenario.leads[k].deal_value or self.scenario.deal_value
            value = deal.value if deal.value is not None else float(dist.sample(rng, 1)[0])
            u = rng.random(2 * len(self.stages)).tolist()
            lead = self._new_lead(k, 0.0, value, INF, u)
            self.opening_age[lead.id] = deal.age_days * 24
            if survival is not None and fate_rng is not None:
                curves, age = survival.for_deal(deal.stage, deal.age_days, deal.in_stage_days)
                fate = curves.draw(age, fate_rng.random(), fate_rng.random())
                if fate is not None:  # else it stays open: a stale deal
                    days, kind = fate
                    self.at(days * 24, partial(self._fate, lead, kind))
                continue
            self._enter(lead, self.stages[self.stage_index[deal.stage]], residual=rng.random())

    def referral(self: Wired) -> None:
        """A lead a customer sent (`customers.referrals_per_year`): its value is drawn from the
        scenario's deal value, and it enters the first working stage like an inbound lead."""
        rng = self.customers.referral_rng
        assert rng is not None
        value = float(self.scenario.deal_value.sample(rng, 1)[0])
        u = rng.random(2 * len(self.stages)).tolist()
        entry = next(st for st in self.stages if not st.prospecting)
        lead = self._new_lead(self.tally.referral_source, self.env.now, value, INF, u)
        self._enter(lead, entry)

    def _fate(self: Wired, lead: Lead, kind: str) -> None:
        """An opening deal ends as its age-conditioned draw said (`pipeline_survival`)."""
        now = self.env.now
        if kind == "won":
            self.customers.won(None, lead.value)
            if self.tally.margins:
                self.tally.gross(now, lead.value * self.scenario.gross_margin)
            self._end(lead, "won", now)
        else:
            self._end(lead, "rejected", now)

    def _new_id(self: Wired, t: float) -> int:
        """The next lead's id, after the leads that arrived before `t` (ids follow time)."""
        if self.due_t < t:
            self.catch_up(t)
        lid = self.next_id
        self.next_id += 1
        return lid

    def _new_lead(self: Wired, source: int, t: float, value: float, deadline: float,
                  u: list[float]) -> Lead:  # fmt: skip
        lead = Lead(self._new_id(t), source, t, value, deadline, u, t >= self.warmup)
        if self.lead_log is not None:
            lead.path = []
        self.open[lead.id] = lead
        self.tally.arrival(lead)
        return lead

    def _prospected(self: Wired, st: StageRt, person: PersonRt, base_hours: float) -> None:
        """A finished prospecting session: new leads found enter the stage after it."""
        n = self.prospecting.found(st, person, base_hours)
        if n == 0:
            return
        rng = st.prospect_rng
        assert rng is not None
        now = self.env.now
        values = self.scenario.deal_value.sample(rng, n).tolist()
        uniforms = rng.random((n, 2 * len(self.stages))).tolist()
        for value, u in zip(values, uniforms, strict=True):
            lead = self._new_lead(st.source, now, value, INF, u)
            lead.contacted = now
            lead.by = person
            lead.team[person] = st.index
            self.tally.contact(lead, now, outbound=True)
            self._advance(lead, st, person)

    def repeat_lead(self: Wired, value: float, customer: Customer, stage: str,
                    wait_hours: float) -> None:  # fmt: skip
        """A repeat purchase that waits for someone to work `stage` (support)."""
        now = self.env.now
        owner = customer.owner
        lead = Lead(self._new_id(now), -1, now, value, now + wait_hours, [], False)
        lead.repeat = True
        lead.customer = customer
        self.open[lead.id] = lead
        st = self.stages[self.stage_index[stage]]
        self._enqueue(lead, st, self.router.repeat_order(owner, st))
