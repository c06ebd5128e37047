"""The HTML of `leadrules report` in a real headless browser (Debian's `chromium`), with every
host name unresolvable: it draws a page that is not blank, with its charts, no console message
and no request. Skipped, with the reason, where no chromium is installed; with CI=true a
missing browser fails instead, so CI never passes without running it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_leads import AS_OF_TEXT, write_leads

from headless_browser import browser_or_skip, dump_dom_offline, page_requests, png_rows, screenshot_offline
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("ruleset", sorted((REPO / "rulesets").glob("*.rules")), ids=lambda p: p.stem)
def test_report_draws_offline_without_errors(ruleset: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    browser = browser_or_skip()
    model = load_file(ruleset).model
    assert model is not None
    leads = write_leads(tmp_path / "leads.jsonl", model, 300)
    page = tmp_path / "report.html"
    assert run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "-o", str(page)).exit_code == 0
    ran = screenshot_offline(browser, page, tmp_path, 1200, 2000)
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "CONSOLE" not in ran.stderr, ran.stderr[-2000:]
    assert page_requests(tmp_path / "net.json") == []
    width, height, rows = png_rows((tmp_path / "shot.png").read_bytes())
    assert (width, height) == (1200, 2000)
    # a blank page is one colour; the report draws text, tables and coloured bar charts
    assert len(set(rows)) > 50
    # the charts are in the page the browser built: the funnel, the reasons, one histogram per score
    dom = dump_dom_offline(browser, page, tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 2 + len(model.scores)
    assert '<div class="chart" id="chart-funnel"><svg' in dom.stdout
