"""`eval --crm NAME`: the CRM value of each result's stage as a `crm` key (JSON Lines) or a
`crm` column after `route` (CSV), the same bytes from both engines."""

from __future__ import annotations

from pathlib import Path

import pytest

from crm_texts import CRM_LEADS, CRM_RULES

ENGINES = ("python", "duckdb")

HUBSPOT_JSONL = (
    '{"id": "a", "stage": "Lead", "disqualified": false, "reasons": [], "blocked": [], "scores": {}, "bands": {}, '
    '"route": null, "crm": "lead"}\n'
    '{"id": "b", "stage": "MQL", "disqualified": false, "reasons": [], "blocked": [], "scores": {}, "bands": {}, '
    '"route": null, "crm": "marketingqualifiedlead"}\n'
    '{"id": "c", "stage": "SQL", "disqualified": false, "reasons": [], "blocked": [], "scores": {}, "bands": {}, '
    '"route": null, "crm": "salesqualifiedlead"}\n'
    '{"id": "d", "error": {"record": 4, "field": "fit", "message": "fit: expected an integer, found \\"x\\""}, '
    '"crm": null}\n'
    '{"id": "e", "stage": "Disqualified", "disqualified": true, "reasons": ["competitor"], "blocked": [], '
    '"scores": {}, "bands": {}, "route": null, "crm": "other"}\n'
)

SALESFORCE_CSV = (
    "id,stage,disqualified,reasons,blocked,route,crm,error\n"
    "a,Lead,false,,,,Open - Not Contacted,\n"
    'b,MQL,false,,,,"Working, ""qualified""",\n'
    "c,SQL,false,,,,Qualified,\n"
    'd,,,,,,,"fit: expected an integer, found ""x"""\n'
    "e,Disqualified,true,competitor,,,,\n"
)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    rules = tmp_path / "crm.rules"
    rules.write_text(CRM_RULES, encoding="utf-8")
    leads = tmp_path / "leads.jsonl"
    leads.write_text(CRM_LEADS, encoding="utf-8")
    return rules, leads


def _eval(run_cli, rules: Path, leads: Path, *args: str) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    result = run_cli("eval", str(rules), str(leads), "--as-of", "2026-11-01T00:00:00Z", *args)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("engine", ENGINES)
def test_jsonl_gets_the_crm_value_of_the_stage(files: tuple[Path, Path], engine: str, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = _eval(run_cli, *files, "--crm", "hubspot", "--engine", engine)
    assert (code, out) == (3, HUBSPOT_JSONL)


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_gets_a_crm_column_after_route(files: tuple[Path, Path], engine: str, run_cli) -> None:  # type: ignore[no-untyped-def]
    # salesforce leaves Disqualified unmapped: an empty cell; a value with a comma and quotes is quoted
    code, out, _ = _eval(run_cli, *files, "--crm", "salesforce", "--engine", engine, "--format", "csv")
    assert (code, out) == (3, SALESFORCE_CSV)


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_both_engines_write_the_same_file(files: tuple[Path, Path], tmp_path: Path, output_format: str,
                                          run_cli) -> None:  # type: ignore[no-untyped-def]
    written = []
    for engine in ENGINES:
        target = tmp_path / f"{engine}.{output_format}"
        code, _, _ = _eval(run_cli, *files, "--crm", "hubspot", "--engine", engine, "--format", output_format,
                           "-o", str(target))
        assert code == 3
        written.append(target.read_bytes())
    assert written[0] == written[1]
    expected = HUBSPOT_JSONL if output_format == "jsonl" else None
    if expected is not None:
        assert written[0].decode("utf-8") == expected
    else:
        assert written[0].decode("utf-8").splitlines()[1] == "a,Lead,false,,,,lead,"


def test_without_crm_the_output_keys_are_unchanged(files: tuple[Path, Path], run_cli) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = _eval(run_cli, *files, "--engine", "python")
    assert '"crm"' not in out
    _, out, _ = _eval(run_cli, *files, "--engine", "duckdb", "--format", "csv")
    assert out.splitlines()[0] == "id,stage,disqualified,reasons,blocked,route,error"


def test_explain_records_carry_crm_before_explain(files: tuple[Path, Path], run_cli) -> None:  # type: ignore[no-untyped-def]
    _, out, _ = _eval(run_cli, *files, "--crm", "hubspot", "--engine", "python", "--explain")
    first = out.splitlines()[0]
    assert '"route": null, "crm": "lead", "explain": {' in first


@pytest.mark.parametrize("engine", ENGINES)
def test_an_unknown_mapping_is_a_one_line_usage_error(files: tuple[Path, Path], engine: str, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = _eval(run_cli, *files, "--crm", "hubspt", "--engine", engine)
    assert (code, out, err) == (2, "", "leadrules: error: --crm: the ruleset has no CRM mapping 'hubspt' "
                                       "(did you mean 'hubspot'?)\n")
    code, out, err = _eval(run_cli, *files, "--crm", "pipedrive\x1b[2J", "--engine", engine)
    assert (code, out, err) == (2, "", "leadrules: error: --crm: the ruleset has no CRM mapping "
                                       "'pipedrive\\x1b[2J' (its CRM mappings: hubspot, salesforce)\n")


def test_parquet_output_refuses_crm(files: tuple[Path, Path], tmp_path: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = _eval(run_cli, *files, "--crm", "hubspot", "--engine", "duckdb", "--format", "parquet",
                         "-o", str(tmp_path / "out.parquet"))
    assert (code, err) == (2, "leadrules: error: --crm adds a key to JSON Lines or a column to CSV; "
                              "it does not apply to --format parquet\n")
    assert not (tmp_path / "out.parquet").exists()
