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
import signal
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

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


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class KillablePostgres:
    """A PostgreSQL server of the tests' own: ``initdb`` in a new folder, its own port on
    127.0.0.1, started and killed (``kill -9``) at will, so that faults harm no other server.

    The binaries are the ``pgserver`` package's (in the test extra). As root, the server runs as
    the ``pgserver`` user that package creates (PostgreSQL refuses to run as root).
    """

    def __init__(self) -> None:
        import pgserver._commands as commands

        self.bin = Path(commands.POSTGRES_BIN_PATH)
        self.user: str | None = None
        self.folder = Path(tempfile.mkdtemp(prefix="dedup-pgkill-"))
        self.data = self.folder / "data"
        if os.geteuid() == 0:
            from pgserver.utils import (
                ensure_folder_permissions,
                ensure_prefix_permissions,
                ensure_user_exists,
            )

            self.user = "pgserver"
            entry = ensure_user_exists(self.user)
            assert entry is not None
            ensure_prefix_permissions(self.bin)
            ensure_folder_permissions(self.bin, stat.S_IRGRP | stat.S_IROTH | stat.S_IXGRP | stat.S_IXOTH)
            ensure_folder_permissions(self.bin.parent / "lib", stat.S_IRGRP | stat.S_IROTH)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.port = _free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._run([str(self.bin / "initdb"), "-D", str(self.data), "--auth=trust", "-U", "postgres",
                   "--encoding=utf8", "--no-sync"])

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, args: list[str]) -> None:
        done = subprocess.run(args, user=self.user, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    def start(self) -> None:
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 - the server keeps it
        self.process = subprocess.Popen(
            [str(self.bin / "postgres"), "-D", str(self.data), "-p", str(self.port), "-h", "127.0.0.1",
             "-k", str(self.folder), "-c", "fsync=off", "-c", "max_connections=60"],
            user=self.user, stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 60
        while not answers(self.url, timeout=1):
            assert self.process.poll() is None, (self.folder / "server.log").read_text()[-2000:]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def kill(self) -> None:
        """kill -9 the postmaster, and wait until its backends are gone too."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        deadline = time.monotonic() + 30
        while self._backends() and time.monotonic() < deadline:
            time.sleep(0.1)

    def _backends(self) -> list[int]:
        found = []
        for status in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                if str(self.data).encode() in status.read_bytes():
                    found.append(int(status.parent.name))
            except OSError:
                pass
        return found

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def required(missing: str, how: str, module: bool = False) -> NoReturn:
    """A test's need the machine does not meet: outside CI the test skips with one line (``how``
    says what would provide it); in CI (``CI`` set) nothing may be left out, so it fails."""
    if os.environ.get("CI"):
        raise RuntimeError(f"CI needs {missing} ({how})")
    pytest.skip(f"no {missing} here ({how})", allow_module_level=module)
