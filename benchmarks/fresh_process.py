"""One command timed in a fresh process: wall seconds and the peak resident memory of the
process tree it started (the child's maxrss), for the benchmark scripts of this folder."""

from __future__ import annotations

import subprocess
import sys

_MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)\n"
    "elapsed = time.perf_counter() - start\n"
    "print(done.returncode, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
)


def measure(command: list[str], name: str) -> tuple[float, float]:
    """(seconds, peak MiB) of one command; exit statuses 0 and 3 (some records invalid) count
    as success, anything else ends the benchmark naming `name`."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *command], capture_output=True, text=True, check=True)
    code, seconds, peak_kib = out.stdout.split()
    if int(code) not in (0, 3):
        raise SystemExit(f"{name} failed with exit status {code}")
    return float(seconds), int(peak_kib) / 1024
