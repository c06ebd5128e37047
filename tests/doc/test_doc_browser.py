"""The HTML of `leadrules doc` in a real headless browser (Debian's `chromium`), with every host
name unresolvable: it draws a page that is not blank, with no console message and no failed
request. Skipped, with the reason, where no chromium is installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from headless_browser import BROWSER, NO_BROWSER, page_requests, png_rows, screenshot_offline
from leadrules.doc import document_for, render
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(BROWSER is None, reason=NO_BROWSER)


@pytest.mark.parametrize("ruleset", sorted((REPO / "rulesets").glob("*.rules")), ids=lambda p: p.stem)
def test_page_draws_offline_without_errors(ruleset: Path, tmp_path: Path) -> None:
    assert BROWSER is not None
    loaded = load_file(ruleset)
    assert loaded.module is not None and loaded.model is not None
    page = tmp_path / "doc.html"
    page.write_text(render(document_for(loaded.module, loaded.model, loaded.source), "html"), encoding="utf-8")
    ran = screenshot_offline(BROWSER, page, tmp_path, 1200, 1600)
    assert ran.returncode == 0, ran.stderr[-2000:]
    log = ran.stderr
    assert "CONSOLE" not in log, log[-2000:]
    assert page_requests(tmp_path / "net.json") == []
    width, height, pixels = png_rows((tmp_path / "shot.png").read_bytes())
    assert (width, height) == (1200, 1600)
    # a blank page is one colour; the document draws text, tables and the funnel boxes
    assert len(set(pixels)) > 50
