"""The compact forms calibrate counts in: sweep tallies by distinct value, outcomes by position."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrules.calibrate.outcomes import read_outcomes
from leadrules.calibrate.sweep import ALWAYS, IF_FALSE, IF_TRUE, NEVER, SweepPart, SweepTally, holds

_LEADS = st.lists(st.tuples(st.sampled_from((ALWAYS, NEVER, IF_TRUE, IF_FALSE)),
                            st.one_of(st.none(), st.integers(-3, 8),
                                      st.integers(-6, 16).map(lambda n: Decimal(n) / 2)),
                            st.booleans()), max_size=40)


@settings(max_examples=80, deadline=None)
@given(leads=_LEADS, op=st.sampled_from(("<", "<=", ">", ">=")),
       threshold=st.one_of(st.integers(-4, 9), st.integers(-8, 18).map(lambda n: Decimal(n) / 2)))
def test_a_tallied_part_selects_what_each_lead_would(leads: list[tuple[int, int | Decimal | None, bool]], op: str,
                                                     threshold: int | Decimal) -> None:
    tally = SweepTally()
    for lead_class, value, positive in leads:
        if value is None and lead_class in (IF_TRUE, IF_FALSE):
            continue  # a missing number fixes the class (ALWAYS or NEVER), never one that depends on it
        tally.add(lead_class, value, positive)
    kept = [(c, v, p) for c, v, p in leads if not (v is None and c in (IF_TRUE, IF_FALSE))]

    def selected(lead_class: int, value: int | Decimal | None) -> bool:
        if lead_class in (ALWAYS, NEVER):
            return bool(lead_class == ALWAYS)
        assert value is not None
        return bool(holds(op, value, threshold) == (lead_class == IF_TRUE))

    chosen = [p for c, v, p in kept if selected(c, v)]
    metrics = SweepPart(op, tally, 2.0, sum(p for _, _, p in kept)).at(threshold)
    assert (metrics.volume, metrics.positives) == (len(chosen), sum(chosen))
    assert metrics.leads_per_week == len(chosen) / 2.0
    assert tally.observed == {v for _, v, _ in kept if v is not None}


def test_outcomes_by_position_keep_first_order_last_row_and_instants(tmp_path: Path) -> None:
    path = tmp_path / "outcomes.csv"
    path.write_text(
        "id,outcome,reason,decided_at\n"
        "B,won,,2026-01-02T03:04:05.123456+02:00\n"
        "A,lost,no budget,1969-12-31T23:59:59Z\n"
        "B,lost,spam,\n"
        "C,working,,2026-02-01T01:00:00.000007+01:00\n"
    )
    table = read_outcomes(str(path))
    assert list(table.by_id) == ["B", "A", "C"]  # in the order ids first appear
    assert len(table.by_id) == 3 and "A" in table.by_id and "D" not in table.by_id
    b, a, c = table.by_id["B"], table.by_id["A"], table.by_id["C"]
    assert (b.positive, b.value, b.reason, b.decided_at) == (False, "lost", "spam", None)  # the later row wins
    assert (a.positive, a.reason, a.decided_at) == (False, "no budget",
                                                   dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc))
    assert (c.positive, c.value, c.decided_at) == (None, "working",
                                                dt.datetime(2026, 2, 1, 0, 0, 0, 7, tzinfo=dt.timezone.utc))
    assert (table.positive, table.negative, table.open, table.replaced) == (0, 2, 1, 1)
    assert table.by_id.get("D") is None
