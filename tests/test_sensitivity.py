"""Sensitivity: every numeric input set lower and higher under common random numbers, ranked,
with the tornado chart in the report."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.experiment import sensitivity as sens
from salessim.scenario.yamlfile import load_data

runner = CliRunner()

# profit per lead: 0.95 x 0.95 x 1,000 won less 600 paid for the lead = 302; by hand, 20% either
# way moves it by 361 for the deal value, 240 for the cost of a lead, 225 for a success (its
# +20% is capped at 1) and 121 for the volume of leads: the deal value dominates
DOMINANT = """\
name: dominant
horizon_days: 40
deal_value: 1000
leads:
  - {source: web, per_day: 4, cost_per_lead: 600}
stages:
  qualify: {by: lead_manager, work_hours: 0.5, success: 0.95, next: meeting}
  meeting: {by: designer, work_hours: {dist: exponential, mean: 1}, success: 0.95}
roles:
  lead_manager: {headcount: 2}
  designer: {headcount: 2, salary_month: 3000}
"""


def test_the_inputs_are_the_numbers_the_file_gives(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMINANT)
    data, _ = load_data(path)
    found = {i.path: i for i in sens.inputs(data)}
    assert set(found) == {
        "deal_value", "leads[0].per_day", "leads[0].cost_per_lead",
        "stages.qualify.work_hours", "stages.qualify.success",
        "stages.meeting.work_hours.mean", "stages.meeting.success",
        "roles.lead_manager.headcount", "roles.designer.headcount",
        "roles.designer.salary_month",
    }  # fmt: skip
    assert "horizon_days" not in found  # the length of the run is not a business assumption
    assert found["roles.designer.headcount"].changed(0.2) == (2, 2)  # 1.6 and 2.4 round to 2
    assert found["roles.designer.headcount"].changed(0.5) == (1, 3)
    assert found["stages.meeting.success"].changed(0.2) == pytest.approx((0.76, 1.0))


def test_a_dominant_input_ranks_first_and_the_chart_says_what_it_shows(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMINANT)
    out = tmp_path / "sens"
    result = runner.invoke(app, ["sensitivity", str(path), "--vary", "20%", "--metric",
                                 "profit", "-n", "10", "--seed", "3", "-q", "--out",
                                 str(out)])  # fmt: skip
    assert result.exit_code == 0, result.output
    table = pd.read_csv(out / "sensitivity.csv")
    top = table.iloc[0]
    assert top["input"] == "deal_value"
    # same random numbers: the same deals, each worth 20% less or more
    assert top["low_diff"] == pytest.approx(-top["high_diff"])
    assert top["low_diff_high"] < 0 < top["high_diff_low"]  # clear at 95%
    assert (table["swing"].diff().dropna() <= 1e-9).all()  # ranked
    salary = table.set_index("input").loc["roles.designer.salary_month"]
    assert salary["high_diff"] < 0 < salary["low_diff"]  # a dearer designer costs profit
    page = (out / "report.html").read_text(encoding="utf-8")
    assert 'id="tornado"' in page and "Change in mean profit (EUR)" in page
    assert "20% lower" in page and "20% higher" in page


def test_an_unknown_input_or_metric_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "d.yaml"
    path.write_text(DOMINANT)
    bad = runner.invoke(app, ["sensitivity", str(path), "--input", "deal_valu", "--out",
                              str(tmp_path / "a")])  # fmt: skip
    assert bad.exit_code == 2 and "not a numeric setting given in" in bad.stderr
    bad = runner.invoke(app, ["sensitivity", str(path), "--input", "deal_value", "--metric",
                              "happiness", "-n", "3", "--out", str(tmp_path / "b")])  # fmt: skip
    assert bad.exit_code == 2 and "no such metric" in bad.stderr
