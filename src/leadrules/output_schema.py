"""The output record of one ruleset (spec section 5), once, for every writer to derive from.

The generated Python record, the SQL projection, the DuckDB JSON text, the CSV and Parquet
columns, the keys a `test` block's `expect` accepts and `export --to lead-schema` all read the
names and order here instead of spelling them out.
"""

from __future__ import annotations

from dataclasses import dataclass

from leadrules import model as m

__all__ = ["OutputSchema", "RECORD_KEYS", "EXPECT_KEYS", "output_schema"]

# the keys of a result record, in output order (`crm` follows when `eval --crm` chose a mapping)
RECORD_KEYS = ("id", "stage", "disqualified", "reasons", "blocked", "scores", "bands", "route")
# the keys `expect` compares besides score and band names
EXPECT_KEYS = ("stage", "route", "disqualified", "reasons", "blocked")
# the flat columns before scores and bands (CSV, SQL, Parquet), in output order
_FLAT_HEAD = ("id", "stage", "disqualified", "reasons", "blocked", "route")


@dataclass(frozen=True, slots=True)
class OutputSchema:
    scores: tuple[str, ...]  # score names, in declaration order
    bands: tuple[str, ...]  # band names, in declaration order
    crm: m.CrmMapping | None  # the mapping `eval --crm` adds as `crm`

    @property
    def record_keys(self) -> tuple[str, ...]:
        """The keys of a JSON result record, in order."""
        return RECORD_KEYS + (("crm",) if self.crm is not None else ())

    @property
    def score_columns(self) -> tuple[tuple[str, str], ...]:
        """(score name, flat column) for SQL and Parquet: `score_<name>`."""
        return tuple((name, "score_" + name) for name in self.scores)

    @property
    def band_columns(self) -> tuple[tuple[str, str], ...]:
        """(band name, flat column) for SQL and Parquet: `band_<name>`."""
        return tuple((name, "band_" + name) for name in self.bands)

    @property
    def sql_columns(self) -> tuple[str, ...]:
        """The columns of the compiled query, in order."""
        return (_FLAT_HEAD + tuple(c for _, c in self.score_columns)
                + tuple(c for _, c in self.band_columns))

    def csv_columns(self, explain: bool = False) -> list[str]:
        """Section 9: id, stage, disqualified, reasons, blocked, route, [crm], score.*, band.*,
        error, [explain]."""
        columns = list(_FLAT_HEAD)
        if self.crm is not None:
            columns.append("crm")
        columns += [f"score.{name}" for name in self.scores]
        columns += [f"band.{name}" for name in self.bands]
        columns.append("error")
        if explain:
            columns.append("explain")
        return columns

    @property
    def expect_keys(self) -> frozenset[str]:
        """What `expect KEY == ...` may name: the outcome keys, each score and each band."""
        return frozenset(EXPECT_KEYS) | frozenset(self.scores) | frozenset(self.bands)


def output_schema(model: m.CheckedModel) -> OutputSchema:
    return OutputSchema(tuple(model.scores), tuple(model.bands), model.crm_output)
