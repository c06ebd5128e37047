"""The HTML of `leadrules report` in a real headless browser (Debian's `chromium`), with every
host name unresolvable: it draws a page that is not blank, with its charts, no console message
and no request. Skipped, with the reason, where no chromium is installed; with CI=true a
missing browser fails instead, so CI never passes without running it."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from report_leads import AS_OF_TEXT, write_leads

from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]
BROWSER = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)


def _browser() -> str:
    if BROWSER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and no chromium installed (.ci/run installs Debian's `chromium`)")
        pytest.skip("no chromium on this machine (Debian package `chromium`)")
    return BROWSER


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page asked for: requests whose isolation key is the page's own file:// origin."""
    events = json.loads(net_log.read_text(encoding="utf-8"))["events"]
    return sorted({e["params"]["url"] for e in events
                   if "url" in e.get("params", {}) and "file://" in e["params"].get("network_isolation_key", "")})


def _png_rows(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and the decompressed scanlines (filter bytes included) of a PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, width, height, chunks = 8, 0, 0, []
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        kind = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    return width, height, zlib.decompress(b"".join(chunks))


@pytest.mark.parametrize("ruleset", sorted((REPO / "rulesets").glob("*.rules")), ids=lambda p: p.stem)
def test_report_draws_offline_without_errors(ruleset: Path, tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    browser = _browser()
    model = load_file(ruleset).model
    assert model is not None
    leads = write_leads(tmp_path / "leads.jsonl", model, 300)
    page = tmp_path / "report.html"
    assert run_cli("report", str(ruleset), str(leads), "--as-of", AS_OF_TEXT, "-o", str(page)).exit_code == 0
    shot = tmp_path / "shot.png"
    ran = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", f"--log-net-log={tmp_path / 'net.json'}",
         f"--screenshot={shot}", "--window-size=1200,2000", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert "CONSOLE" not in ran.stderr, ran.stderr[-2000:]
    assert _page_requests(tmp_path / "net.json") == []
    width, height, rows = _png_rows(shot.read_bytes())
    assert (width, height) == (1200, 2000)
    # a blank page is one colour; the report draws text, tables and coloured bar charts
    assert len(set(rows)) > 50
    # the charts are in the page the browser built: the funnel, the reasons, one histogram per score
    dom = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND", "--dump-dom",
         page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count("<svg") == 2 + len(model.scores)
    assert '<div class="chart" id="chart-funnel"><svg' in dom.stdout
