"""The HTML of `leadrules report`: one self-contained file.

Styles sit in the page and every chart is an SVG drawn offline (Altair builds a Vega-Lite
spec, vl-convert renders it without a browser or a network) and put in the page itself, so
the file opens anywhere without requests. Stage names, codes and route targets come from the
rule file and ids and messages from the lead data: the template escapes them (autoescape), and
control characters are shown as escapes.
"""

from __future__ import annotations

from typing import Any

from leadrules import model as m
from leadrules.io.html import inline_svg_charts, page_environment
from leadrules.io.summary import terminal_safe
from leadrules.report.compute import Report, ScoreHistogram

__all__ = ["render_html", "chart_specs"]

_WIDTH = 560
_BLUE, _RED, _AMBER = "#0969da", "#cf222e", "#9a6700"


def _funnel_spec(report: Report) -> dict[str, Any]:
    import altair as alt

    order = [step.stage for step in report.funnel]
    data = {"values": [{"stage": step.stage, "leads": step.count,
                        "kind": "disqualified" if step.stage == m.DISQUALIFIED else "stage"}
                       for step in report.funnel]}
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("stage:N", sort=order, title=None),
        x=alt.X("leads:Q", title="leads"),
        color=alt.Color("kind:N", scale=alt.Scale(domain=["stage", "disqualified"], range=[_BLUE, _RED]),
                        legend=None),
    )
    labels = bars.mark_text(align="left", dx=3).encode(text="leads:Q", color=alt.value("#1f2328"))
    return (bars + labels).properties(width=_WIDTH, title="Leads per stage").to_dict()  # type: ignore[no-any-return]


def _histogram_spec(histogram: ScoreHistogram) -> dict[str, Any]:
    import altair as alt

    data = {"values": [{"score": float(value), "leads": count} for value, count in histogram.values]}
    bars = alt.Chart(data).mark_bar(color=_BLUE).encode(
        x=alt.X("score:Q", title=histogram.score), y=alt.Y("leads:Q", title="leads"))
    layers: Any = bars
    if histogram.boundaries:
        edges = {"values": [{"score": float(b.low), "label": f"{b.band} {b.label}"} for b in histogram.boundaries]}
        rules = alt.Chart(edges).mark_rule(color=_RED, strokeDash=[4, 3]).encode(x="score:Q")
        texts = alt.Chart(edges).mark_text(align="left", dx=3, dy=-4, baseline="bottom", color=_RED).encode(
            x="score:Q", y=alt.value(0), text="label:N")
        layers = bars + rules + texts
    return layers.properties(width=_WIDTH, height=180, title=f"{histogram.score}: leads per score").to_dict()  # type: ignore[no-any-return]


def _reasons_spec(report: Report) -> dict[str, Any] | None:
    import altair as alt

    rows = [{"code": code, "leads": count, "kind": "disqualified by"} for code, count in report.reasons]
    rows += [{"code": code, "leads": count, "kind": "blocked by"} for code, count in report.blocked]
    if not rows:
        return None
    data = {"values": rows}
    bars = alt.Chart(data).mark_bar().encode(
        y=alt.Y("code:N", sort="-x", title=None), x=alt.X("leads:Q", title="leads"),
        color=alt.Color("kind:N", scale=alt.Scale(domain=["disqualified by", "blocked by"], range=[_RED, _AMBER]),
                        title=None),
        row=alt.Row("kind:N", title=None, sort=["disqualified by", "blocked by"]),
    ).resolve_scale(y="independent")
    return bars.properties(width=_WIDTH - 80, title="Disqualification and blocked reasons").to_dict()  # type: ignore[no-any-return]


def chart_specs(report: Report) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs of the report's charts by name (funnel, reasons, score_<name>)."""
    specs = {"funnel": _funnel_spec(report)}
    reasons = _reasons_spec(report)
    if reasons is not None:
        specs["reasons"] = reasons
    for histogram in report.scores:
        if histogram.values:
            specs[f"score_{histogram.score}"] = _histogram_spec(histogram)
    return specs


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f} %"


def render_html(report: Report) -> str:
    """The report page."""
    environment = page_environment("leadrules.report")
    environment.filters["visible"] = terminal_safe
    environment.filters["percent"] = _percent
    charts = inline_svg_charts(chart_specs(report))
    return environment.get_template("report.html.j2").render(report=report, charts=charts,
                                                              disqualified=m.DISQUALIFIED)
