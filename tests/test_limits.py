"""Batch size limits: estimates close to measured work, refusals before anything starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.engine.simulation import Simulation
from salessim.engine.streams import Streams
from salessim.experiment import limits
from salessim.scenario import loader

from .conftest import MINIMAL_YAML, make_scenario

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


@pytest.mark.parametrize("name", ["two_level", "three_step", "five_stage"])
def test_estimate_is_at_or_above_the_real_work(name: str) -> None:
    scenario = loader.load(ROOT / "scenarios" / f"{name}.yaml")
    guess = limits.estimate(scenario)
    sim = Simulation(scenario, Streams(1, 0))
    sim.run()
    events = next(sim.env._eid)
    assert events <= guess.events <= 5 * events
    assert 0.5 * sim.next_id <= guess.leads <= 2.5 * sim.next_id


def test_a_batch_beyond_the_time_allowed_is_refused_with_advice() -> None:
    big = make_scenario(horizon_days=3650, leads=[{"source": "web", "per_day": 500}])
    with pytest.raises(limits.LimitError) as caught:
        limits.check([big], replications=10_000, workers=2, max_hours=24)
    message = str(caught.value)
    assert "hours allowed" in message or "days" in message
    assert "fewer replications (-n)" in message and "--no-limit" in message
    limits.check([big], replications=1, workers=2, max_hours=24)  # one replication is fine


def test_a_replication_beyond_the_memory_is_refused() -> None:
    huge = make_scenario(horizon_days=3650, leads=[{"source": "web", "per_day": 1e6}])
    with pytest.raises(limits.LimitError, match="single replication is too big"):
        limits.check([huge], 1, 1, max_hours=1e9, memory_bytes=8 * 2**30)


def test_the_leads_log_counts_towards_memory() -> None:
    scenario = make_scenario(horizon_days=365, leads=[{"source": "web", "per_day": 2000}])
    limits.check([scenario], 200, 2, max_hours=1e9, memory_bytes=16 * 2**30)
    with pytest.raises(limits.LimitError, match="leave out --leads"):
        limits.check([scenario], 200, 2, max_hours=1e9, leads_log=True,
                     memory_bytes=16 * 2**30)  # fmt: skip


def test_cli_refuses_before_writing_and_no_limit_overrides(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text(MINIMAL_YAML.replace("per_day: 5", "per_day: 2000"))
    out = tmp_path / "out"
    args = ["run", str(path), "-n", "1000", "-w", "1", "-q", "--out", str(out)]
    refused = runner.invoke(app, [*args, "--max-hours", "0.01"])
    assert refused.exit_code == 2
    assert "too big to start" in refused.stderr and "Traceback" not in refused.output
    assert not out.exists()
    small = ["run", str(path), "-n", "1", "-w", "1", "-q", "--out", str(out), "--max-hours", "1e-6"]
    assert runner.invoke(app, small).exit_code == 2
    assert runner.invoke(app, [*small, "--no-limit"]).exit_code == 0


def test_headcount_counts_towards_time_and_memory() -> None:
    """`headcount: 99999` in a 300-byte file used to pass the size check; each person costs
    about 40 us of simulation per day and 8 KB (measured: 20,000 people, 30 days, 34 s)."""
    crowd = make_scenario(horizon_days=30, roles={"designer": {"headcount": 99_999}})
    guess = limits.estimate(crowd)
    assert guess.seconds > 99_999 * 30 * 30e-6
    assert guess.bytes_live > 99_999 * 5_000
    with pytest.raises(limits.LimitError, match="hours allowed|memory"):
        limits.check([crowd], 100, 2, max_hours=1)


def test_the_process_address_space_limit_is_respected() -> None:
    big = make_scenario(horizon_days=365, leads=[{"source": "web", "per_day": 5000}])
    with pytest.raises(limits.LimitError, match="ulimit -v"):
        limits.check([big], 1, 1, max_hours=1e9, memory_bytes=1e15, process_bytes=2 * 2**30)
    limits.check([make_scenario()], 1, 1, process_bytes=4 * 2**30)


def test_the_limits_are_read_from_the_process() -> None:
    import subprocess
    import sys

    code = ("import resource; resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30)); "
            "from salessim.experiment import limits; "
            "print(limits.process_address_space_bytes())")  # fmt: skip
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(done.stdout) == 3 * 2**30
    assert limits.machine_memory_bytes() > 0
