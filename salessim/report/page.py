"""The HTML report of a results folder, rebuilt from its files alone.

`build(folder)` reads what `run`, `compare`, `sweep` or `stress` wrote (manifests, resolved
scenarios, summaries, replications, weekly bands, comparison/sweep/stress tables) and returns one
self-contained page: plotly.js is embedded once, each chart is a `div` with a caption saying how
to read it. Nothing in the page depends on where the folder is, so a copied folder gives the same
report. `write(folder)` saves it as `report.html` beside the results.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from salessim.errors import ResultsError
from salessim.experiment import verdicts
from salessim.experiment.results import write_text
from salessim.experiment.whatif import AGAINST_METRICS, DIFF_STATS, SWEEP_METRICS
from salessim.numbers import human, metric_kind, plain
from salessim.report import charts
from salessim.report.charts import RunData

MAX_RUNS_DRAWN = 8
SWEEP_STATS = {f"{m}.{stat}" for m in SWEEP_METRICS for stat in ("mean", "ci_low", "ci_high",
                                                                "p10", "p90")}  # fmt: skip
SWEEP_STATS |= {f"{m}.{stat}" for m in AGAINST_METRICS for stat in DIFF_STATS}
CARDS = (
    ("revenue", "Revenue", "money"),
    ("profit", "Profit", "money"),
    ("won", "Deals won", "count"),
    ("lead_to_won", "Lead-to-customer conversion", "ratio"),
    ("cac", "Cost to acquire a customer", "money"),
    ("top_person_revenue_share", "Top person's share of revenue", "ratio"),
)
VERDICT_METRICS = (
    "revenue",
    "profit",
    "won",
    "lead_to_won",
    "cac",
    "top_person_revenue_share",
    "resignation_revenue_dip",
)


@dataclass
class Folder:
    """What a results folder holds, in the order the report shows it."""

    kind: str  # run, compare, sweep or stress
    runs: list[RunData]
    differences: pd.DataFrame | None = None
    sweep: pd.DataFrame | None = None
    sweep_params: list[str] = field(default_factory=list)
    stress: pd.DataFrame | None = None
    runs_total: int = 0
    labels: list[str] = field(default_factory=list)  # every sweep point, drawn or not
    backtest: pd.DataFrame | None = None
    break_even: str = ""  # a sweep --against's sentence on where the verdict flips
    sensitivity: pd.DataFrame | None = None
    sensitivity_how: dict[str, object] = field(default_factory=dict)  # sensitivity.json


def _read_json(path: Path) -> dict[str, object]:
    result: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return result


def read_run(folder: Path, label: str | None = None) -> RunData:
    """One run folder's files, as the report needs them."""
    if (folder / "parts").exists() or not (folder / "manifest.json").exists():
        raise ResultsError(
            f"{folder} holds an unfinished run (it stopped before writing all its files); finish "
            "it with the same command and --resume, or run it again with --force"
        )
    try:
        manifest = _read_json(folder / "manifest.json")
        scenario = _read_json(folder / "scenario.json")
        summary = pd.read_csv(folder / "summary.csv").set_index("metric")
        revenue = pd.read_parquet(folder / "replications.parquet", columns=["revenue"])["revenue"]
        bands = _read_bands(folder / "timeseries_summary.csv")
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"cannot read the run in {folder.name}: {exc}") from exc
    return RunData(label or str(scenario["name"]), manifest, scenario, summary, revenue, bands)


def _read_bands(path: Path) -> pd.DataFrame:
    """The weekly/monthly bands; a run shorter than a week after warm-up has none."""
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame(columns=["period", "index", "start_day"])


def _sub_runs(root: Path, names: Sequence[str], labels: Sequence[str]) -> list[RunData]:
    runs = [read_run(root / n, label) for n, label in zip(names, labels, strict=True)]
    for i, run in enumerate(runs):
        run.colour = charts.colour(i)
    return runs


