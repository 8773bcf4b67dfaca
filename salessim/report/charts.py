"""Plotly figures of the HTML report, one function per chart.

Each function takes plain pandas frames read from a results folder (never simulation state) and
returns a `plotly.graph_objects.Figure`; `report` lays them out with a caption. Colours come from
`colour(i)` so a scenario keeps its colour across every chart.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from salessim.numbers import metric_kind, plain

PALETTE = (
    "#4C78A8",
    "#F58518",
    "#54A24B",
    "#E45756",
    "#72B7B2",
    "#B279A2",
    "#9D755D",
    "#FF9DA6",
    "#BAB0AC",
    "#EECA3B",
)
LAYOUT: dict[str, Any] = {
    "template": "plotly_white",
    "font": {"family": "system-ui, -apple-system, Segoe UI, sans-serif", "size": 13},
    "margin": {"l": 70, "r": 30, "t": 50, "b": 60},
    "legend": {"orientation": "h", "y": -0.18},
    "hoverlabel": {"namelength": -1},
}


@dataclass
class RunData:
    """One run of a results folder, as the report sees it: what its files say, nothing more."""

    label: str
    manifest: dict[str, Any]
    scenario: dict[str, Any]
    summary: pd.DataFrame  # summary.csv indexed by metric
    revenue: pd.Series  # revenue of each replication
    bands: pd.DataFrame  # timeseries_summary.csv
    colour: str = field(default=PALETTE[0])

    @property
    def currency(self) -> str:
        return str(self.scenario.get("currency", ""))

    def value(self, metric: str, column: str = "mean") -> float:
        """A statistic of a summary metric (NaN when this run has no such metric)."""
        return float(self.summary[column].get(metric, math.nan))

    def mean(self, metric: str) -> float:
        return self.value(metric)

    def ci(self, metric: str) -> tuple[float, float]:
        return (self.value(metric, "ci_low"), self.value(metric, "ci_high"))

    def date(self, day: float) -> dt.date:
        calendar: dict[str, Any] = self.scenario["calendar"]
        start = dt.date.fromisoformat(str(calendar["start"]))
        return start + dt.timedelta(days=float(day))


def colour(index: int) -> str:
    return PALETTE[index % len(PALETTE)]


def _figure(title: str, height: int = 420, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(LAYOUT, title={"text": title, "x": 0.01}, height=height, **layout)
    return fig


def funnel_steps(run: RunData) -> list[tuple[str, float]]:
    """(label, mean count) from leads arrived through each selling stage to deals won."""
    steps = [
        ("Leads arrived", run.mean("leads_arrived")),
        ("Contacted", run.mean("leads_contacted")),
    ]
    chain = selling_chain(run.scenario)
    for stage in chain[:-1]:
        steps.append((f"Past {stage}", run.mean(f"stage.{stage}.succeeded")))
    steps.append(("Won", run.mean("won")))
    return [(label, value) for label, value in steps if not math.isnan(value)]


def selling_chain(scenario: dict[str, Any]) -> list[str]:
    """Stage names a lead passes on its way to `won`, in order (prospecting stages excluded)."""
    stages: dict[str, Any] = scenario.get("stages", {})
    entries = [src.get("entry_stage") for src in scenario.get("leads", [])]
    work = [name for name, st in stages.items() if st.get("kind", "work") == "work"]
    current = next((e for e in entries if e), work[0] if work else None)
    chain: list[str] = []
    while current in stages and current not in chain:
        chain.append(current)
        current = stages[current].get("next", "won")
    return chain


def funnel(runs: Sequence[RunData]) -> go.Figure:
    cols = min(len(runs), 3)
    rows = math.ceil(len(runs) / cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[r.label for r in runs],
        horizontal_spacing=0.12,
        vertical_spacing=0.12,
    )
    for i, run in enumerate(runs):
        labels, values = zip(*funnel_steps(run), strict=True)
        fig.add_trace(
            go.Funnel(
                y=list(labels),
                x=list(values),
                name=run.label,
                marker={"color": run.colour},
                textinfo="value+percent initial",
                texttemplate="%{value:,.0f} (%{percentInitial:.1%})",
                hovertemplate="%{y}: %{x:,.1f} leads on average<extra>" + run.label + "</extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_layout(
        LAYOUT,
        title={"text": "Funnel: leads reaching each step (mean per replication)", "x": 0.01},
        height=320 * rows + 80,
        showlegend=False,
    )
    return fig


def revenue_box(runs: Sequence[RunData], currency: str) -> go.Figure:
    fig = _figure("Revenue across replications", showlegend=False)
    for run in runs:
        fig.add_trace(
            go.Box(
                y=run.revenue,
                name=run.label,
                marker_color=run.colour,
                boxmean=True,
                boxpoints="outliers",
                hovertemplate="%{y:,.0f} " + currency + "<extra></extra>",
            )
        )
    fig.update_yaxes(
        title=f"Revenue after warm-up ({currency})", tickformat="~s", rangemode="tozero"
    )
    return fig


def weekly_revenue(runs: Sequence[RunData], currency: str) -> go.Figure:
    fig = _figure("Weekly revenue booked: mean and 80% band (p10 to p90); shaded: the warm-up, "
                  "not counted", height=460)  # fmt: skip
    marked: set[tuple[object, ...]] = set()
    shaded = False
    for run in runs:
        if "revenue_mean" not in run.bands:
            continue
        weeks = run.bands[run.bands["period"] == "week"]
        if weeks.empty:
            continue
        for trace in _weekly_traces(run, weeks, currency):
            fig.add_trace(trace)
        warm = run.bands[run.bands["period"] == "warmup_week"]
        if not warm.empty:
            fig.add_trace(_warmup_trace(run, warm, weeks, currency))
            if not shaded:
                _shade_warmup(fig, run)
                shaded = True
        _mark_events(fig, run, marked)
    if not marked and not fig.data:
        fig.add_annotation(text="No whole week after the warm-up to show.", showarrow=False,
                           xref="paper", yref="paper", x=0.5, y=0.5)  # fmt: skip
    fig.update_yaxes(title=f"Revenue per week ({currency})", tickformat="~s", rangemode="tozero")
    fig.update_xaxes(title="Week starting")
    return fig


def _weekly_traces(run: RunData, weeks: pd.DataFrame, currency: str) -> list[go.Scatter]:
    """A run's p10-p90 band and its mean line, week by week."""
    dates = [run.date(d) for d in weeks["start_day"]]
    band = go.Scatter(
        x=dates + dates[::-1], y=list(weeks["revenue_p90"]) + list(weeks["revenue_p10"])[::-1],
        fill="toself", mode="lines", fillcolor=_transparent(run.colour), line_width=0,
        hoverinfo="skip", legendgroup=run.label, showlegend=False,
    )  # fmt: skip
    mean = go.Scatter(
        x=dates, y=weeks["revenue_mean"], name=run.label,
        line={"color": run.colour, "width": 2}, legendgroup=run.label,
        hovertemplate="week of %{x}: %{y:,.0f} " + currency + "<extra>" + run.label + "</extra>",
    )  # fmt: skip
    return [band, mean]


