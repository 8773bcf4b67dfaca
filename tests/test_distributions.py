"""Distributions: parameters validated at load, samples match their stated mean."""

from __future__ import annotations

import numpy as np
import pytest
from pydantic import TypeAdapter, ValidationError

from salessim.scenario.distributions import Distribution

ADAPTER: TypeAdapter[object] = TypeAdapter(Distribution)


@pytest.mark.parametrize(
    "spec",
    [
        3.5,
        {"dist": "exponential", "mean": 2},
        {"dist": "uniform", "low": 1, "high": 5},
        {"dist": "triangular", "low": 0.1, "mode": 0.25, "high": 0.6},
        {"dist": "normal", "mean": 1, "sd": 2},
        {"dist": "lognormal", "mean": 1800, "sd": 900},
        {"dist": "empirical", "values": [1, 2, 10], "weights": [1, 1, 2]},
    ],
)
def test_sample_mean_matches_stated_mean(spec: object) -> None:
    dist = ADAPTER.validate_python(spec)
    draws = dist.sample(np.random.default_rng(0), 200_000)  # type: ignore[attr-defined]
    assert (draws >= 0).all()
    assert np.mean(draws) == pytest.approx(dist.mean, rel=0.02)  # type: ignore[attr-defined]


def test_sampler_gives_the_same_values_as_sample() -> None:
    dist = ADAPTER.validate_python({"dist": "exponential", "mean": 2})
    draw = dist.sampler(np.random.default_rng(5))  # type: ignore[attr-defined]
    one_by_one = [draw() for _ in range(1000)]
    assert len(set(one_by_one)) == 1000 and all(x > 0 for x in one_by_one)
    again = dist.sampler(np.random.default_rng(5))  # type: ignore[attr-defined]
    assert [again() for _ in range(1000)] == one_by_one


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"dist": "gauss", "mean": 1}, "does not match any of the expected tags"),
        ({"dist": "uniform", "low": 5, "high": 1}, "high"),
        ({"dist": "lognormal", "mean": -1, "sd": 1}, "greater than 0"),
        ({"dist": "empirical", "values": [1, 2], "weights": [1]}, "weights"),
        (-2, "greater than or equal to 0"),
    ],
)
def test_bad_parameters_are_rejected(spec: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ADAPTER.validate_python(spec)
