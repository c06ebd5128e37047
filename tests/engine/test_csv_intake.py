"""Real CRM exports fed to `eval`: both engines read every input file to the same records
(spec section 9, "Input records": CSV input), or stop with the same one-line error."""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from engine_helpers import AS_OF, AS_OF_TEXT
from intake_helpers import duckdb_engine_text, eval_both, eval_with, python_engine_text, records, result
from intake_helpers import error as error_record

from leadrules.batch import run_detailed
from leadrules.io.leads import csv_options, csv_rows
from leadrules.workspace import load_file

RULES = """\
ruleset "intake" version "1"
field email: email
field employees: integer in 0..1000000 optional
field country: text optional
event visit
score s:
    +10 per visit
    +1 if employees > 10
    +100 if country == "US"
    +5 if country == "München"
    +7 if country == "€uro"
disqualify spam "Spam" if email.domain == "spam.example"
stages Lead -> MQL
stage MQL if s >= 10
"""

TYPED_ID_RULES = """\
ruleset "typed_id" version "1"
field id: integer
field email: email
event visit
score s:
    +10 per visit
disqualify spam "Spam" if email.domain == "spam.example" or id == 0
stages Lead -> MQL
stage MQL if s >= 10
"""


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "intake.rules"
    path.write_text(RULES, encoding="utf-8")
    return path


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_quoted_line_breaks_in_leads_and_events_are_read_by_duckdb_itself(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b'id,email,employees,country\nL1,a@x.com,5,"line one\nline two"\n'
                                          b"L2,b@x.com,20,US\n")
    events = write(tmp_path / "events.csv", b'lead_id,type,at,note\nL1,visit,2026-11-01T00:00:00Z,"called\ntwice"\n'
                                            b"L2,visit,2026-11-02T00:00:00Z,x\n")
    run = eval_both(rules, leads, "--events", str(events))
    assert run.returncode == 0
    assert run.stderr == ""
    assert records(run.stdout) == [result("L1", "MQL", {"s": 10}), result("L2", "MQL", {"s": 111})]
    # DuckDB reads the file itself (no record left to the Python engine), not by falling back
    model = load_file(rules).model
    assert model is not None
    details = run_detailed(model, str(leads), str(events), AS_OF, "jsonl", str(tmp_path / "out.jsonl"))
    assert details.python_records == 0
    assert (tmp_path / "out.jsonl").read_text(encoding="utf-8") == run.stdout


@pytest.mark.parametrize(("delimiter", "option"), [(";", ";"), ("\t", "\\t"), ("\t", "\t"), ("|", "|")])
def test_delimiter_is_comma_unless_given(rules: Path, tmp_path: Path, delimiter: str, option: str) -> None:
    leads = write(tmp_path / "leads.csv", f"id{delimiter}email{delimiter}employees\nL1{delimiter}a@x.com{delimiter}20\n"
                                          f"L2{delimiter}b@x.com{delimiter}3\n".encode())
    run = eval_both(rules, leads)  # never sniffed: the whole header is one column
    shown = "'\\t'" if delimiter == "\t" else f"'{delimiter}'"
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (f"leadrules: error: {leads}: header has no column for required field 'email' "
                          f"(the header looks delimited by {shown}: try --delimiter {shown})\n")
    run = eval_both(rules, leads, "--delimiter", option)
    assert run.returncode == 0
    assert records(run.stdout) == [result("L1", "Lead", {"s": 1}), result("L2", "Lead", {"s": 0})]


def test_bad_delimiter_and_encoding_options_are_usage_errors(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b"id,email\nL1,a@x.com\n")
    run = eval_both(rules, leads, "--delimiter", ";;")
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == 'leadrules: error: --delimiter takes one character other than a quote or a line break, found ";;"\n'
    run = eval_both(rules, leads, "--encoding", "klingon")
    assert run.stderr == 'leadrules: error: --encoding: unknown encoding "klingon"\n'
    run = eval_both(rules, leads, "--encoding", "utf-16")
    assert run.returncode == 2
    assert run.stderr.startswith('leadrules: error: --encoding "utf-16": only encodings that keep ASCII')


def test_duplicate_header_is_an_error_for_the_whole_file(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b"id,email,country,email\nL1,a@x.com,US,b@x.com\n")
    out = tmp_path / "out.jsonl"
    out.write_text("old\n")
    run = eval_both(rules, leads, "-o", str(out))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == f"leadrules: error: {leads}: the header names the column 'email' twice (columns 2 and 4)\n"
    assert out.read_text() == "old\n"


@pytest.mark.parametrize(("header", "close"), [(b"id,Email", "'Email'"), (b"id, email", "' email'"),
                                               (b"id,e-mail", "'e-mail'")])