def _warmup_trace(run: RunData, warm: pd.DataFrame, weeks: pd.DataFrame,
                  currency: str) -> go.Scatter:  # fmt: skip
    """The warm-up weeks' mean, dotted, joined to the first measured week."""
    dates = [run.date(d) for d in warm["start_day"]] + [run.date(weeks["start_day"].iloc[0])]
    values = [*warm["revenue_mean"], weeks["revenue_mean"].iloc[0]]
    return go.Scatter(
        x=dates, y=values, name=f"{run.label} (warm-up)", mode="lines",
        line={"color": run.colour, "width": 1.5, "dash": "dot"}, legendgroup=run.label,
        showlegend=False,
        hovertemplate="warm-up week of %{x}: %{y:,.0f} " + currency + " (not counted)<extra>"
        + run.label + "</extra>",
    )  # fmt: skip


def _shade_warmup(fig: go.Figure, run: RunData) -> None:
    """A grey band over the warm-up days, labelled."""
    days = float(run.scenario.get("warmup_days", 0.0))
    start, end = run.date(0).isoformat(), run.date(days).isoformat()
    fig.add_vrect(x0=start, x1=end, fillcolor="rgba(128,128,128,0.12)", line_width=0,
                  annotation_text=f"warm-up ({days:g} days, not counted)",
                  annotation_position="top left")  # fmt: skip