def read_folder(folder: Path) -> Folder:
    """Recognise a results folder by the files it holds and read them."""
    try:
        found = _read_folder(folder)
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"cannot read the results in {folder}: {exc}") from exc
    seeds = sorted({str(run.manifest.get("seed")) for run in found.runs})
    if len(seeds) > 1:
        raise ResultsError(
            f"the runs in {folder} have different seeds ({', '.join(seeds)}): they come from "
            "different commands; run the command again with --force"
        )
    return found


def _read_folder(folder: Path) -> Folder:
    """The folder's kind, by the table its command wrote last, and its runs."""
    for table, read in KINDS:
        if (folder / table).exists():
            return read(folder, pd.read_csv(folder / table))
    if (folder / "manifest.json").exists() or (folder / "parts").exists():
        return Folder("run", [read_run(folder)], runs_total=1)
    raise ResultsError(
        f"{folder} is not a salessim results folder: it holds none of manifest.json, "
        "comparison.csv, sweep.csv or stress.csv; give the folder that run, compare, sweep "
        "or stress wrote (--out)"
    )


def _read_compare(folder: Path, table: pd.DataFrame) -> Folder:
    names = list(dict.fromkeys(table["scenario"]))
    diffs = pd.read_csv(folder / "differences.csv")
    runs = _sub_runs(folder, names, names)
    return Folder("compare", runs, differences=diffs, runs_total=len(names))


def _read_sweep(folder: Path, table: pd.DataFrame) -> Folder:
    params = [c for c in table.columns[1:] if not _is_stat(c)]
    labels = [
        f"#{i} " + ", ".join(
            f"{'.'.join(p.split('.')[-2:])}={plain(table[p].iloc[i])}" for p in params
        )
        for i in range(len(table))
    ]  # fmt: skip
    shown = list(range(min(len(table), MAX_RUNS_DRAWN)))
    points = [f"point_{int(table['point'][i])}" for i in shown]
    runs = _sub_runs(folder, points, [labels[i] for i in shown])
    sentence = folder / "break_even.txt"
    return Folder("sweep", runs, sweep=table, sweep_params=params, runs_total=len(table),
                  labels=labels, break_even=sentence.read_text(encoding="utf-8").strip()
                  if sentence.is_file() else "")  # fmt: skip


def _read_stress(folder: Path, table: pd.DataFrame) -> Folder:
    people = list(table["person"])[: MAX_RUNS_DRAWN - 1]
    runs = _sub_runs(folder, ["baseline", *(f"without_{p}" for p in people)],
                     ["unchanged team", *(f"without {p}" for p in people)])  # fmt: skip
    return Folder("stress", runs, stress=table, runs_total=len(table) + 1)


def _read_backtest(folder: Path, table: pd.DataFrame) -> Folder:
    run = read_run(folder / "simulated", "simulated after the cut-off")
    return Folder("backtest", [run], backtest=table, runs_total=1)


def _read_sensitivity(folder: Path, table: pd.DataFrame) -> Folder:
    run = read_run(folder / "run_0", "the scenario as given")
    how = _read_json(folder / "sensitivity.json")
    return Folder("sensitivity", [run], sensitivity=table, sensitivity_how=how,
                  runs_total=1 + 2 * len(table))  # fmt: skip


KINDS = (("comparison.csv", _read_compare), ("sweep.csv", _read_sweep),
         ("stress.csv", _read_stress), ("backtest.csv", _read_backtest),
         ("sensitivity.csv", _read_sensitivity))  # fmt: skip
"""The table each command writes at the top of its folder, and how to read that folder."""


def _is_stat(column: str) -> bool:
    """Whether a sweep.csv column is a statistic of a KPI (else it is a swept setting)."""
    return column in SWEEP_STATS


