"""Probability distributions used in scenario files.

Each distribution is a small frozen pydantic model tagged by `dist` (a discriminated union, so a
validation error names one family, not all of them). A model validates its own parameters, knows
its `mean`, and draws from a numpy Generator passed in; nothing here touches global random state.
A bare number in YAML means a fixed value. `sampler()` returns a fast scalar-drawing callable that
takes values from numpy in blocks, which is what the engine uses in its inner loop.
"""

from __future__ import annotations

import math
from abc import abstractmethod
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

FloatArray = np.ndarray[Any, np.dtype[np.float64]]
_BLOCK = 512
MAX_PARAMETER = 1e12
"""Largest parameter of a distribution: larger ones are typos, and overflow the samplers."""
Parameter = Annotated[float, Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)]
MAX_SPREAD = 1e6
"""Largest sd / mean of a log-normal (beyond it the draws overflow)."""


class _Dist(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @property
    @abstractmethod
    def mean(self) -> float:
        """Expected value of a draw."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        """`size` independent draws from `rng`."""

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        """Return a function giving one draw per call, drawn from `rng` in blocks."""
        buf: list[float] = []

        def draw() -> float:
            if not buf:
                buf.extend(reversed(self.sample(rng, _BLOCK).tolist()))
            return buf.pop()

        return draw


class Fixed(_Dist):
    """Always the same value."""

    dist: Literal["fixed"] = "fixed"
    value: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return np.full(size, self.value)

    def sampler(self, rng: np.random.Generator) -> Callable[[], float]:
        value = self.value
        return lambda: value


class Exponential(_Dist):
    """Exponential with the given mean (memoryless; the textbook service and patience time)."""

    dist: Literal["exponential"]
    mean_value: float = Field(alias="mean", gt=0, le=MAX_PARAMETER, allow_inf_nan=False)
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def mean(self) -> float:
        return self.mean_value

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.exponential(self.mean_value, size)


class Uniform(_Dist):
    """Uniform between `low` and `high`."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)
    high: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.high < self.low:
            raise ValueError(f"high ({self.high}) must be >= low ({self.low})")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        return rng.uniform(self.low, self.high, size)


class Triangular(_Dist):
    """Triangular with `low` <= `mode` <= `high` (a quick expert estimate)."""

    dist: Literal["triangular"]
    low: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)
    mode: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)
    high: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high:
            raise ValueError(f"need low <= mode <= high, got {self.low}, {self.mode}, {self.high}")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        if self.high == self.low:
            return np.full(size, self.low)
        return rng.triangular(self.low, self.mode, self.high, size)


class Normal(_Dist):
    """Normal with `mean` and `sd`, truncated at 0 (negative draws are redrawn)."""

    dist: Literal["normal"]
    mean_value: float = Field(
        alias="mean", ge=-MAX_PARAMETER, le=MAX_PARAMETER, allow_inf_nan=False
    )
    sd: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _mass_above_zero(self) -> Normal:
        if self.sd == 0 and self.mean_value < 0 or self.sd > 0 and self.mean_value < -5 * self.sd:
            raise ValueError("almost all of this normal lies below 0; raise mean or sd")
        return self

    @property
    def mean(self) -> float:
        m, s = self.mean_value, self.sd
        if s == 0:
            return m
        a = -m / s
        pdf = math.exp(-a * a / 2) / math.sqrt(2 * math.pi)
        tail = 0.5 * math.erfc(a / math.sqrt(2))
        return m + s * pdf / tail

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        out = rng.normal(self.mean_value, self.sd, size)
        bad = out < 0
        while bad.any():
            out[bad] = rng.normal(self.mean_value, self.sd, int(bad.sum()))
            bad = out < 0
        return out


class LogNormal(_Dist):
    """Log-normal given by its own `mean` and `sd` (not those of the underlying normal)."""

    dist: Literal["lognormal"]
    mean_value: float = Field(alias="mean", gt=0, le=MAX_PARAMETER, allow_inf_nan=False)
    sd: float = Field(ge=0, le=MAX_PARAMETER, allow_inf_nan=False)
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _spread_bounded(self) -> LogNormal:
        if self.sd > MAX_SPREAD * self.mean_value:
            raise ValueError(
                f"sd ({self.sd:g}) must be at most {MAX_SPREAD:g} times the mean "
                f"({self.mean_value:g})"
            )
        return self

    @property
    def mean(self) -> float:
        return self.mean_value

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        m, s = self.mean_value, self.sd
        sigma2 = math.log1p((s / m) ** 2)
        mu = math.log(m) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), size)


class Empirical(_Dist):
    """Draws uniformly (or by `weights`) from observed `values`."""

    dist: Literal["empirical"]
    values: list[Parameter] = Field(min_length=1)
    weights: list[Parameter] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError(
                    f"weights has {len(self.weights)} entries but values has {len(self.values)}"
                )
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be 0")
        return self

    @property
    def mean(self) -> float:
        w = self.weights or [1.0] * len(self.values)
        return sum(v * x for v, x in zip(self.values, w, strict=True)) / sum(w)

    def sample(self, rng: np.random.Generator, size: int) -> FloatArray:
        p = None
        if self.weights is not None:
            p = np.asarray(self.weights) / sum(self.weights)
        return rng.choice(np.asarray(self.values, dtype=float), size=size, p=p)


def _number_is_fixed(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Distribution = Annotated[
    Fixed | Exponential | Uniform | Triangular | Normal | LogNormal | Empirical,
    Field(discriminator="dist"),
    BeforeValidator(_number_is_fixed),
]
"""A distribution field: a number (fixed) or a mapping with `dist:` and its parameters."""

DIST_FAMILIES = (
    "fixed",
    "exponential",
    "uniform",
    "triangular",
    "normal",
    "lognormal",
    "empirical",
)
