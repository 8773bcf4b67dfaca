"""The HTML report: built from a results folder's files alone, complete, offline, and drawn
without errors in a real browser (headless Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from salessim.cli import app
from salessim.report import page as report

from .conftest import MINIMAL_YAML

runner = CliRunner()
CHARTS = ("funnel", "stage-times", "revenue-box", "weekly-revenue", "utilisation", "queues")
LEAVER_YAML = MINIMAL_YAML.replace("name: tiny", "name: tiny_leaves") + (
    "events:\n  - {day: 12, action: resign, person: 'designer[0]'}\n"
)
CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking")  # fmt: skip


def _invoke(*args: str) -> None:
    result = runner.invoke(app, [*args, "-n", "6", "--seed", "3", "-w", "1", "-q"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def compared(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    (root / "tiny.yaml").write_text(MINIMAL_YAML)
    (root / "tiny_leaves.yaml").write_text(LEAVER_YAML)
    out = root / "results" / "cmp"
    _invoke("compare", str(root / "tiny.yaml"), str(root / "tiny_leaves.yaml"), "--out", str(out))
    return out


def test_compare_writes_a_report_with_every_section(compared: Path) -> None:
    page = (compared / "report.html").read_text(encoding="utf-8")
    for div in CHARTS:
        assert f'id="{div}"' in page
    assert page.count("How to read this:") == len(CHARTS) + 1  # and the verdicts
    assert "tiny_leaves" in page and "Comparison: tiny, tiny_leaves" in page
    assert "designer[0] resign (day 12)" in page  # the event marker on the weekly chart
    assert "seed 3" in page and "6 replications per scenario" in page
    for card in ("Revenue", "Profit", "Deals won", "Lead-to-customer conversion",
                 "Cost to acquire a customer", "Top person&#x27;s share of revenue"):  # fmt: skip
        assert f'<div class="k">{card}</div>' in page
    for metric in pd.read_csv(compared / "tiny" / "summary.csv")["metric"]:
        assert f"<tr><th>{metric}</th>" in page
    assert "Revenue per week (EUR)" in page  # currency from the scenario on the axis


def test_report_opens_offline(compared: Path) -> None:
    page = (compared / "report.html").read_text(encoding="utf-8")
    assert "<script src" not in page and "<link" not in page
    assert page.count("Plotly.newPlot") >= len(CHARTS)
    assert len(re.findall(r"plotly\.js v\d", page)) == 1  # plotly.js embedded exactly once


def test_report_from_a_copied_folder_is_identical(compared: Path, tmp_path: Path) -> None:
    copy = tmp_path / "elsewhere" / "renamed"
    shutil.copytree(compared, copy)
    (copy / "report.html").unlink()
    result = runner.invoke(app, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    rebuilt = (copy / "report.html").read_bytes()
    assert rebuilt == (compared / "report.html").read_bytes()
    assert str(compared.parent).encode() not in rebuilt and str(tmp_path).encode() not in rebuilt


def test_sweep_and_stress_reports(tmp_path: Path) -> None:
    (tmp_path / "tiny.yaml").write_text(MINIMAL_YAML)
    _invoke("sweep", str(tmp_path / "tiny.yaml"), "--set", "roles.designer.headcount=1,2",
            "--out", str(tmp_path / "sweep"))  # fmt: skip
    page = (tmp_path / "sweep" / "report.html").read_text(encoding="utf-8")
    assert 'id="sweep"' in page and "designer.headcount=2" in page
    _invoke("stress", str(tmp_path / "tiny.yaml"), "--day", "5", "--out", str(tmp_path / "st"))
    page = (tmp_path / "st" / "report.html").read_text(encoding="utf-8")
    assert 'id="stress"' in page and "without designer[0]" in page


def test_a_run_shorter_than_a_week_still_gets_a_report(tmp_path: Path) -> None:
    short = MINIMAL_YAML.replace("horizon_days: 30", "horizon_days: 3\nwarmup_days: 0")
    (tmp_path / "short.yaml").write_text(short)
    _invoke("run", str(tmp_path / "short.yaml"), "--out", str(tmp_path / "out"))
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "No whole week after the warm-up to show." in page


def test_sweeping_a_distribution_mean_keeps_it_as_the_swept_setting(tmp_path: Path) -> None:
    exponential = "work_hours: {dist: exponential, mean: 0.5},"
    (tmp_path / "tiny.yaml").write_text(MINIMAL_YAML.replace("work_hours: 0.5,", exponential))
    swept = "stages.qualify.work_hours.mean=0.25,0.5"
    _invoke("sweep", str(tmp_path / "tiny.yaml"), "--set", swept, "--out", str(tmp_path / "sweep"))
    found = report.read_folder(tmp_path / "sweep")
    assert found.sweep_params == ["stages.qualify.work_hours.mean"]
    assert [r.label for r in found.runs] == ["#0 work_hours.mean=0.25",
                                             "#1 work_hours.mean=0.5"]  # fmt: skip


def test_a_folder_without_results_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["report", str(tmp_path)])
    assert result.exit_code == 2
    assert "not a salessim results folder" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize(
    ("value", "kind", "text"),
    [(111_234.0, "money", "111 k EUR"), (-9_321.0, "money", "-9.32 k EUR"),
     (2_500_000.0, "money", "2.5 M EUR"), (0.0541, "ratio", "5.4%"), (26.0, "count", "26"),
     (4_674.2, "count", "4,674"), (float("nan"), "count", "–"), (999.6, "money", "1 k EUR"),
     (999.7, "count", "1,000")],
)  # fmt: skip
def test_numbers_are_rounded_for_people(value: float, kind: str, text: str) -> None:
    assert report.human(value, kind, "EUR") == text


def test_metric_kinds() -> None:
    kinds = {m: report.metric_kind(m) for m in ("revenue", "cac", "lead_to_won",
             "role.closer.utilisation", "customers_lost_with_owner", "revenue_herfindahl",
             "cycle_hours_mean", "staff.hiring_cost", "role.growth_team.headcount",
             "stage.conversion_call.queue_mean")}  # fmt: skip
    assert kinds == {"revenue": "money", "cac": "money", "lead_to_won": "ratio",
                     "role.closer.utilisation": "ratio", "customers_lost_with_owner": "count",
                     "revenue_herfindahl": "ratio", "cycle_hours_mean": "count",
                     "staff.hiring_cost": "money", "role.growth_team.headcount": "count",
                     "stage.conversion_call.queue_mean": "count"}  # fmt: skip


# -- in a real browser ---------------------------------------------------------------------------


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("Chromium is not installed and could not be installed here (.ci/run installs the "
                "Debian package `chromium` when apt is available)")  # fmt: skip


def _browse(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--hide-scrollbars",
         "--virtual-time-budget=20000", "--enable-logging=stderr", "--v=0", *extra,
         page.resolve().as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


class _Charts(HTMLParser):
    """Counts plotly chart divs and, inside each, whether an <svg class="main-svg"> was drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.drawn: dict[str, bool] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self.body = a
        if tag == "div":
            is_chart = "plotly-graph-div" in (a.get("class") or "")
            self._open.append(a.get("id") if is_chart else None)
            if is_chart:
                self.drawn[str(a.get("id"))] = False
        if tag == "svg" and "main-svg" in (a.get("class") or ""):
            for chart in filter(None, self._open):
                self.drawn[chart] = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._open:
            self._open.pop()