def _mark_events(fig: go.Figure, run: RunData, marked: set[tuple[object, ...]]) -> None:
    """Dashed lines at scheduled events, each (day, action, person) once, labels stacked."""
    for event in run.scenario.get("events", []):
        who = str(event.get("person") or event.get("role") or "")
        key = (event["day"], event["action"], who)
        if key in marked:
            continue
        marked.add(key)
        when = run.date(event["day"]).isoformat()
        label = html.escape(f"{who} {event['action']} (day {event['day']:g})")
        fig.add_shape(type="line", x0=when, x1=when, yref="paper", y0=0, y1=1,
                      line={"color": run.colour, "dash": "dash", "width": 1.5})  # fmt: skip
        fig.add_annotation(x=when, yref="paper", y=1.0 - 0.06 * (len(marked) - 1),
                           yanchor="bottom", xanchor="left", showarrow=False, text=label,
                           font={"color": run.colour, "size": 11})  # fmt: skip


def _transparent(hex_colour: str, alpha: float = 0.18) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def grouped_bars(
    runs: Sequence[RunData], prefix: str, suffix: str, title: str, axis: str, percent: bool
) -> go.Figure:
    """One bar per run for each `prefix.<name>.suffix` metric, with its 95% CI."""
    fig = _figure(title, barmode="group")
    names = list(dict.fromkeys(
        m[len(prefix) : -len(suffix)]
        for run in runs
        for m in run.summary.index
        if m.startswith(prefix) and m.endswith(suffix)
    ))  # fmt: skip
    for run in runs:
        fig.add_trace(_run_bars(run, names, prefix, suffix, percent))
    fig.update_xaxes(_positions(names))
    fig.update_yaxes(title=axis, tickformat=".0%" if percent else None, rangemode="tozero")
    return fig


def _run_bars(run: RunData, names: list[str], prefix: str, suffix: str,
              percent: bool) -> go.Bar:  # fmt: skip
    """One run's bars at the numbered positions of `names`, with 95% CI whiskers."""
    mine = [n for n in names if f"{prefix}{n}{suffix}" in run.summary.index]
    means = [run.mean(f"{prefix}{n}{suffix}") for n in mine]
    cis = [run.ci(f"{prefix}{n}{suffix}") for n in mine]
    whiskers = {
        "type": "data",
        "symmetric": False,
        "array": [_gap(hi, m) for m, (_, hi) in zip(means, cis, strict=True)],
        "arrayminus": [_gap(m, lo) for m, (lo, _) in zip(means, cis, strict=True)],
    }
    number = ".0%" if percent else ",.2f"
    return go.Bar(x=[names.index(n) for n in mine], y=means, name=run.label,
                  marker_color=run.colour, error_y=whiskers,
                  hovertext=[html.escape(n) for n in mine],
                  hovertemplate="%{hovertext}: %{y:" + number + "}<extra>" + run.label
                  + "</extra>")  # fmt: skip