def test_header_near_miss_of_a_required_field_is_one_error_up_front(
        rules: Path, tmp_path: Path, header: bytes, close: str) -> None:
    leads = write(tmp_path / "leads.csv", header + b"\nL1,a@x.com\nL2,b@x.com\n")
    out = tmp_path / "out.jsonl"
    run = eval_both(rules, leads, "-o", str(out))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (f"leadrules: error: {leads}: header has no column for required field 'email' "
                          f"(did you mean {close}?)\n")
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["intake.rules", "leads.csv"]  # no temporary file left


def test_header_without_a_close_name_leaves_an_error_record_per_row(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b"id,phone\nL1,555\nL2,556\n")
    run = eval_both(rules, leads)
    assert run.returncode == 3
    assert records(run.stdout) == [error_record("L1", 1, "email", "email: required, found nothing"),
                                   error_record("L2", 2, "email", "email: required, found nothing")]


def test_declared_id_field_is_typed_and_output_id_is_the_cell_as_written(tmp_path: Path) -> None:
    rules = tmp_path / "typed_id.rules"
    rules.write_text(TYPED_ID_RULES, encoding="utf-8")
    leads = write(tmp_path / "leads.csv", b"id,email\n007,a@x.com\n8,b@x.com\nx9,c@x.com\n,d@x.com\n")
    events = write(tmp_path / "events.csv", b"lead_id,type,at\n007,visit,2026-11-01T00:00:00Z\n"
                                            b"8,visit,2026-11-02T00:00:00Z\n7,visit,2026-11-02T00:00:00Z\n")
    run = eval_both(rules, leads, "--events", str(events))
    assert run.returncode == 3
    assert records(run.stdout) == [
        result("007", "MQL", {"s": 10}),
        result("8", "MQL", {"s": 10}),
        error_record("x9", 3, "id", 'id: expected an integer, found "x9"'),
        error_record(4, 4, "id", "id: required, found nothing"),
    ]


def test_unterminated_quote_makes_one_error_record_and_the_lines_after_it_are_read_again(
        rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b'id,email,employees,country\nL1,a@x.com,5,US\nL2,b@x.com,20,"open\n'
                                          b"L3,c@x.com,30,US\nL4,d@x.com,40,DE\n")
    run = eval_both(rules, leads)
    assert run.returncode == 3
    assert records(run.stdout) == [
        result("L1", "MQL", {"s": 100}),
        error_record(2, 2, None, "line 3: a quote opened in this record is never closed"),
        result("L3", "MQL", {"s": 101}),
        result("L4", "Lead", {"s": 1}),
    ]


def test_row_that_cannot_be_decoded_is_an_error_record_in_its_place(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b"id,email,country\nL1,a@x.com,US\nL2,b@x.com,M\xfcnchen\nL3,c@x.com,DE\n")
    run = eval_both(rules, leads)
    assert run.returncode == 3
    assert records(run.stdout) == [
        result("L1", "MQL", {"s": 100}),
        error_record(2, 2, None, "line 3 is not utf-8 text (byte 0xfc at byte 13 of the line); see --encoding"),
        result("L3", "Lead", {"s": 0}),
    ]
    run = eval_both(rules, leads, "--encoding", "latin-1")
    assert run.returncode == 0
    assert records(run.stdout) == [result("L1", "MQL", {"s": 100}), result("L2", "Lead", {"s": 5}),
                                   result("L3", "Lead", {"s": 0})]


def test_cp1252_export_with_an_undefined_byte(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b"id,email,country\nL1,a@x.com,\x80uro\nL2,b@x.com,\x81\n")
    run = eval_both(rules, leads, "--encoding", "cp1252")
    assert run.returncode == 3
    assert records(run.stdout) == [
        result("L1", "Lead", {"s": 7}),
        error_record(2, 2, None, "line 3 is not cp1252 text (byte 0x81 at byte 12 of the line); see --encoding"),
    ]


