"""Rule texts and leads that the trust tests of several stages (engine, sql, lint) run alike, so
each stage is checked against the same case (spec section 9)."""

from __future__ import annotations

from typing import Any

# arithmetic that cancels still reads its fields: unknown for a lead without employees/visits
CANCELLING = """\
ruleset "cancel" version "1"
field employees: integer optional
field visits: integer optional
field size: integer in 1..10
stages Lead -> MQL -> SQL
stage MQL if size > 5 and employees - employees == 0
stage SQL if size + employees - employees > 8
disqualify junk "Junk" if 0 * visits >= 0
"""

CANCELLING_LEADS: list[dict[str, Any]] = [
    {"id": "none", "size": 9},
    {"id": "employees", "size": 9, "employees": 40},
    {"id": "small", "size": 6, "employees": 40},
    {"id": "visits", "size": 9, "visits": 3},
]

# (id, stage, reasons) of CANCELLING_LEADS under CANCELLING, in every engine
CANCELLING_OUTCOMES = [
    ("none", "Lead", []),
    ("employees", "SQL", []),
    ("small", "MQL", []),
    ("visits", "Disqualified", ["junk"]),
]
