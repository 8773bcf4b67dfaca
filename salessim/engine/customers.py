"""Customers after the first deal: ownership, repeat purchases, churn, loyalty to their owner.

A won lead becomes a `Customer` owned by the person who closed it (or by a person of
`customers.owner_role`). While active it makes repeat purchases at a Poisson rate; each needs the
`repeat_stage` to be worked (support) if one is set, else it is revenue at once. A customer stops
buying at its churn time (sooner for each repeat order lost for want of service, with
`churn_per_lost_order`), or leaves with its owner when the owner leaves (probability
`follows_owner_on_exit`, lower with a CRM); the others are reassigned within the role.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from salessim.engine.agenda import Agenda
from salessim.engine.records import Customer
from salessim.engine.routing import named
from salessim.scenario.workforce import Customers

if TYPE_CHECKING:
    from salessim.engine.context import Engine
    from salessim.engine.records import PersonRt

INF = math.inf
YEAR_HOURS = 365 * 24.0
MONTH_HOURS = YEAR_HOURS / 12


class CustomerBook:
    """All customers of one replication and the processes acting on them."""

    def __init__(self, sim: Engine, spec: Customers) -> None:
        self.sim = sim
        self.spec = spec
        self.warmup, self.horizon = sim.warmup, sim.horizon
        self.rng = sim.streams("customers")
        self.agenda = Agenda(sim.env)
        self.neglect_rng = sim.streams("customers.neglect")
        value = spec.repeat_value or sim.scenario.deal_value
        self.repeat_value = value.sampler(sim.streams("customers.value"))
        self.customers: list[Customer] = []
        self.orphans: dict[str, list[Customer]] = {}
        self.lost_with_owner = 0
        self.lost_revenue = 0.0
        self.mean_repeat_value = value.mean
        self.track = (
            spec.repeat_per_year > 0
            or spec.churn_per_year > 0
            or spec.follows_owner_on_exit > 0
            or spec.referrals_per_year > 0
        )
        self.referral_rng = sim.streams("customers.referrals") if spec.referrals_per_year else None
        self.plain = self.plain_window = 0
        self.plain_value = self.plain_months = 0.0

    def won(self, closer: PersonRt | None, value: float, now: float) -> None:
        """Register a new customer closed by `closer` at `now` with a first purchase of `value`."""
        if not self.track:  # nothing can happen to them later: count, do not keep
            self.plain += 1
            warmup = self.warmup
            if now >= warmup:
                self.plain_window += 1
                self.plain_value += value
            start = now if now > warmup else warmup
            if start < self.horizon:
                self.plain_months += self.horizon - start
            return
        owner = closer
        if self.spec.owner_role is not None:
            owner = self._least_loaded(self.spec.owner_role, exclude=None)
        self._add(owner, value, won_at=now)

    def _add(self, owner: PersonRt | None, value: float, won_at: float) -> None:
        """A customer from now on: their churn date, their owner's book, their next order."""
        spec, now = self.spec, self.sim.env.now
        if not self.track:  # an opening customer to whom nothing can happen: count them
            self.plain += 1
            self.plain_months += self.horizon - self.warmup
            return
        churn_at = INF
        if spec.churn_per_year > 0:
            churn_at = now + float(self.rng.exponential(YEAR_HOURS / spec.churn_per_year))
        customer = Customer(owner, churn_at, won_at, value)
        self.customers.append(customer)
        if owner is not None:
            owner.customers[customer] = None
        elif spec.owner_role is not None:
            self.orphans.setdefault(spec.owner_role, []).append(customer)
        self._schedule_churn(customer)
        self._schedule_repeat(customer)
        self._schedule_referral(customer)

    def _schedule_churn(self, customer: Customer) -> None:
        """At its churn time (if in the run) the customer leaves its owner's book."""
        at = customer.churn_at
        if at < self.horizon:
            self.agenda.at(at, self._churned, customer)

    def _churned(self, customer: Customer, at: float) -> None:
        if customer.churn_at != at:  # its churn was moved (`churn_per_lost_order`)
            return
        if customer.owner is not None:
            customer.owner.customers.pop(customer, None)

    def _schedule_referral(self, customer: Customer) -> None:
        rate, rng = self.spec.referrals_per_year, self.referral_rng
        if rate <= 0 or rng is None:
            return
        t = self.sim.env.now + float(rng.exponential(YEAR_HOURS / rate))
        if t < min(customer.churn_at, self.horizon):
            self.agenda.at(t, self._referral, customer)

    def _referral(self, customer: Customer, _t: float) -> None:
        """A customer sends someone (unless gone, or badly served with referrals_if_served)."""
        if not customer.active or customer.churn_at <= self.sim.env.now:
            return
        if not (self.spec.referrals_if_served and customer.lost_orders > 0):
            self.sim.referral()
        self._schedule_referral(customer)

    def open_book(self) -> None:
        """Day 0: the opening customer book (`customers.opening`), each customer owned as given
        and then buying again, churning and following their owner like any other."""
        rng = self.sim.streams("customers.opening")
        for group in self.spec.opening:
            if group.count == 0:
                continue
            dist = group.value or self.sim.scenario.deal_value
            values = dist.sample(rng, group.count).tolist()
            owners = self._opening_owners(group.owner)
            for i, value in enumerate(values):
                owner = owners[i % len(owners)] if owners else None
                self._add(owner, value, won_at=-1.0)

    def _opening_owners(self, who: str | None) -> list[PersonRt]:
        people = self.sim.role_people
        if who is None:
            who = self.spec.owner_role
        if who is None:
            return [p for role in people for p in people[role]]
        if who in people:
            return list(people[who])
        return [p for role in people for p in people[role] if named(p, (who,))][:1]

    def _schedule_repeat(self, customer: Customer) -> None:
        rate = self.spec.repeat_per_year
        if rate <= 0:
            return
        now = self.sim.env.now
        t = now + float(self.rng.exponential(YEAR_HOURS / rate))
        if t < min(customer.churn_at, self.horizon):
            self.agenda.at(t, self._repeat, customer)

    def _repeat(self, customer: Customer, _t: float) -> None:
        if not customer.active or customer.churn_at <= self.sim.env.now:
            return
        value = self.repeat_value()
        if self.spec.repeat_stage is None:
            self.sim.repeat_won(value, customer)
        else:
            self.sim.repeat_lead(
                value, customer, self.spec.repeat_stage, self.spec.repeat_wait_days * 24
            )
        self._schedule_repeat(customer)

    def order_lost(self, customer: Customer, t: float) -> None:
        """A repeat order of `customer` was lost at `t` waiting for service: with
        `churn_per_lost_order`, their churn hazard rises by it, and (the hazard being constant
        between losses) their remaining time from `t` is drawn afresh at the new rate. A loss
        noticed after the customer has churned (a queue is looked at late) changes nothing."""
        extra = self.spec.churn_per_lost_order
        if not customer.active or customer.churn_at <= max(t, self.sim.env.now):
            return
        customer.lost_orders += 1  # also for referrals_if_served
        if extra <= 0:
            return
        rate = self.spec.churn_per_year + extra * customer.lost_orders
        customer.churn_at = t + float(self.neglect_rng.exponential(YEAR_HOURS / rate))
        customer.ended_at = customer.churn_at
        self._schedule_churn(customer)

    def owner_left(self, person: PersonRt) -> None:
        """Each active customer of a leaver leaves too with the follow probability, else moves."""
        p_follow = self.spec.follow_probability
        book, person.customers = person.customers, {}
        for customer in book:
            if not customer.active or customer.churn_at <= self.sim.env.now:
                continue
            if p_follow > 0 and self.rng.random() < p_follow:
                self._lose(customer, person)
            else:
                heir = self._least_loaded(person.role, exclude=person)
                customer.owner = heir
                if heir is not None:
                    heir.customers[customer] = None
                else:
                    self.orphans.setdefault(person.role, []).append(customer)

    def _lose(self, customer: Customer, person: PersonRt) -> None:
        now = self.sim.env.now
        customer.active = False
        customer.lost_with_owner = True
        customer.ended_at = now
        person.customers_lost += 1
        if now >= self.warmup:
            self.lost_with_owner += 1
            remaining = max(0.0, min(customer.churn_at, self.horizon) - now)
            self.lost_revenue += (
                self.spec.repeat_per_year * self.mean_repeat_value * remaining / YEAR_HOURS
            )

    def adopt(self, person: PersonRt) -> None:
        """A new person takes over the customers left without an owner in their role."""
        now = self.sim.env.now
        for customer in self.orphans.pop(person.role, []):
            if customer.active and customer.churn_at > now:
                customer.owner = person
                person.customers[customer] = None

    def _least_loaded(self, role: str, exclude: PersonRt | None) -> PersonRt | None:
        """The employed person of `role` with the fewest active customers (the first on a tie)."""
        now = self.sim.env.now
        best: PersonRt | None = None
        for p in self.sim.role_staff.get(role, []):
            if p is exclude or not p.employed(now):
                continue
            if best is None or len(p.customers) < len(best.customers):
                best = p
        return best

    def counts(self, warmup: float, horizon: float) -> dict[str, float]:
        """Active and churned customers, customer-months at risk, and observed lifetime value."""
        active, churned = self.plain, 0
        months_at_risk = self.plain_months / MONTH_HOURS
        new_revenue: list[float] = []
        total, count = self.plain_value, self.plain_window
        for c in self.customers:
            end = min(c.ended_at, horizon)
            months_at_risk += max(0.0, end - max(c.won_at, warmup)) / MONTH_HOURS
            if c.won_at >= warmup:
                new_revenue.append(c.revenue)
            if c.lost_with_owner:
                continue
            if c.churn_at <= horizon:
                churned += warmup <= c.churn_at
            else:
                active += 1
        return {
            "active": active,
            "churned": churned,
            "months_at_risk": months_at_risk,
            "ltv_observed": (total + sum(new_revenue)) / (count + len(new_revenue))
            if count + len(new_revenue)
            else math.nan,
        }


__all__ = ["Customer", "CustomerBook"]
