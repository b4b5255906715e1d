"""The services some tests need: found on the machine, or brought from Python packages.

PostgreSQL, in this order: the URL in ``DEDUP_TEST_POSTGRES``; a server answering on the default
local port (``postgresql://postgres@127.0.0.1:5432/postgres``, the development machines' and
CI's); otherwise a throwaway server started from the ``pgserver`` package for the test session.
``DEDUP_TEST_POSTGRES=embedded`` asks for the throwaway server. In CI (``CI`` set) the default
server must answer: a CI run that quietly fell back would not test the machine's server.

Chromium or Chrome for the report's browser tests: found on the ``PATH``; outside CI the tests
skip with one line when there is none, in CI they fail.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
EMBEDDED = "embedded"


def answers(url: str, timeout: int = 2) -> bool:
    """Whether a PostgreSQL server answers at ``url``."""
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=timeout, autocommit=True) as connection:
            connection.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def postgres_choice(environ: dict[str, str] | os._Environ[str] = os.environ) -> str:
    """The admin URL the tests use, or ``embedded`` for a throwaway server (see the module)."""
    chosen = environ.get("DEDUP_TEST_POSTGRES", "").strip()
    if chosen:
        return chosen
    if answers(DEFAULT_POSTGRES):
        return DEFAULT_POSTGRES
    if environ.get("CI"):
        raise RuntimeError(f"CI needs the machine's PostgreSQL at {DEFAULT_POSTGRES} (or DEDUP_TEST_POSTGRES)")
    return EMBEDDED


@contextmanager
def embedded_postgres() -> Iterator[str]:
    """A PostgreSQL server of the ``pgserver`` package in a new folder, stopped and removed at the
    end; yields its admin URL (a Unix socket in that folder)."""
    import pgserver

    folder = tempfile.mkdtemp(prefix="dedup-pg-")  # short: a socket path has at most ~100 bytes
    server = pgserver.get_server(folder, cleanup_mode="stop")
    try:
        yield server.get_uri()
    finally:
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


def chromium() -> str | None:
    """The path of a Chromium or Chrome found on the ``PATH``, or None."""
    names = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
    return next((found for found in map(shutil.which, names) if found), None)