def _positions(names: Sequence[str]) -> dict[str, Any]:
    """An axis of numbered positions labelled with `names`.

    Names go on a category axis only as tick text: plotly.js keeps categories as keys of a
    plain JavaScript object, so a role called `constructor` or `toString` (properties of every
    object) would silently lose its bar."""
    return {
        "tickmode": "array",
        "tickvals": list(range(len(names))),
        "ticktext": [html.escape(str(n)) for n in names],
        "range": [-0.5, len(names) - 0.5],
        "zeroline": False,
        "showgrid": False,
    }


def _gap(a: float, b: float) -> float:
    gap = a - b
    return 0.0 if math.isnan(gap) else max(gap, 0.0)


def stress_bars(table: pd.DataFrame, currency: str, colours: dict[str, str]) -> go.Figure:
    """Ranked revenue lost per person; `colours` gives each drawn variant's colour (else grey)."""
    ranked = table.sort_values("revenue_lost")
    fig = _figure(
        "Revenue lost when each person goes (mean and 95% CI)",
        height=max(300, 60 + 40 * len(ranked)),
        showlegend=False,
    )
    people = [str(p) for p in ranked["name" if "name" in ranked else "person"]]
    fig.add_trace(
        go.Bar(
            y=list(range(len(people))),
            x=ranked["revenue_lost"],
            orientation="h",
            marker_color=[colours.get(p, "#999999") for p in ranked["person"]],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (ranked["revenue_lost_high"] - ranked["revenue_lost"]).clip(lower=0),
                "arrayminus": (ranked["revenue_lost"] - ranked["revenue_lost_low"]).clip(lower=0),
            },
            customdata=ranked[["role", "revenue_lost_share"]],
            hovertext=[html.escape(p) for p in people],
            hovertemplate="%{hovertext} (%{customdata[0]}): %{x:,.0f} "
            + currency
            + " lost, %{customdata[1]:.0%} of revenue<extra></extra>",
        )
    )
    fig.update_yaxes(_positions(people))
    fig.update_xaxes(title=f"Revenue lost against the unchanged team ({currency})", tickformat="~s")
    return fig


def tornado(table: pd.DataFrame, metric: str, share: float, replications: int,
            currency: str) -> go.Figure:  # fmt: skip
    """The sensitivity table as a tornado: per input, the change of the metric's mean from the
    baseline when the input is lower and when it is higher, largest swing on top."""
    ranked = table.sort_values("swing")
    names = [str(n) for n in ranked["input"]]
    money = metric_kind(metric) == "money"
    unit = f" ({currency})" if money else ""
    fig = _figure(f"What {metric} depends on most: each input {share:.0%} lower and higher",
                  height=max(300, 80 + 30 * len(ranked)), showlegend=True)  # fmt: skip
    for side, colour, label in (("low", "#d62728", f"input {share:.0%} lower"),
                                ("high", "#1f77b4", f"input {share:.0%} higher")):  # fmt: skip
        fig.add_trace(go.Bar(
            y=list(range(len(names))), x=ranked[f"{side}_diff"], orientation="h", name=label,
            marker_color=colour, base=0,
            customdata=ranked[[f"{side}_value", f"{side}_diff_low", f"{side}_diff_high"]],
            hovertext=[html.escape(n) for n in names],
            hovertemplate="%{hovertext} = %{customdata[0]:,.4g}: %{x:,.4g}" + unit
            + " (95% CI %{customdata[1]:,.4g} to %{customdata[2]:,.4g})<extra></extra>",
        ))  # fmt: skip
    fig.update_layout(barmode="overlay")
    fig.update_yaxes(_positions(names))
    fig.update_xaxes(
        title=f"Change in mean {metric}{unit} from the scenario as given, over the measured "
        f"window ({replications} replications, same random numbers)",
        tickformat="~s" if money else "~g",
    )
    return fig


