"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a data directory
and a unix socket directory under /tmp, stopped and deleted at the end of the session.

The server listens only on its unix socket (no TCP), with `trust` authentication inside a
directory only its owner (and root) can enter. PostgreSQL refuses to run as root, so as root
the server runs as the `postgres` user the Debian package creates (`nobody` without it).
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

SEARCH_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "leadrules"
START_TIMEOUT = 60  # seconds; initdb and the first start on a busy 2-core machine


def in_ci() -> bool:
    """CI systems set CI=true; there a missing server is a broken setup, not an optional extra."""
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def unavailable(reason: str) -> NoReturn:
    """Skip locally with the reason shown; fail under CI, where the server must be installed."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so the PostgreSQL tests must run)", pytrace=False)
    pytest.skip(reason)


def find_bin_dir(search_root: Path = SEARCH_ROOT) -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` with initdb and pg_ctl, else one on PATH."""
    candidates = []
    if search_root.is_dir():
        for version_dir in search_root.iterdir():
            bin_dir = version_dir / "bin"
            if (bin_dir / "initdb").is_file() and (bin_dir / "pg_ctl").is_file():
                version = int(version_dir.name) if version_dir.name.isdigit() else 0
                candidates.append((version, bin_dir))
    if candidates:
        return max(candidates)[1]
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if initdb and pg_ctl and Path(initdb).parent == Path(pg_ctl).parent:
        return Path(initdb).parent
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class ServerUser:
    """Who runs the server processes: the current user, or an unprivileged one when root."""

    uid: int
    gid: int

    @classmethod
    def for_current_process(cls) -> ServerUser:
        if os.geteuid() != 0:
            return cls(os.geteuid(), os.getegid())
        for name in ("postgres", "nobody"):
            try:
                entry = pwd.getpwnam(name)
            except KeyError:
                continue
            return cls(entry.pw_uid, entry.pw_gid)
        unavailable("running as root and neither a 'postgres' nor a 'nobody' user exists to run PostgreSQL")

    def run(self, args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
        switch: dict[str, Any] = {}
        if self.uid != os.geteuid():
            switch = {"user": self.uid, "group": self.gid, "extra_groups": []}
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C", "HOME": str(cwd)}
        return subprocess.run(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=START_TIMEOUT, check=False, **switch,
        )


@dataclass(frozen=True)
class PostgresServer:
    """A running server: connect with `conninfo` (libpq keyword/value string)."""

    socket_dir: Path
    port: int
    user: str = SUPERUSER
    dbname: str = "postgres"

    @property
    def conninfo(self) -> str:
        return f"host={self.socket_dir} port={self.port} user={self.user} dbname={self.dbname}"


def _check(result: subprocess.CompletedProcess[str], what: str, log: Path | None = None) -> None:
    if result.returncode == 0:
        return
    details = (result.stdout + result.stderr).strip()
    if log is not None and log.is_file():
        details += "\n" + log.read_text(errors="replace")[-2000:]
    raise RuntimeError(f"{what} failed with exit status {result.returncode}:\n{details}")


@contextmanager
def postgres_server(bin_dir: Path) -> Iterator[PostgresServer]:
    """initdb, start, yield, stop (immediate) and delete everything, also when a step fails."""
    runner = ServerUser.for_current_process()
    base = Path(tempfile.mkdtemp(prefix="leadrules-pg-", dir="/tmp"))
    try:
        os.chown(base, runner.uid, runner.gid)
        base.chmod(0o700)
        data, sockets, log = base / "data", base / "socket", base / "server.log"
        port = _free_port()
        _check(runner.run([str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
                           "--encoding=UTF8", "--no-locale", "--no-sync"], base), "initdb")
        sockets.mkdir()
        os.chown(sockets, runner.uid, runner.gid)
        options = (f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off "
                   "-c synchronous_commit=off -c TimeZone=UTC")
        start = runner.run([str(bin_dir / "pg_ctl"), "start", "-w", "-t", str(START_TIMEOUT), "-D", str(data),
                            "-l", str(log), "-o", options], base)
        try:
            _check(start, "pg_ctl start", log)
            yield PostgresServer(sockets, port)
        finally:
            if (data / "postmaster.pid").exists():
                runner.run([str(bin_dir / "pg_ctl"), "stop", "-w", "-m", "immediate", "-D", str(data)], base)
    finally:
        shutil.rmtree(base, ignore_errors=True)
