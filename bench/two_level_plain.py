"""The two-level department (scenarios/two_level.yaml) written in plain SimPy the textbook way,
timed against salessim running the same model.

    python bench/two_level_plain.py            # 5 interleaved repeats of 5 one-year runs
    python bench/two_level_plain.py --smoke    # one short run of each, for CI

The plain model has what the structure has: two lead sources (Poisson by day with weekday
and month profiles, leads that go cold after their patience), lead-managers on their own
shifts taking `qualify` before `walk_in` from one priority queue, meetings booked 1-5 days
ahead with the designer who has the fewest bookings, no-shows, clients who stop waiting,
designers on the Monday-Friday calendar with holidays, and work that stops at closing time and
goes on at the next opening. Like the textbook, it counts only what it needs (deals won).
What the structure does not need is switched off in the salessim run too: absences,
resignations and repeat customers. The ratio is salessim's CPU time per lead over the plain
model's; both models are checked to win about the same number of deals.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import random
import statistics
import time
from bisect import bisect_right
from pathlib import Path
from typing import Any

import numpy as np
import simpy

from salessim.experiment.replications import run_replication
from salessim.scenario import loader
from salessim.scenario.models import Calendar, Scenario

ROOT = Path(__file__).resolve().parent.parent
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def structure_only(scenario: Scenario) -> Scenario:
    """two_level with absences, resignations and repeat customers switched off."""
    data = scenario.model_dump(by_alias=True, exclude_unset=True)
    data["workforce"] = {}
    data["customers"] = {}
    for role in data["roles"].values():
        role.pop("workforce", None)
        role["people"] = [{"calendar": p["calendar"]} if "calendar" in p else {}
                          for p in role.get("people", [])]  # fmt: skip
    return Scenario.model_validate(data)


class Shifts:
    """Working intervals of one person: [opens[i], closes[i]) in hours from the start."""

    def __init__(self, cal: Calendar, horizon_hours: float) -> None:
        self.opens: list[float] = []
        self.closes: list[float] = []
        for day in range(int(horizon_hours // 24) + 2):
            date = cal.start + dt.timedelta(days=day)
            if DAYS[date.weekday()] in cal.workdays and date not in cal.holidays:
                self.opens.append(day * 24 + cal.hours[0])
                self.closes.append(day * 24 + cal.hours[1])

    def next_open(self, t: float) -> tuple[float, float]:
        """The working interval in progress at `t`, or the next one: (open, close)."""
        i = bisect_right(self.opens, t) - 1
        if i >= 0 and t < self.closes[i]:
            return t, self.closes[i]
        return self.opens[i + 1], self.closes[i + 1]

    def finish(self, t: float, hours: float) -> float:
        """When `hours` of work started at `t` (inside a working interval) end."""
        i = bisect_right(self.opens, t) - 1
        while hours > self.closes[i] - t:
            hours -= self.closes[i] - t
            i += 1
            t = self.opens[i]
        return t + hours


class Lead:
    __slots__ = ("deadline", "contacted")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.contacted = False


def plain_two_level(sc: Scenario, seed: int) -> tuple[int, int]:
    """Run the plain model once: (leads arrived, deals won)."""
    env = simpy.Environment()
    rnd = random.Random(seed)
    nprng = np.random.default_rng(seed)
    horizon = sc.horizon_days * 24
    stages, roles = sc.stages, sc.roles
    lm_queue = simpy.PriorityStore(env)
    rank = {"qualify": 0, "walk_in": 1}
    seq = iter(range(10**9))
    counts = {"arrived": 0, "won": 0}
    meeting = stages["meeting"]
    designers: list[dict[str, Any]] = []

    def calendar(role: str, person: int) -> Shifts:
        cal = sc.calendar.model_copy(update=_given(roles[role].calendar))
        people = roles[role].people
        if person < len(people) and people[person].calendar is not None:
            cal = cal.model_copy(update=_given(people[person].calendar))
        return Shifts(cal, horizon)

    def source(src: Any) -> Any:
        entry = src.entry_stage or "qualify"
        mean_patience = src.patience_hours.mean
        for day in range(int(sc.horizon_days)):
            date = sc.calendar.start + dt.timedelta(days=day)
            rate = src.per_day * src.weekday_profile[date.weekday()]
            rate *= src.monthly_profile[date.month - 1]
            for t in sorted(day * 24 + rnd.uniform(0, 24) for _ in range(nprng.poisson(rate))):
                yield env.timeout(t - env.now)
                counts["arrived"] += 1
                lead = Lead(t + rnd.expovariate(1 / mean_patience))
                lm_queue.put(simpy.PriorityItem((rank[entry], next(seq)), (entry, lead)))

    def book(lead: Lead) -> Any:
        """A meeting booked with the designer with the fewest bookings, after its delay."""
        d = min(designers, key=lambda x: (len(x["store"].items) + x["pending"], x["last"]))
        d["pending"] += 1
        d["last"] = env.now
        lead.deadline = env.now + _tri(rnd, meeting.patience_hours)
        delay = meeting.delay_days
        yield env.timeout(rnd.uniform(delay.low, delay.high) * 24)
        d["pending"] -= 1
        d["store"].put(lead)

    def worker(shifts: Shifts, queue: Any, take: Any) -> Any:
        while True:
            opens, closes = shifts.next_open(env.now)
            if opens > env.now:
                yield env.timeout(opens - env.now)
            get = queue.get()
            got = yield get | env.timeout(closes - env.now)
            if get not in got:
                get.cancel()
                continue
            work = take(get.value)
            if work is None:
                continue
            hours, done = work
            yield env.timeout(shifts.finish(env.now, hours) - env.now)
            done()

    def lead_manager_takes(item: Any) -> Any:
        name, lead = item.item
        if lead.deadline < env.now:
            return None  # went cold while waiting
        st = stages[name]
        hours = _tri(rnd, st.work_hours)

        def done() -> None:
            if rnd.random() < st.success:
                env.process(book(lead))

        return hours, done

    def designer_takes(lead: Lead) -> Any:
        if lead.deadline < env.now or rnd.random() < meeting.no_show:
            return None  # stopped waiting, or did not show up

        def done() -> None:
            if rnd.random() < meeting.success:
                counts["won"] += 1

        return _tri(rnd, meeting.work_hours), done

    for src in sc.leads:
        env.process(source(src))
    for i in range(roles["lead_manager"].headcount):
        env.process(worker(calendar("lead_manager", i), lm_queue, lead_manager_takes))
    for i in range(roles["designer"].headcount):
        designers.append({"store": simpy.Store(env), "pending": 0, "last": -math.inf})
        env.process(worker(calendar("designer", i), designers[-1]["store"], designer_takes))
    env.run(until=horizon)
    return counts["arrived"], counts["won"]


def _given(override: Any) -> dict[str, Any]:
    return {} if override is None else {k: v for k, v in override.model_dump().items()
                                        if v is not None}  # fmt: skip


def _tri(rnd: random.Random, dist: Any) -> float:
    return rnd.triangular(dist.low, dist.high, dist.mode)


def cpu(fn: Any, runs: int) -> tuple[float, Any]:
    started = time.process_time()
    out = None
    for r in range(runs):
        out = fn(r)
    return (time.process_time() - started) / runs, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one short run of each, for CI")
    args = parser.parse_args()
    sc = structure_only(loader.load(ROOT / "scenarios" / "two_level.yaml"))
    repeats, runs = (1, 1) if args.smoke else (5, 5)
    if args.smoke:
        sc = sc.model_copy(update={"horizon_days": 60.0, "warmup_days": 0.0})
    else:
        sc = sc.model_copy(update={"warmup_days": 0.0})
    ratios, plain_won, sim_won = [], [], []
    for _ in range(repeats):
        t_plain, (arrived, won) = cpu(lambda r: plain_two_level(sc, r), runs)
        t_sim, rec = cpu(lambda r: run_replication(sc, 1, r), runs)
        ratios.append((t_sim / rec["leads_arrived"]) / (t_plain / arrived))
        plain_won.append(won)
        sim_won.append(rec["won"])
    sim_leads = rec["leads_arrived"]
    print(f"(two-level) plain SimPy {arrived:,} leads, {statistics.mean(plain_won):.0f} deals; "
          f"salessim {sim_leads:,.0f} leads, {statistics.mean(sim_won):.0f} deals")  # fmt: skip
    print(f"ratio salessim / plain SimPy per lead: median {statistics.median(ratios):.2f} "
          f"of {', '.join(f'{r:.2f}' for r in ratios)}")  # fmt: skip


if __name__ == "__main__":
    main()
