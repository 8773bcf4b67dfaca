"""Exact answers from queueing theory, computed from their formulas (nothing pasted in)."""

from __future__ import annotations

import math


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability an arrival has to wait in M/M/c (Erlang C), offered load a = lambda / mu."""
    a, c = offered_load, servers
    if a >= c:
        return 1.0
    term = 1.0
    total = 1.0  # sum_{k=0}^{c-1} a^k / k!
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c * c / (c - a)  # a^c / c! * c / (c - a)
    return last / (total + last)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda)."""
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)


def erlang_a_abandonment(
    servers: int, arrival_rate: float, service_rate: float, patience_rate: float, cap: int = 4000
) -> float:
    """Share of arrivals that abandon in M/M/c+M (Erlang A), from the exact birth-death chain.

    State n = leads in system; births at lambda, deaths at min(n, c) mu + max(n - c, 0) theta.
    Abandonment rate = theta * E[queue length], so the share is that over lambda. The chain is
    truncated at `cap`, far beyond where probabilities are negligible.
    """
    log_p = [0.0]
    for n in range(1, cap):
        death = min(n, servers) * service_rate + max(n - servers, 0) * patience_rate
        log_p.append(log_p[-1] + math.log(arrival_rate) - math.log(death))
    top = max(log_p)
    weights = [math.exp(x - top) for x in log_p]
    norm = sum(weights)
    queue = sum(max(n - servers, 0) * w for n, w in enumerate(weights)) / norm
    return patience_rate * queue / arrival_rate
