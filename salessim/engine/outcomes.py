"""What a piece of work leads to: first contact, success or another try, the next stage or a won
deal, revenue credited to the people who worked on it, and the end of a lead (with its row in
the lead log).

One of the parts of `simulation.Simulation` (a mixin: the methods run on the simulation itself,
so the hot path pays no extra indirection); `wiring.Wired` names what they may use of it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from salessim.engine.records import WON, Lead, PersonRt, StageRt

if TYPE_CHECKING:
    from salessim.engine.records import Customer
    from salessim.engine.wiring import Wired

INF = math.inf
MONTH_HOURS = 365 * 24 / 12


class Outcomes:
    """What work on a lead leads to."""

    def _start(self: Wired, lead: Lead, person: PersonRt, now: float) -> None:
        lead.deadline = INF
        if lead.contacted < 0:
            lead.contacted = now
            lead.by = person
            self.tally.contact(lead, now)

    def _complete(self: Wired, lead: Lead, st: StageRt, person: PersonRt, now: float) -> None:
        counted = lead.counted
        if counted:
            st.worked += 1
        person.attempts += 1
        skilled = lead.team.get(person) == st.index
        p = self.productivity.success(person, st, skilled)
        if lead.repeat:
            u = self._repeat_u()
        elif lead.tries == 0:
            u = lead.u[st.index]
        else:
            u = st.retry_rng.random()  # type: ignore[union-attr]
        if skilled:
            person.judged += 1
            person.expected += st.success
        if u < p:
            person.successes += 1
            if skilled:
                person.judged_successes += 1
            if counted:
                st.daily_succeeded[int(now // 24)] += 1
            self._advance(lead, st, person, now)
        elif lead.tries < st.attempts and not lead.repeat:
            lead.tries += 1
            self._enter(lead, st, now, retry=True, by=person)
        else:
            self._end(lead, "rejected", now, person)

    def _repeat_u(self: Wired) -> float:
        return float(self.customers.rng.random())

    def _advance(self: Wired, lead: Lead, st: StageRt, person: PersonRt, now: float) -> None:
        lead.tries = 0
        nxt = st.next if st.branches is None else self._branch(lead, st)
        if nxt != WON and not lead.repeat:
            self._enter(lead, self.stages[nxt], now, by=person)
            return
        if not lead.repeat:
            person.deals += 1
            person.revenue += lead.value
            team = lead.team or {person: st.index}
            booked = now >= self.warmup
            for member in team:
                self._credit(member, lead.value / len(team), now, booked)
            source = lead.by
            if source is not None and booked and source.sourcing_rate:
                share = source.sourcing_rate
                source.commission += lead.value * share
                self.tally.daily_commission[int(now // 24)] += lead.value * share
            self.customers.won(person, lead.value, now)
            if self.tally.margins:
                self.tally.gross(now, lead.value * st.margin)
        self._end(lead, "won", now, person)

    def _branch(self: Wired, lead: Lead, st: StageRt) -> int:
        """Where a lead goes after success at a stage with branches: the first whose
        conditions hold and whose share is drawn, else `next`."""
        for target, share, value_over, source in st.branches or ():
            if lead.value <= value_over or (source >= 0 and lead.source != source):
                continue
            if share >= 1 or st.branch_rng.random() < share:  # type: ignore[union-attr]
                if target in st.loops:  # sent back round a loop: its next visits draw afresh
                    lead.u = st.loop_rng.random(len(lead.u)).tolist()  # type: ignore[union-attr]
                return target
        return st.next

    def _credit(self: Wired, person: PersonRt, value: float, now: float, booked: bool) -> None:
        """Revenue attributed to a person, for commissions, bonuses and dependency risk: an equal
        share of each won deal to everyone who worked on it, repeat purchases to the owner.
        Only what `revenue` counts: what is `booked` in the measured window."""
        if not booked:
            return
        rate = person.commission_rate
        person.revenue_window += value
        if rate:
            person.commission += value * rate
            self.tally.daily_commission[int(now // 24)] += value * rate
        if person.bonus:  # credited revenue per month, against the bonus target
            month = int(now // MONTH_HOURS)
            person.monthly[month] = person.monthly.get(month, 0.0) + value

    def repeat_won(self: Wired, value: float, customer: Customer) -> None:
        now = self.env.now
        self.tally.repeat_purchase(now, value)
        if self.tally.margins:
            self.tally.gross(now, value * self.tally.repeat_margin)
        customer.revenue += value
        owner = customer.owner
        if owner is not None:
            owner.revenue_repeat += value
            self._credit(owner, value, now, now >= self.warmup)
        if self.lead_log is not None and now >= self.warmup:
            self.lead_log.append(self._log_row(None, "won", now, owner, value))

    def _end(
        self: Wired, lead: Lead, outcome: str, t: float, person: PersonRt | None = None
    ) -> None:
        lead.outcome = outcome
        del self.open[lead.id]
        if self.trace is not None:
            self.trace.append(("end", lead.id, lead.source, lead.arrived, t, outcome, lead.value))
        if lead.repeat:
            if outcome == "won" and lead.customer is not None:
                self.repeat_won(lead.value, lead.customer)
            elif outcome != "won":
                customer = lead.customer
                if customer is not None and customer.churn_at <= lead.arrived:
                    return  # its customer had already gone (a loss noticed late moved churn)
                if t >= self.warmup:
                    self.tally.repeat_lost += 1
                if customer is not None:
                    self.customers.order_lost(customer, t)
            return
        if lead.counted and lead.in_stage >= 0:
            self.stages[lead.in_stage].times_hours.append(t - lead.since)
        self.tally.ended(lead, outcome, t)
        if self.lead_log is not None and lead.counted:
            self.lead_log.append(self._log_row(lead, outcome, t, person, lead.value))

    def _log_row(self: Wired, lead: Lead | None, outcome: str, t: float, person: PersonRt | None,
                 value: float) -> dict[str, Any]:  # fmt: skip
        """One row of leads.parquet (a CRM-like export); `lead` None is a repeat purchase."""
        entered: dict[str, float] = {}
        if lead is not None and lead.path is not None:
            for name, hours in lead.path:
                entered.setdefault(name, hours)
        row = {
            "lead": lead.id if lead else -1,
            "kind": ("pipeline" if lead.id in self.opening_age else "new") if lead else "repeat",
            "source": self.sources[lead.source] if lead else "",
            "arrived_hours": lead.arrived - self.opening_age.get(lead.id, 0.0) if lead else t,
            "first_contact_hours": lead.contacted if lead and lead.contacted >= 0 else math.nan,
            "ended_hours": t if outcome != "open" else math.nan,
            "outcome": outcome,
            "stages": ">".join(name for name, _ in lead.path or []) if lead else "",
            "sourced_by": lead.by.name if lead and lead.by else "",
            "closed_by": person.name if person and outcome == "won" else "",
            "owner": person.name if person else "",
            "value": value,
        }
        for st in self.stages:
            row[f"entered_hours.{st.name}"] = entered.get(st.name, math.nan)
        return row