def difference_chart(table: pd.DataFrame, param: str, currency: str) -> go.Figure:
    """The paired profit difference of a sweep with `--against`, against its one setting."""
    ordered = table.sort_values(param)
    mean = ordered["profit.diff"]
    fig = go.Figure(
        go.Scatter(
            x=list(ordered[param]), y=mean, mode="lines+markers", name="profit difference",
            line={"color": "#1f77b4"},
            error_y={"type": "data", "symmetric": False,
                     "array": (ordered["profit.diff_high"] - mean).clip(lower=0),
                     "arrayminus": (mean - ordered["profit.diff_low"]).clip(lower=0)},
        )
    )  # fmt: skip
    fig.add_hline(y=0, line={"color": "#888888", "dash": "dot"})
    heading = {"text": "Profit difference against the other scenario (mean, 95% CI)", "x": 0.01}
    fig.update_layout(LAYOUT, title=heading, height=420, showlegend=False)
    fig.update_xaxes(title=param)
    fig.update_yaxes(title=f"Profit difference ({currency})", tickformat="~s")
    return fig


SWEEP_KPIS = (
    ("revenue", "Revenue"),
    ("profit", "Profit"),
    ("won", "Deals won"),
    ("lead_to_won", "Lead-to-won conversion"),
)


def sweep_chart(table: pd.DataFrame, params: list[str], labels: list[str], colours: list[str],
                currency: str) -> go.Figure:  # fmt: skip
    """KPIs against one numeric setting (a line), two (heat maps), or any points (dots)."""
    kpis = [(k, t) for k, t in SWEEP_KPIS if f"{k}.mean" in table.columns]
    numeric = all(pd.api.types.is_numeric_dtype(table[p]) for p in params)
    if len(params) == 2 and numeric:
        return _sweep_heatmap(table, params, kpis[:2], currency)
    line = len(params) == 1 and numeric
    x = list(table[params[0]]) if line else [f"#{i}" for i in range(len(table))]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[t for _, t in kpis],
                        vertical_spacing=0.18, horizontal_spacing=0.12)  # fmt: skip
    for i, (kpi, title) in enumerate(kpis):
        where = {"row": i // 2 + 1, "col": i % 2 + 1}
        fig.add_trace(_sweep_points(table, kpi, title, x, line, labels, colours), **where)
        unit = "" if kpi in ("won", "lead_to_won") else f" ({currency})"
        fig.update_yaxes(title=title + unit, tickformat=".1%" if kpi == "lead_to_won" else "~s",
                         **where)  # fmt: skip
        fig.update_xaxes(title=params[0] if line else "point (settings under Key figures)",
                         tickvals=x if line and len(x) <= 12 else None,
                         type=None if line else "category", **where)  # fmt: skip
    heading = {"text": "KPIs against the swept settings (mean, 95% CI)", "x": 0.01}
    fig.update_layout(LAYOUT, title=heading, height=640, showlegend=False)
    return fig


def _sweep_points(table: pd.DataFrame, kpi: str, title: str, x: list[Any], line: bool,
                  labels: list[str], colours: list[str]) -> go.Scatter:  # fmt: skip
    """One KPI's mean at every point, with its 95% interval as error bars."""
    mean, low, high = table[f"{kpi}.mean"], table[f"{kpi}.ci_low"], table[f"{kpi}.ci_high"]
    return go.Scatter(
        x=x, y=mean, mode="lines+markers" if line else "markers", hovertext=labels, name=title,
        line={"color": "#888888"}, marker={"color": colours, "size": 10},
        error_y={"type": "data", "symmetric": False, "array": (high - mean).clip(lower=0),
                 "arrayminus": (mean - low).clip(lower=0)},
    )  # fmt: skip


def _sweep_heatmap(
    table: pd.DataFrame, params: list[str], kpis: list[tuple[str, str]], currency: str
) -> go.Figure:
    fig = make_subplots(
        rows=1,
        cols=len(kpis),
        subplot_titles=[f"{t} ({currency})" for _, t in kpis],
        horizontal_spacing=0.15,
    )
    for i, (kpi, title) in enumerate(kpis):
        grid = table.pivot_table(index=params[1], columns=params[0], values=f"{kpi}.mean")
        half = (table[f"{kpi}.ci_high"] - table[f"{kpi}.ci_low"]) / 2
        spread = table.assign(half=half).pivot_table(index=params[1], columns=params[0],
                                                     values="half")  # fmt: skip
        fig.add_trace(
            go.Heatmap(
                z=grid.values,
                x=[plain(v) for v in grid.columns],
                y=[plain(v) for v in grid.index],
                customdata=spread.reindex_like(grid).values,
                colorscale="Viridis",
                texttemplate="%{z:.3~s}",
                colorbar={
                    "x": fig.get_subplot(1, i + 1).xaxis.domain[1] + 0.01,
                    "len": 0.9,
                    "thickness": 12,
                },  # fmt: skip
                name=title,
                hovertemplate=f"{params[0]}=%{{x}}, {params[1]}=%{{y}}: %{{z:,.0f}} "
                "± %{customdata:,.0f} (95% CI)<extra></extra>",
            ),
            row=1,
            col=i + 1,
        )
        fig.update_xaxes(title=params[0], type="category", row=1, col=i + 1)
        fig.update_yaxes(title=params[1], type="category", row=1, col=i + 1)
    fig.update_layout(
        LAYOUT, title={"text": "KPIs over the grid of swept settings (mean)", "x": 0.01}, height=460
    )
    return fig


BACKTEST_TITLES = {"won": "Deals won", "revenue": "Revenue", "win_rate": "Win rate (won / closed)",
                   "cycle_days": "Cycle of won deals (days)"}  # fmt: skip


def backtest_chart(table: pd.DataFrame, currency: str) -> go.Figure:
    """Per month and metric: simulated 95% and 80% bands and median, with the actual value."""
    metrics = [m for m in BACKTEST_TITLES if m in set(table["metric"])]
    fig = make_subplots(rows=2, cols=2, subplot_titles=[BACKTEST_TITLES[m] for m in metrics],
                        vertical_spacing=0.16, horizontal_spacing=0.1)  # fmt: skip
    for i, metric in enumerate(metrics):
        rows = table[table["metric"] == metric]
        months = list(rows["month"])
        where = {"row": i // 2 + 1, "col": i % 2 + 1}
        for low, high, alpha, name in (("p2.5", "p97.5", 0.15, "95% interval"),
                                       ("p10", "p90", 0.3, "80% interval")):  # fmt: skip
            fig.add_trace(go.Scatter(x=months + months[::-1],
                                     y=list(rows[high]) + list(rows[low])[::-1], fill="toself",
                                     mode="lines", line_width=0, name=name, legendgroup=name,
                                     fillcolor=_transparent(PALETTE[0], alpha),
                                     showlegend=i == 0, hoverinfo="skip"), **where)  # fmt: skip
        fig.add_trace(go.Scatter(x=months, y=rows["p50"], mode="lines", name="simulated median",
                                 line={"color": PALETTE[0]}, legendgroup="median",
                                 showlegend=i == 0), **where)  # fmt: skip
        fig.add_trace(go.Scatter(x=months, y=rows["actual"], mode="markers", name="actual",
                                 marker={"color": PALETTE[1], "size": 9, "symbol": "diamond"},
                                 legendgroup="actual", showlegend=i == 0), **where)  # fmt: skip
        axis = {"revenue": f"{currency} per month", "win_rate": "share", "won": "deals per month",
                "cycle_days": "days"}[metric]  # fmt: skip
        fig.update_yaxes(title=axis, tickformat=".0%" if metric == "win_rate" else "~s", **where)
    fig.update_layout(LAYOUT, title={"text": "Backtest: simulated months against what happened",
                                     "x": 0.01}, height=680)  # fmt: skip
    return fig