def _figure_html(fig: go.Figure, div_id: str) -> str:
    return str(
        fig.to_html(
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def _chart(fig: go.Figure, div_id: str, how_to_read: str) -> str:
    return (
        f'<section class="chart">{_figure_html(fig, div_id)}'
        f'<p class="how">How to read this: {html.escape(how_to_read)}</p></section>'
    )


def _esc(value: object) -> str:
    """Any value read from a results folder, as HTML text: the folder may have been edited."""
    return html.escape(str(value))


def _human(value: float, kind: str, currency: str) -> str:
    return html.escape(human(value, kind, currency))


def _cards(runs: Sequence[RunData]) -> str:
    rows = []
    for run in runs:
        currency = run.currency
        cells = []
        for metric, title, kind in CARDS:
            lo, hi = run.ci(metric)
            cells.append(
                f'<div class="card"><div class="k">{html.escape(title)}</div>'
                f'<div class="v">{_human(run.mean(metric), kind, currency)}</div>'
                f'<div class="ci">95% CI {_human(lo, kind, currency)} to '
                f"{_human(hi, kind, currency)}"
                "</div></div>"
            )
        rows.append(
            f'<div class="cards" style="border-left-color:{run.colour}">'
            f"<h3>{html.escape(run.label)}</h3>{''.join(cells)}</div>"
        )
    return "".join(rows)


def _verdict_line(row: pd.Series, currency: str) -> str:
    if isinstance(row["verdict"], str) and row["verdict"]:
        return str(row["verdict"])
    kind = metric_kind(str(row["metric"]))
    return (
        f"no clear difference in {row['metric']} between {row['scenario']} and "
        f"{row['baseline']} (difference {human(row['diff'], kind, currency)}, 95% CI "
        f"{human(row['diff_low'], kind, currency)} to {human(row['diff_high'], kind, currency)})"
    )


def _conclusion(diffs: pd.DataFrame, baseline: RunData) -> str:
    """The three lines an owner reads first (`verdicts.conclusion`)."""
    scenario = baseline.scenario
    years = float(str(scenario["horizon_days"])) - float(str(scenario.get("warmup_days", 0)))
    lines = verdicts.conclusion(diffs, baseline.currency, years / 365)
    if not lines:
        return ""
    items = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return f"<section id='conclusion'><h2>In short</h2>{items}</section>"


def _verdicts(diffs: pd.DataFrame, currencies: dict[str, str]) -> str:
    chosen = diffs[diffs["metric"].isin(VERDICT_METRICS) & diffs["diff"].notna()]
    items = "".join(
        f"<li>{html.escape(_verdict_line(row, currencies.get(str(row['scenario']), '')))}</li>"
        for _, row in chosen.iterrows()
    )
    return (
        f"<section><h2>What differs</h2><ul class='verdicts'>{items}</ul><p class='how'>"
        "How to read this: each line pairs a scenario with the first one on the same random "
        "numbers (same leads, same sick days); the interval is for the difference. Where "
        "the interval includes 0% the data do not show a difference.</p></section>"
    )


def _summary_table(runs: Sequence[RunData]) -> str:
    metrics = list(dict.fromkeys(m for run in runs for m in run.summary.index))
    head = "".join(f'<th style="color:{r.colour}">{html.escape(r.label)}</th>' for r in runs)
    body = "".join(_summary_row(metric, runs) for metric in metrics)
    return (
        f"<section><h2>All summary metrics</h2><p class='how'>Mean over replications with its "
        "95% confidence interval. Definitions: docs/metrics.md.</p><div class='scroll'>"
        f"<table><thead><tr><th>metric</th>{head}</tr></thead><tbody>{body}"
        "</tbody></table></div></section>"
    )


def _summary_row(metric: str, runs: Sequence[RunData]) -> str:
    kind = metric_kind(metric)
    cells = []
    for run in runs:
        lo, hi = run.ci(metric)
        currency = run.currency
        cells.append(
            f"<td>{_human(run.mean(metric), kind, currency)}"
            f"<small> ({_human(lo, kind, currency)} to {_human(hi, kind, currency)})"
            "</small></td>"
        )
    return f"<tr><th>{html.escape(metric)}</th>{''.join(cells)}</tr>"


def _title(found: Folder) -> str:
    names = ", ".join(html.escape(r.label) for r in found.runs)
    first = html.escape(str(found.runs[0].scenario["name"]))
    return {
        "run": f"Simulation of {names}",
        "compare": f"Comparison: {names}",
        "sweep": f"Sweep of {first}",
        "stress": f"Key-person test of {first}",
        "backtest": f"Backtest of a calibration: {first}",
        "sensitivity": f"Sensitivity of {first}",
    }[found.kind]


def _header(found: Folder) -> str:
    m = found.runs[0].manifest
    shown = (f" ({len(found.runs)} of {found.runs_total} drawn)"
             if found.runs_total > len(found.runs) else "")  # fmt: skip
    files = ", ".join(
        sorted({Path(str(r.manifest.get("scenario_file") or "")).name for r in found.runs} - {""})
    )
    return (
        f"<header><h1>{_title(found)}</h1><p class='meta'>seed {_esc(m['seed'])} · "
        f"{_esc(m['replications'])} replications per scenario{shown} · horizon "
        f"{_esc(_values(found.runs, 'horizon_days'))} days after a "
        f"{_esc(_values(found.runs, 'warmup_days'))}-day warm-up · currency "
        f"{_esc(_values(found.runs, 'currency'))} · run on "
        f"{_esc(str(m['created'])[:10])} with salessim {_esc(m['versions']['salessim'])}"
        f"{' · from ' + html.escape(files) if files else ''}</p>{_stress_setting(found)}"
        f"<ul>{_descriptions(found.runs)}</ul></header>"
    )


def _descriptions(runs: Sequence[RunData]) -> str:
    described: dict[str, RunData] = {}
    for run in runs:
        described.setdefault(str(run.scenario["name"]), run)
    return "".join(
        f"<li><b style='color:{r.colour}'>{html.escape(name)}</b>{_description(r)}</li>"
        for name, r in described.items()
    )


def _description(run: RunData) -> str:
    text = str(run.scenario.get("description") or "")
    return f": {html.escape(text)}" if text else ""


def _values(runs: Sequence[RunData], key: str) -> str:
    """A scenario setting shared by the runs, or its different values joined by slashes."""
    seen = dict.fromkeys(
        f"{v:g}" if isinstance(v, float | int) else str(v)
        for v in (r.scenario.get(key) for r in runs)
    )
    return " / ".join(seen)


def _stress_setting(found: Folder) -> str:
    if found.kind != "stress" or len(found.runs) < 2 or not found.runs[1].scenario.get("events"):
        return ""
    event = found.runs[1].scenario["events"][-1]
    what = f"is absent {event['days']:g} days" if event.get("days") else "leaves"
    return (f"<p class='meta'>Each person in turn {what} from day {event['day']:g}; the "
            "unchanged team, on the same random numbers, is the baseline.</p>")  # fmt: skip


RUN_CHARTS: list[tuple[str, Callable[[Sequence[RunData], str], go.Figure], str]] = [
    ("funnel", lambda runs, _: charts.funnel(runs),
     "each bar is the average number of leads (after the warm-up) that reached that step; the "
     "percentage is the share of all leads that arrived."),
    ("stage-times", lambda runs, _: charts.grouped_bars(
        runs, "stage.", ".time_hours_p50", "Time in each stage of the funnel",
        "Median hours from entering a stage to leaving it", percent=False),
     "how long a lead stays at each step, booking delays and queueing included (median over "
     "the leads, averaged over replications); summary.csv has the mean and 90th percentile, "
     "and the time spent waiting in the queue alone (`stage.<s>.wait_hours_*`)."),
    ("revenue-box", charts.revenue_box,
     "each box spans the middle half of the replications, the line is the median, the dashed "
     "line the mean; the whiskers show how bad or good a replication can get."),
    ("weekly-revenue", charts.weekly_revenue,
     "the line is the average week, the shaded band covers 8 of 10 replications; dashed "
     "vertical lines mark scheduled events such as a resignation."),
    ("utilisation", lambda runs, _: charts.grouped_bars(
        runs, "role.", ".utilisation", "Utilisation per role",
        "Share of available hours spent working", percent=True),
     "near 100% a role is the bottleneck and leads queue for it; low bars are spare capacity. "
     "Prospecting roles fill their spare time by finding leads."),
    ("queues", lambda runs, _: charts.grouped_bars(
        runs, "stage.", ".queue_mean", "Leads waiting per stage",
        "Leads waiting (average over time)", percent=False),
     "how many leads on average wait for each stage; a long queue in front of a stage means "
     "its people are too few or leads go cold waiting."),
]  # fmt: skip
"""(id, figure of the runs and currency, how to read it) of each chart every report has."""


def _run_charts(runs: Sequence[RunData], currency: str) -> list[str]:
    return [_chart(draw(runs, currency), div, how) for div, draw, how in RUN_CHARTS]


STRESS_HOW = (
    "the longest bar is the person the business depends on most: the revenue lost, over the "
    "rest of the horizon, if they leave (or are absent). Whiskers are 95% intervals; a whisker "
    "crossing 0 means the loss is not clear at this number of replications."
)
SWEEP_HOW = (
    "each point is one combination of settings, run on the same random numbers; look for where "
    "more of a setting stops paying off."
)


TORNADO_HOW = (
    "each bar is one input: its left end is the metric's mean with that input lower by the "
    "share, its right end with it higher (the colours say which), every other input as in the "
    "file and the same random numbers; the longest bars at the top are the inputs the answer "
    "depends on most. An input whose bar is short can be rough; one at the top deserves a "
    "better estimate."
)


def _extra_charts(found: Folder, currency: str) -> list[str]:
    """The chart of a stress test, a backtest or a sweep, when the folder holds one."""
    parts = []
    if found.stress is not None:
        colours = {r.label.removeprefix("without "): r.colour for r in found.runs[1:]}
        parts.append(_chart(charts.stress_bars(found.stress, currency, colours), "stress",
                            STRESS_HOW))  # fmt: skip
    if found.backtest is not None:
        parts.append(_backtest_chart(found.backtest, currency))
    if found.sensitivity is not None and not found.sensitivity.empty:
        said = found.sensitivity_how
        figure = charts.tornado(found.sensitivity, str(said["metric"]),
                                float(str(said["share"])), int(str(said["replications"])),
                                currency)  # fmt: skip
        parts.append(_chart(figure, "tornado", TORNADO_HOW))
    if found.sweep is not None:
        shades = [charts.colour(i) if i < MAX_RUNS_DRAWN else "#999999"
                  for i in range(len(found.labels))]  # fmt: skip
        figure = charts.sweep_chart(found.sweep, found.sweep_params, found.labels, shades,
                                    currency)  # fmt: skip
        parts.append(_chart(figure, "sweep", SWEEP_HOW))
        if "profit.diff" in found.sweep and len(found.sweep_params) == 1:
            figure = charts.difference_chart(found.sweep, found.sweep_params[0], currency)
            how = ("each point is the paired difference in profit (this scenario minus the one "
                   "it was swept against, same random numbers) with its 95% CI; where the line "
                   "crosses zero the verdict flips. " + found.break_even)  # fmt: skip
            parts.append(_chart(figure, "break-even", how))
    return parts


def _warmup_warnings(runs: list[RunData]) -> list[str]:
    """A warning for each run whose pipeline was still filling when measuring began."""
    out = []
    for run in runs:
        warmup = float(run.scenario.get("warmup_days", 0.0))
        text = verdicts.warmup_warning(run.label, run.summary.reset_index(), warmup)
        if text:
            out.append(f'<p class="warning">{_esc(text)}</p>')
    return out


def _backtest_chart(table: pd.DataFrame, currency: str) -> str:
    inside = table.dropna(subset=["in95"])
    in95, in80 = (int(inside[c].astype(bool).sum()) for c in ("in95", "in80"))
    how = (f"diamonds are what happened, the line and bands what the model fitted on the data up "
           f"to the cut-off predicted; {in95} of {len(inside)} month values fall inside the 95% "
           f"band and {in80} inside the 80% band (about 95% and 80% are expected from a faithful "
           "model).")  # fmt: skip
    return _chart(charts.backtest_chart(table, currency), "backtest", how)


STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0 auto;max-width:1200px;
padding:1rem 2rem;color:#222}h1{margin-bottom:.2rem}.meta{color:#555}.how{color:#555;
font-size:.9rem;margin:.2rem 0 1.5rem}.cards{display:flex;flex-wrap:wrap;gap:.6rem;
border-left:6px solid;padding:.4rem .8rem;margin:.6rem 0}.cards h3{width:100%;margin:.2rem 0}
.card{background:#f5f6f8;border-radius:6px;padding:.5rem .8rem;min-width:150px;flex:1}
.card .k{font-size:.8rem;color:#555}.card .v{font-size:1.4rem;font-weight:600}
.card .ci{font-size:.75rem;color:#666}.warning{background:#fff4e5;border-left:4px solid
#e8a33d;padding:.4rem .8rem}table{border-collapse:collapse;font-size:.85rem}
td,th{border-bottom:1px solid #ddd;padding:.2rem .6rem;text-align:right}th:first-child{
text-align:left}small{color:#777}.scroll{overflow-x:auto}#problems{display:none;
background:#fee;border:1px solid #c00;padding:.5rem}
"""
ERROR_TRAP = (
    "<script>window.salessimErrors=[];window.addEventListener('error',function(e){"
    "window.salessimErrors.push(String(e.message));});</script>"
)
DRAW_CHECK = """<script>window.addEventListener('load',function(){setTimeout(function(){
var charts=document.querySelectorAll('.plotly-graph-div'),drawn=0;
charts.forEach(function(c){if(c.querySelector('svg.main-svg'))drawn++;});
var b=document.body;b.dataset.charts=charts.length;b.dataset.drawn=drawn;
b.dataset.errors=window.salessimErrors.length;
if(drawn<charts.length||window.salessimErrors.length){var p=document.getElementById('problems');
p.style.display='block';p.textContent='Some charts could not be drawn ('+drawn+' of '+
charts.length+'). '+window.salessimErrors.join(' ');}},500);});</script>"""


def build(folder: Path) -> str:
    """The report page of a results folder, as one HTML string."""
    found = read_folder(folder)
    currency = _values(found.runs, "currency")
    if " / " in currency:
        currency = "mixed currencies"
    parts = [_header(found), "<div id='problems'></div>", *_warmup_warnings(found.runs)]
    if found.differences is not None and not found.differences.empty:
        parts.append(_conclusion(found.differences, found.runs[0]))
        parts.append(_verdicts(found.differences, {r.label: r.currency for r in found.runs}))
    parts += _extra_charts(found, currency)
    parts += ["<h2>Key figures</h2>", _cards(found.runs)]
    parts += _run_charts(found.runs, currency)
    parts.append(_summary_table(found.runs))
    title = html.escape(f"salessim report: {', '.join(r.label for r in found.runs)}")
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<style>{STYLE}</style>{ERROR_TRAP}<script>{get_plotlyjs()}</script></head><body>"
        f"{''.join(parts)}{DRAW_CHECK}</body></html>\n"
    )


def write(folder: Path, target: Path | None = None) -> Path:
    """Build the report of `folder` and save it (atomically) as `target` or folder/report.html."""
    target = target or folder / "report.html"
    try:
        page = build(folder)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise ResultsError(
            f"cannot build a report from {folder}: one of its files is damaged or was edited "
            f"by hand ({type(exc).__name__}: {str(exc)[:200]})"
        ) from exc
    write_text(target, page)
    return target
