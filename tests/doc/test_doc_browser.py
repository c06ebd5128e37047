"""The HTML of `leadrules doc` in a real headless browser (Debian's `chromium`), with every host
name unresolvable: it draws a page that is not blank, with no console message and no failed
request. Skipped, with the reason, where no chromium is installed."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from leadrules.doc import document_for, render
from leadrules.workspace import load_file

REPO = Path(__file__).resolve().parents[2]
BROWSER = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)

pytestmark = pytest.mark.skipif(BROWSER is None, reason="no chromium on this machine (Debian package `chromium`)")


def _page_requests(net_log: Path) -> list[str]:
    """URLs the page asked the network for: requests whose isolation key is the page's own
    file:// origin (the browser's background requests have other keys)."""
    events = json.loads(net_log.read_text(encoding="utf-8"))["events"]
    return sorted({e["params"]["url"] for e in events
                   if "url" in e.get("params", {}) and "file://" in e["params"].get("network_isolation_key", "")})


def _png_pixels(data: bytes) -> tuple[int, int, bytes]:
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
def test_page_draws_offline_without_errors(ruleset: Path, tmp_path: Path) -> None:
    assert BROWSER is not None
    loaded = load_file(ruleset)
    assert loaded.module is not None and loaded.model is not None
    page = tmp_path / "doc.html"
    page.write_text(render(document_for(loaded.module, loaded.model, loaded.source), "html"), encoding="utf-8")
    shot = tmp_path / "doc.png"
    ran = subprocess.run(
        [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
         f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
         "--enable-logging=stderr", "--v=0", f"--log-net-log={tmp_path / 'net.json'}", "--window-size=1200,1600", f"--screenshot={shot}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    log = ran.stderr
    assert "CONSOLE" not in log, log[-2000:]
    assert _page_requests(tmp_path / "net.json") == []
    width, height, pixels = _png_pixels(shot.read_bytes())
    assert (width, height) == (1200, 1600)
    # a blank page is one colour; the document draws text, tables and the funnel boxes
    assert len(set(pixels)) > 50