def test_duckdb_reads_a_single_byte_encoding_through_a_utf8_copy(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b'id,email,country\nL1,a@x.com,M\xfcnchen\nL2,b@x.com,"\x80uro"\n')
    events = write(tmp_path / "events.csv", b"lead_id,type,at,note\nL1,visit,2026-11-01T00:00:00Z,caf\xe9\n")
    run = eval_both(rules, leads, "--events", str(events), "--encoding", "cp1252")
    assert run.returncode == 0
    assert records(run.stdout) == [result("L1", "MQL", {"s": 15}), result("L2", "Lead", {"s": 7})]
    model = load_file(rules).model
    assert model is not None
    out = tmp_path / "out.jsonl"
    details = run_detailed(model, str(leads), str(events), AS_OF, "jsonl", str(out), csv_options(None, "cp1252"))
    assert details.python_records == 0  # DuckDB read the rows itself
    assert out.read_text(encoding="utf-8") == run.stdout
    # a byte cp1252 does not have: the Python readers read the file and make that row an error record
    write(leads, b"id,email,country\nL1,a@x.com,M\xfcnchen\nL2,b@x.com,\x81\n")
    details = run_detailed(model, str(leads), None, AS_OF, "jsonl", str(out), csv_options(None, "cp1252"))
    assert details.python_records is None
    assert records(out.read_text(encoding="utf-8")) == [
        result("L1", "Lead", {"s": 5}),
        error_record(2, 2, None, "line 3 is not cp1252 text (byte 0x81 at byte 12 of the line); see --encoding")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events.csv", "intake.rules", "leads.csv", "out.jsonl"]


def test_events_file_that_cannot_be_decoded_stops_the_run(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.csv", b"id,email\nL1,a@x.com\n")
    events = write(tmp_path / "events.csv", b"lead_id,type,at,note\nL1,visit,2026-11-01T00:00:00Z,caf\xe9\n")
    run = eval_both(rules, leads, "--events", str(events))
    assert (run.returncode, run.stdout) == (2, "")
    assert run.stderr == (f"leadrules: error: {events}: line 2 is not utf-8 text (byte 0xe9 at byte 34 of the "
                          "line); see --encoding\n")
    run = eval_both(rules, leads, "--events", str(events), "--encoding", "latin-1")
    assert records(run.stdout) == [result("L1", "MQL", {"s": 10})]


def test_spaces_beside_quotes_are_kept_as_the_csv_module_keeps_them(rules: Path, tmp_path: Path) -> None:
    # DuckDB would drop these spaces (and read ` "US"` as US): such files go to the Python reader
    leads = write(tmp_path / "leads.csv", b'id,email,country\nL1,a@x.com, "US"\nL2,b@x.com,"US" \nL3,c@x.com,US\n')
    run = eval_both(rules, leads)
    assert run.returncode == 0
    assert records(run.stdout) == [result("L1", "Lead", {"s": 0}), result("L2", "Lead", {"s": 0}),
                                   result("L3", "MQL", {"s": 100})]


def test_json_id_written_with_an_exponent_joins_events_by_its_printed_id(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.jsonl", b'{"id": 1e1, "email": "a@x.com"}\n{"id": 20, "email": "b@x.com"}\n'
                                            b'{"id": "L3", "email": "c@x.com", "employees": 1e400}\n')
    events = write(tmp_path / "events.csv", b"lead_id,type,at\n10,visit,2026-11-01T00:00:00Z\n"
                                            b"20,visit,2026-11-01T00:00:00Z\n")
    run = eval_both(rules, leads, "--events", str(events))
    assert run.returncode == 3
    assert records(run.stdout) == [
        result(10, "MQL", {"s": 10}),
        result(20, "MQL", {"s": 10}),
        error_record("L3", 3, "employees", "employees: expected an integer in 0..1000000, found 1e400"),
    ]


def test_empty_lead_id_cell_joins_the_record_whose_id_prints_empty(rules: Path, tmp_path: Path) -> None:
    leads = write(tmp_path / "leads.jsonl", b'{"id": "", "email": "a@x.com"}\n{"email": "b@x.com"}\n')
    events = write(tmp_path / "events.csv", b"lead_id,type,at\n,visit,2026-11-01T00:00:00Z\n"
                                            b"2,visit,2026-11-01T00:00:00Z\n")
    run = eval_both(rules, leads, "--events", str(events))
    assert run.returncode == 0
    assert records(run.stdout) == [result("", "MQL", {"s": 10}), result(2, "MQL", {"s": 10})]


def test_duckdb_engine_reads_leads_and_events_from_pipes(rules: Path, tmp_path: Path) -> None:
    data = b'{"id": "L1", "email": "a@x.com", "employees": 50}\n{"id": "L2", "email": "b@x.com", "country": "US"}\n'
    leads = write(tmp_path / "leads.jsonl", data)
    events_data = b"lead_id,type,at\nL1,visit,2026-11-01T00:00:00Z\n"
    events = write(tmp_path / "events.csv", events_data)
    expected = eval_with("python", rules, leads, "--events", str(events))
    assert expected.returncode == 0
    leads_read, leads_write = os.pipe()
    events_read, events_write = os.pipe()
    os.write(leads_write, data)
    os.write(events_write, events_data)
    os.close(leads_write)
    os.close(events_write)
    try:
        piped = subprocess.run(
            [sys.executable, "-m", "leadrules", "eval", str(rules), f"/dev/fd/{leads_read}", "--events",
             f"/dev/fd/{events_read}", "--as-of", AS_OF_TEXT, "--engine", "duckdb"],
            capture_output=True, text=True, timeout=120, pass_fds=(leads_read, events_read))
    finally:
        os.close(leads_read)
        os.close(events_read)
    assert (piped.returncode, piped.stderr) == (0, "")
    assert piped.stdout == expected.stdout
    assert records(piped.stdout) == [result("L1", "MQL", {"s": 11}), result("L2", "MQL", {"s": 100})]


def test_auto_engine_on_a_large_csv_with_a_quoted_line_break_matches_python(rules: Path, tmp_path: Path) -> None:
    rows = [b'id,email,employees,country\n', b'L0,a@x.com,5,"line one\nline two"\n']
    rows += [b"L%d,u%d@x.com,%d,US\n" % (i, i, i % 50) for i in range(1, 160_000)]
    leads = write(tmp_path / "leads.csv", b"".join(rows))
    assert leads.stat().st_size >= 4 * 1024 * 1024  # auto gives it to DuckDB
    auto = eval_with("auto", rules, leads)
    python = eval_with("python", rules, leads)
    assert (auto.returncode, auto.stderr) == (0, "")
    assert auto.stdout == python.stdout
    assert len(auto.stdout.splitlines()) == 160_000


def test_csv_options_values() -> None:
    assert csv_options(None, None).delimiter == ","
    assert csv_options("tab", "latin-1").delimiter == "\t"
    assert csv_options("\\t", "LATIN1").encoding == "iso8859-1"
    assert csv_options(None, "utf-8-sig").encoding == csv_options(None, "UTF8").encoding == "utf-8"


# Pieces of real exports and of broken ones: quotes, line breaks of three kinds, spaces, tabs,
# NUL, a BOM, bytes that are not UTF-8, cells DuckDB and the csv module might read differently.
_PIECES = [b"a@x.com", b"US", b"12", b"", b",", b",", b",", b'"', b'""', b"\n", b"\r\n", b"\r", b" ", b"\xe9",
           b"\xc3\xa9", b"x", b"\t", b";", b"1e3", b" 5", b"M\xc3\xbcnchen", b"\x00", b"\\", b"#", b"\x0b",
           b"\xef\xbb\xbf", b'"a"b']
_HEADERS = [b"id,email,employees,country", b"email,country", b"id,email,employees,country,note",
            b"\xef\xbb\xbfid,email,country"]


def _random_csv(rng: random.Random) -> bytes:
    header = rng.choice(_HEADERS)
    lines = [header]
    for index in range(rng.randint(0, 6)):
        if rng.random() < 0.6:
            cells = [b"L%d" % index, rng.choice([b"a@x.com", b"", b'"b@x.com"']), rng.choice([b"5", b"20", b"", b"x"]),
                     rng.choice([b"US", b'"line\none"', b'"De"', b""])]
            lines.append(b",".join(cells[: header.count(b",") + 1]))
        else:
            lines.append(b"".join(rng.choice(_PIECES) for _ in range(rng.randint(0, 8))))
    return b"\n".join(lines) + rng.choice([b"\n", b"\r\n", b""])


def test_both_engines_read_random_csv_files_to_the_same_records(rules: Path, tmp_path: Path) -> None:
    model = load_file(rules).model
    assert model is not None
    rng = random.Random(20261122)
    read_by_duckdb = 0
    for case in range(100):
        data = _random_csv(rng)
        leads = write(tmp_path / "leads.csv", data)
        python_text = python_engine_text(model, leads)
        duckdb_text, duckdb_read = duckdb_engine_text(model, leads, tmp_path / "out.jsonl")
        assert duckdb_text == python_text, (case, data)
        read_by_duckdb += duckdb_read
    assert read_by_duckdb >= 20  # DuckDB reads the clean files itself: the comparison means something


@pytest.mark.parametrize(("data", "rows"), [
    # a quote open at the end of a file without a final line break
    (b'h,x\na,"b', [(1, ["h", "x"]), (2, "line 2: a quote opened in this record is never closed")]),
    # a quote closed on a later line is one record over two lines
    (b'h,x\na,"b\nc,"d\ne,f', [(1, ["h", "x"]), (2, ["a", "b\nc,d"]), (4, ["e", "f"])]),
    # a record that cannot be decoded on its second line: its later lines are read again
    (b'h,x\na,"b\nc\xe9\nd"\ne,f\n', [
        (1, ["h", "x"]),
        (2, "line 3 is not utf-8 text (byte 0xe9 at byte 2 of the line); see --encoding"),
        (3, "line 3 is not utf-8 text (byte 0xe9 at byte 2 of the line); see --encoding"),
        (4, ['d"']), (5, ["e", "f"])]),
    # blank lines are not records; line numbers count them
    (b"h,x\r\na,b\r\n\r\n\nc,d", [(1, ["h", "x"]), (2, ["a", "b"]), (5, ["c", "d"])]),
])
def test_csv_rows_recover_line_by_line(data: bytes, rows: list[tuple[int, object]]) -> None:
    assert list(csv_rows(io.BytesIO(data))) == rows
