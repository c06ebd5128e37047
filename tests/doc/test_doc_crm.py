"""`leadrules doc` shows each `crm` block: its property and the value of every stage, with the
comments written beside them; a ruleset without one gets no CRM section."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import html5lib

from crm_texts import CRM_RULES

CRM_SECTION = '''## CRM mapping

`leadrules eval --crm NAME` adds to each result the CRM value of the stage it ends in.

### hubspot: `lifecyclestage`

The HubSpot lifecycle stage.

| Stage | CRM value | Note |
|---|---|---|
| Lead | `lead` | a new contact |
| MQL | `marketingqualifiedlead` |  |
| SQL | `salesqualifiedlead` |  |
| Disqualified | `other` |  |

### salesforce: `Status`

| Stage | CRM value |
|---|---|
| Lead | `Open - Not Contacted` |
| MQL | `Working, "qualified"` |
| SQL | `Qualified` |

## Handoff
'''


def test_markdown_has_a_crm_section_before_the_handoff(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "crm.rules"
    rules.write_text(CRM_RULES, encoding="utf-8")
    result = run_cli("doc", str(rules))
    assert result.exit_code == 0, result.stderr
    assert CRM_SECTION in result.stdout
    assert result.stdout.count("## CRM mapping") == 1


def test_html_has_the_crm_tables(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "crm.rules"
    rules.write_text(CRM_RULES, encoding="utf-8")
    result = run_cli("doc", str(rules), "--format", "html")
    assert result.exit_code == 0, result.stderr
    parser = html5lib.HTMLParser(strict=True)
    parser.parse(result.stdout)
    assert '<h2 id="crm-mapping">CRM mapping</h2>' in result.stdout
    assert "<h3>hubspot: <code>lifecyclestage</code></h3>" in result.stdout
    assert "<tr><td>Lead</td><td><code>lead</code></td><td>a new contact</td></tr>" in result.stdout
    assert "<tr><td>MQL</td><td><code>Working, &#34;qualified&#34;</code></td><td></td></tr>" in result.stdout


def test_no_crm_block_no_crm_section(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    rules = tmp_path / "plain.rules"
    rules.write_text(CRM_RULES.split("# The HubSpot")[0], encoding="utf-8")
    result = run_cli("doc", str(rules))
    assert result.exit_code == 0, result.stderr
    assert "CRM" not in result.stdout
