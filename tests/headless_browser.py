"""A real headless browser (Debian's `chromium`) for the tests of generated HTML pages: it opens a
page with every host name unresolvable, records the network log and a screenshot, and the helpers
here read both back."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

BROWSER = next((found for name in ("chromium", "chromium-browser") if (found := shutil.which(name))), None)
NO_BROWSER = "no chromium on this machine (Debian package `chromium`)"

# headless, no network names, no background traffic of the browser's own
OFFLINE_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
                 "--host-resolver-rules=MAP * ~NOTFOUND")


def browser_or_skip() -> str:
    """The browser; without one the test is skipped, or fails with CI=true so CI never passes
    without running it."""
    if BROWSER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true and no chromium installed (.ci/run installs Debian's `chromium`)")
        pytest.skip(NO_BROWSER)
    return BROWSER


def screenshot_offline(browser: str, page: Path, workdir: Path, width: int, height: int) -> subprocess.CompletedProcess[str]:
    """Open `page` and save `workdir/shot.png` (width x height) and the network log
    `workdir/net.json`; the browser's messages are in the result's stderr."""
    return subprocess.run(
        [browser, *OFFLINE_FLAGS, f"--user-data-dir={workdir / 'profile'}",
         "--enable-logging=stderr", "--v=0", f"--log-net-log={workdir / 'net.json'}",
         f"--screenshot={workdir / 'shot.png'}", f"--window-size={width},{height}", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )


def dump_dom_offline(browser: str, page: Path, workdir: Path) -> subprocess.CompletedProcess[str]:
    """Open `page` and print the document the browser built (after scripts) to the result's stdout."""
    return subprocess.run(
        [browser, *OFFLINE_FLAGS, f"--user-data-dir={workdir / 'profile'}", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )


def page_requests(net_log: Path) -> list[str]:
    """URLs the page asked the network for: requests whose isolation key is the page's own
    file:// origin (the browser's background requests have other keys)."""
    events = json.loads(net_log.read_text(encoding="utf-8"))["events"]
    return sorted({e["params"]["url"] for e in events
                   if "url" in e.get("params", {}) and "file://" in e["params"].get("network_isolation_key", "")})


def png_rows(data: bytes) -> tuple[int, int, bytes]:
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
