"""Fixtures of the SQL tests: a real PostgreSQL server for the exported Postgres SQL.

`postgres` starts one throwaway server per test session (see pg_server.py) and stops it at
the end. Without the server binaries (Debian: `apt-get install postgresql`) or psycopg
(the `test` extra) the tests that use it are skipped with the reason; under CI=true they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .pg_server import PostgresServer, find_bin_dir, postgres_server, unavailable


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found under /usr/lib/postgresql/*/bin "
                    "or on PATH; install them with `apt-get install postgresql`")
    with postgres_server(bin_dir) as server:
        yield server


@pytest.fixture(scope="session")
def pg_connection(postgres: PostgresServer) -> Iterator[Any]:
    """One connection for the session; each use runs in a transaction it rolls back."""
    try:
        import psycopg
    except ImportError:
        unavailable("psycopg is not installed; `pip install -e '.[test]'` installs it")
    with psycopg.connect(postgres.conninfo) as connection:
        yield connection