def _render(page: Path, profile: Path) -> tuple[_Charts, str]:
    done = _browse(page, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = _Charts()
    parsed.feed(done.stdout)
    return parsed, done.stderr


def test_report_draws_every_chart_in_chromium_without_errors(
    compared: Path, tmp_path: Path
) -> None:
    parsed, log = _render(compared / "report.html", tmp_path / "profile")
    assert set(parsed.drawn) >= set(CHARTS)
    assert all(parsed.drawn.values()), parsed.drawn
    assert parsed.body.get("data-errors") == "0", parsed.body
    assert parsed.body.get("data-drawn") == parsed.body.get("data-charts") == str(len(CHARTS))
    assert "Uncaught" not in log
    shot = tmp_path / "report.png"
    done = _browse(compared / "report.html", tmp_path / "profile", f"--screenshot={shot}",
                   "--window-size=1280,4000")  # fmt: skip
    assert done.returncode == 0 and shot.stat().st_size > 20_000


def test_the_browser_check_catches_a_broken_page(compared: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    page = (compared / "report.html").read_text(encoding="utf-8")
    broken.write_text(page.replace("Plotly.newPlot(", "Plotly.newPlott(", 1), encoding="utf-8")
    parsed, log = _render(broken, tmp_path / "profile")
    assert not all(parsed.drawn.values())
    assert parsed.body.get("data-errors") != "0"


# -- names that are properties of every JavaScript object ----------------------------------------

JS_NAMES = ("constructor", "__proto__", "toString", "hasOwnProperty")
SOURCES = "".join(f"  - {{source: {n}, per_day: 4}}\n" for n in JS_NAMES)
PROTO_YAML = f"""\
name: proto_names
horizon_days: 40
leads:
{SOURCES}stages:
  constructor: {{by: __proto__, work_hours: 0.2, success: 0.7, next: toString}}
  toString: {{by: constructor, work_hours: 0.4, success: 0.6, next: hasOwnProperty}}
  hasOwnProperty: {{by: toString, work_hours: 0.3, success: 0.8, next: __proto__}}
  __proto__: {{by: hasOwnProperty, work_hours: 0.3, success: 0.9, next: won}}
roles:
  constructor: {{headcount: 1, people: [{{name: toString}}]}}
  __proto__: {{headcount: 1, people: [{{name: constructor}}]}}
  toString: {{headcount: 1, people: [{{name: __proto__}}]}}
  hasOwnProperty: {{headcount: 1, people: [{{name: hasOwnProperty}}]}}
"""


class _ChartText(HTMLParser):
    """The text of every <text> element inside each plotly chart, by chart id."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: dict[str, list[str]] = {}
        self.tables = ""
        self._open: list[str | None] = []
        self._in_text = False
        self._in_table = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "div":
            chart = "plotly-graph-div" in (a.get("class") or "")
            self._open.append(a.get("id") if chart else None)
        self._in_text = self._in_text or tag == "text"
        self._in_table += tag == "table"

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self._open:
            self._open.pop()
        if tag == "text":
            self._in_text = False
        self._in_table -= tag == "table"

    def handle_data(self, data: str) -> None:
        if self._in_text:
            for chart in filter(None, self._open):
                self.texts.setdefault(chart, []).append(data.strip())
        if self._in_table:
            self.tables += data + " "


def test_names_that_are_javascript_object_properties_draw(tmp_path: Path) -> None:
    """A role, stage, source or person called `constructor`, `__proto__`, `toString` or
    `hasOwnProperty` appears in every chart it belongs to (plotly.js keeps categories as object
    keys, where such names used to vanish)."""
    (tmp_path / "proto.yaml").write_text(PROTO_YAML)
    out = tmp_path / "stress"
    _invoke("stress", str(tmp_path / "proto.yaml"), "--day", "10", "--out", str(out))
    done = _browse(out / "report.html", tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    page = _ChartText()
    page.feed(done.stdout)
    for name in JS_NAMES:
        assert name in page.texts["utilisation"], ("role", name, page.texts["utilisation"])
        assert name in page.texts["queues"], ("stage", name, page.texts["queues"])
        assert f"Past {name}" in page.texts["funnel"] or name == "__proto__", ("stage", name)
        assert name in page.texts["stress"], ("person", name, page.texts["stress"])
        assert f"source.{name}.leads" in page.tables, ("source", name)
    drawn = _Charts()
    drawn.feed(done.stdout)
    assert all(drawn.drawn.values()) and drawn.body.get("data-errors") == "0", drawn.body


# -- every value that reaches the page is escaped --------------------------------------------------

PAYLOAD = (
    "<img src=x onerror=\"document.body.setAttribute('data-pwned','1')\">"
    "<script>document.body.setAttribute('data-pwned','1')</script><!--"
)


def _tamper(value: object) -> object:
    """Every text in a JSON value replaced by the payload (numbers and mappings kept)."""
    if isinstance(value, dict):
        return {k: _tamper(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tamper(v) for v in value]
    return PAYLOAD if isinstance(value, str) else value


def _assert_no_script_ran(page: Path, profile: Path) -> None:
    done = _browse(page, profile, "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    parsed = _Charts()
    parsed.feed(done.stdout)
    assert "data-pwned" not in parsed.body, "a payload ran"
    assert parsed.body.get("data-errors") == "0", parsed.body
    assert parsed.drawn and all(parsed.drawn.values()), parsed.drawn  # the page is whole
    assert parsed.body.get("data-drawn") == parsed.body.get("data-charts")


def test_script_payloads_in_a_scenario_and_a_tampered_folder_never_run(tmp_path: Path) -> None:
    import json

    text = json.dumps(PAYLOAD)
    person = f"designer: {{headcount: 1, people: [{{name: {text}}}]}}"
    hostile = MINIMAL_YAML.replace(
        "name: tiny\n", f"name: tiny\ncurrency: '<script>'\ndescription: {text}\n"
    ).replace("designer: {headcount: 1}", person)
    (tmp_path / "a.yaml").write_text(hostile)
    (tmp_path / "b.yaml").write_text(hostile.replace("name: tiny", "name: other"))
    out = tmp_path / "cmp"
    _invoke("compare", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"), "--out", str(out))
    _assert_no_script_ran(out / "report.html", tmp_path / "p1")

    tampered = tmp_path / "tampered"
    shutil.copytree(out, tampered)
    for path in tampered.rglob("*.json"):
        data = json.loads(path.read_text())
        numbers = ("seed", "replications", "horizon_days", "warmup_days", "calendar", "stages",
                   "roles", "leads")  # fmt: skip
        keep = {k: data[k] for k in numbers if k in data}
        path.write_text(json.dumps({**_tamper(data), **keep}))
    for path in tampered.rglob("*.csv"):
        frame = pd.read_csv(path)
        for col in frame.columns:
            if frame[col].dtype == object and col not in ("scenario", "baseline", "period"):
                frame[col] = PAYLOAD
        frame.to_csv(path, index=False)
    result = runner.invoke(app, ["report", str(tampered)])
    assert result.exit_code == 0, result.output  # the texts were replaced, the numbers kept
    _assert_no_script_ran(tampered / "report.html", tmp_path / "p2")
    page = (tampered / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;document.body" in page  # shown as text, e.g. the version
