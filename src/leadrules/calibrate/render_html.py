"""`leadrules calibrate --format html`: one self-contained page, in the manner of `leadrules report`.

Charts are Vega-Lite specs built with Altair and drawn offline by vl-convert as SVG put in the
page itself; styles sit in the page. Names, rule texts and rejection reasons come from the rule
file and the outcome data: the template escapes them (autoescape) and shows control characters
as escapes (`terminal_safe`, as the report does).
"""

from __future__ import annotations

from typing import Any

from leadrules.calibrate.compute import MIN_GROUP, Calibration, RuleRow, ThresholdRow
from leadrules.calibrate.render_text import show_lift, show_rate
from leadrules.io.html import inline_svg_charts, page_environment
from leadrules.io.summary import terminal_safe
from leadrules.values import format_number, format_timestamp

__all__ = ["render_html", "chart_specs"]

_WIDTH = 520
_BLUE, _GREEN, _GREY, _RED = "#0969da", "#1a7f37", "#59636e", "#cf222e"


def _threshold_spec(row: ThresholdRow) -> dict[str, Any]:
    import altair as alt

    values = []
    for r in row.rows:
        for part, metrics in (("training", r.fit), ("holdout", r.holdout)):
            if metrics is None:
                continue
            for measure, rate in (("precision", metrics.precision), ("recall", metrics.recall)):
                if rate.value is not None:
                    values.append({"threshold": float(r.value), "value": rate.value, "measure": measure, "part": part})
    lines = alt.Chart({"values": values}).mark_line(point=True).encode(
        x=alt.X("threshold:Q", title=terminal_safe(row.subject)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        color=alt.Color("measure:N", scale=alt.Scale(domain=["precision", "recall"], range=[_BLUE, _GREEN]), title=None),
        strokeDash=alt.StrokeDash("part:N", scale=alt.Scale(domain=["training", "holdout"], range=[[1, 0], [5, 3]]),
                                  title=None),
    )
    marks = [{"threshold": float(row.threshold.value), "label": "current"}]
    if row.suggested is not None:
        marks.append({"threshold": float(row.suggested), "label": "suggested"})
    rules = alt.Chart({"values": marks}).mark_rule(strokeDash=[2, 2]).encode(
        x="threshold:Q", color=alt.Color("label:N", scale=alt.Scale(domain=["current", "suggested"],
                                                                    range=[_GREY, _RED]), title=None))
    title = f"{terminal_safe(row.threshold.stage)}: precision and recall against the threshold"
    layered = (lines + rules).resolve_scale(color="independent")
    return layered.properties(width=_WIDTH, height=220, title=title).to_dict()  # type: ignore[no-any-return]


def _lift_spec(rows: list[RuleRow]) -> dict[str, Any] | None:
    import altair as alt

    judged = [(terminal_safe(_name(r)), r) for r in rows if r.lift.value is not None and r.lift.low is not None]
    if not judged:
        return None
    values = [{"rule": shown, "lift": r.lift.value, "low": r.lift.low, "high": r.lift.high, "verdict": r.verdict}
              for shown, r in judged]
    order = [shown for shown, _ in judged]
    base = alt.Chart({"values": values})
    bars = base.mark_rule(color=_GREY).encode(y=alt.Y("rule:N", sort=order, title=None),
                                               x=alt.X("low:Q", title="lift (positive rate fired / not fired)",
                                                       scale=alt.Scale(type="log")), x2="high:Q")
    points = base.mark_point(filled=True, size=60).encode(
        y=alt.Y("rule:N", sort=order), x="lift:Q",
        color=alt.Color("verdict:N", title=None,
                        scale=alt.Scale(domain=["raises", "lowers", "no clear effect", "too rare to judge", "no estimate"],
                                        range=[_GREEN, _RED, _GREY, "#9a6700", "#8250df"])))
    one = alt.Chart({"values": [{"x": 1.0}]}).mark_rule(strokeDash=[4, 3], color="#1f2328").encode(x="x:Q")
    return (bars + points + one).properties(width=_WIDTH, title="Lift per rule, 95 % interval").to_dict()  # type: ignore[no-any-return]


def _name(row: RuleRow) -> str:
    if row.kind == "disqualifier":
        return f"disqualify {row.name}"
    return f"{row.name}.{row.label}" if row.label else f"{row.name}: {row.text}"


def chart_specs(c: Calibration) -> dict[str, dict[str, Any]]:
    """Vega-Lite specs by name: `lift`, `threshold_<n>` (n from 0 in the order of `c.thresholds`)."""
    specs: dict[str, dict[str, Any]] = {}
    lift = _lift_spec([*c.rules, *c.disqualifiers])
    if lift is not None:
        specs["lift"] = lift
    for index, row in enumerate(c.thresholds):
        specs[f"threshold_{index}"] = _threshold_spec(row)
    return specs


def render_html(c: Calibration) -> str:
    environment = page_environment("leadrules.calibrate")
    environment.filters["visible"] = terminal_safe
    environment.filters["rate"] = show_rate
    environment.filters["lift"] = show_lift
    environment.filters["number"] = lambda v: "–" if v is None else format_number(v)
    environment.filters["per_week"] = lambda p: "–" if p is None or p.leads_per_week is None else f"{p.leads_per_week:.1f}"
    charts = inline_svg_charts(chart_specs(c))
    holdout = None if c.holdout_after is None else format_timestamp(c.holdout_after)
    return environment.get_template("calibrate.html.j2").render(c=c, charts=charts, holdout=holdout,
                                                                 min_group=MIN_GROUP, name=_name)
