"""Where leads come from: the lead sources, the open pipeline on day 0, prospecting sessions and
repeat orders.

One of the parts of `simulation.Simulation` (a mixin: the methods run on the simulation itself,
so the hot path pays no extra indirection); `wiring.Wired` names what they may use of it.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from functools import partial
from typing import TYPE_CHECKING, Any

from salessim.engine.arrivals import arrival_chunks
from salessim.engine.records import Customer, Lead, PersonRt, StageRt

if TYPE_CHECKING:
    from salessim.engine.wiring import Wired
    from salessim.scenario.models import LeadSource

INF = math.inf


class Inflow:
    """Leads entering the funnel."""

    def _source(self: Wired, k: int, src: LeadSource) -> Generator[Any, Any, None]:
        env = self.env
        entry = self.stages[self.stage_index[src.entry_stage or next(iter(self.scenario.stages))]]
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
        now = env.now
        for chunk in chunks:
            for t, value, patience, u in chunk:
                if t >= self.horizon or left == 0:
                    return
                if market is not None and market.random() * size >= left:
                    continue  # thinned: only the share of the market left still comes
                left -= 1
                yield env.timeout(t - now)
                now = env.now
                lead = self._new_lead(k, t, value, t + patience, u)
                self._enter(lead, entry, now, start_now=True)

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
            stage = self.stages[self.stage_index[deal.stage]]
            self._enter(lead, stage, self.env.now, residual=rng.random())

    def referral(self: Wired) -> None:
        """A lead a customer sent (`customers.referrals_per_year`): its value is drawn from the
        scenario's deal value, and it enters the first working stage like an inbound lead."""
        rng = self.customers.referral_rng
        assert rng is not None
        value = float(self.scenario.deal_value.sample(rng, 1)[0])
        u = rng.random(2 * len(self.stages)).tolist()
        entry = next(st for st in self.stages if not st.prospecting)
        now = self.env.now
        lead = self._new_lead(self.tally.referral_source, now, value, INF, u)
        self._enter(lead, entry, now)

    def _fate(self: Wired, lead: Lead, kind: str) -> None:
        """An opening deal ends as its age-conditioned draw said (`pipeline_survival`)."""
        now = self.env.now
        if kind == "won":
            self.customers.won(None, lead.value, now)
            if self.tally.margins:
                self.tally.gross(now, lead.value * self.scenario.gross_margin)
            self._end(lead, "won", now)
        else:
            self._end(lead, "rejected", now)

    def _new_lead(self: Wired, source: int, t: float, value: float, deadline: float,
                  u: list[float]) -> Lead:  # fmt: skip
        lead = Lead(self.next_id, source, t, value, deadline, u, t >= self.warmup)
        self.next_id += 1
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
            self._advance(lead, st, person, now)

    def repeat_lead(self: Wired, value: float, customer: Customer, stage: str,
                    wait_hours: float) -> None:  # fmt: skip
        """A repeat purchase that waits for someone to work `stage` (support)."""
        now = self.env.now
        owner = customer.owner
        lead = Lead(self.next_id, -1, now, value, now + wait_hours, [], False)
        self.next_id += 1
        lead.repeat = True
        lead.customer = customer
        self.open[lead.id] = lead
        st = self.stages[self.stage_index[stage]]
        self._enqueue(lead, st, now, self.router.repeat_order(owner, st))
