"""`email.domain` under `starts with`, `ends with` and `contains`: the domain is a string.

`check` used to stop with an internal error (the email was encoded as a label index while the
text test needed the text). A text that no domain can contain (an '@', an ASCII capital) is
decided without string search.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from leadrules.config import Config
from leadrules.lint.context import LintContext

from .helpers import evaluate, lint_text

DOMAINS = """\
ruleset "domains" version "1"
field email: email
field size: integer in 1..10
disqualify edu "Student" if email.domain ends with ".edu"
disqualify gov "Government" at SQL if email.domain starts with "gov." or email.domain contains ".gov."
disqualify shout "Upper case" if email.domain contains "EDU"
disqualify local "Local part" if email.domain starts with "pat@"
stages Lead -> MQL -> SQL
stage MQL if size > 5
stage SQL if size > 8
route SQL:
    to "academic" if email.domain ends with ".ac.uk"
    to "uk" if email.domain ends with ".uk"
    otherwise to "rest"
"""

# a generous solver budget: these answers must not depend on how busy the machine is
ROOMY = Config(solver_timeout_ms=60_000)


def test_check_reports_exact_findings(tmp_path: Path, run_cli: Any) -> None:
    path = tmp_path / "domains.rules"
    path.write_text(DOMAINS, encoding="utf-8")
    (tmp_path / "leadrules.toml").write_text("solver-timeout-ms = 60000\n", encoding="utf-8")
    result = run_cli("check", "--format", "json", str(path))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    found = json.loads(result.stdout)
    assert [(d["code"], d["line"], d["column"], d["message"]) for d in found] == [
        ("LR203", 6, 1, "disqualifier 'shout' can never fire: `email.domain contains \"EDU\"` is never true "
                        "for a valid lead"),
        ("LR403", 6, 34, "`email.domain contains \"EDU\"` is always false for a valid lead"),
        ("LR203", 7, 1, "disqualifier 'local' can never fire: `email.domain starts with \"pat@\"` is never true "
                        "for a valid lead"),
        ("LR403", 7, 34, "`email.domain starts with \"pat@\"` is always false for a valid lead"),
        ("LR301", 13, 5, "route entries to 'academic' and 'uk' match the same lead in 'SQL'; the first wins"),
    ]


def test_overlap_witness_reproduces() -> None:
    model, found = lint_text(DOMAINS, ROOMY)
    overlap = [d for d in found if d.code == "LR301"]
    assert len(overlap) == 1 and overlap[0].witness is not None
    outcome = evaluate(model, overlap[0].witness)
    assert outcome.record["stage"] == "SQL"
    assert outcome.record["route"] == "academic"
    assert outcome.routes["SQL"] == (True, True)


def _firing_witness(text: str, code: str) -> dict[str, Any]:
    model, _ = lint_text(text, ROOMY)
    ctx = LintContext.create(model, ROOMY)
    index = [d.code for d in model.disqualifiers].index(code)
    fires = ctx.encoding.fires(model.disqualifiers[index])
    answer = ctx.ask(fires)
    assert answer.status == "sat"
    witness = ctx.witness_for(answer, (fires,))
    assert witness is not None
    outcome = evaluate(model, witness)
    assert outcome.fires[index] is True
    return witness.lead


def test_every_text_test_on_a_domain_has_a_reproducing_witness() -> None:
    assert _firing_witness(DOMAINS, "edu")["email"].lower().endswith(".edu")
    gov = _firing_witness(DOMAINS, "gov")["email"]
    domain = gov[gov.rindex("@") + 1:].lower()
    assert domain.startswith("gov.") or ".gov." in domain


def test_domain_text_test_beside_the_raw_email() -> None:
    text = ('ruleset "raw" version "1"\nfield email: email\nfield size: integer in 1..10\n'
            'disqualify info "Info address" if email starts with "info@" and email.domain ends with ".edu"\n'
            "stages Lead -> MQL\nstage MQL if size > 5\n")
    _, found = lint_text(text, ROOMY)
    assert found == []
    lead = _firing_witness(text, "info")
    assert lead["email"].startswith("info@") and lead["email"].lower().endswith(".edu")


def test_domain_compared_with_a_text_field_and_tested() -> None:
    # `.domain` compared with computed text and with a text test: both read it as a string
    text = ('ruleset "both" version "1"\nfield email: email\nfield company: text optional\n'
            'disqualify own "Own domain" if email.domain == company and email.domain contains "."\n'
            'disqualify never "Never" if email.domain == "Acme.com"\n')
    _, found = lint_text(text, ROOMY)
    assert [(d.code, d.span.line, d.span.column) for d in found] == [("LR203", 5, 1), ("LR403", 5, 29)]
    assert "company" in _firing_witness(text, "own")
