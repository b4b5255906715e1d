"""The shared store's connection to PostgreSQL, which comes back after it was lost.

A server restart, a failover, an idle timeout of a proxy or ``pg_terminate_backend`` close the
connection under a long-running process. :class:`Connection` notices (psycopg marks the
connection broken; a connection idle for a while is asked once before use) and connects again,
waiting with exponential backoff up to the store's timeout; then the caller runs its
transaction again (see :class:`~dedup.errors.StoreDisconnected`). Every write of the engine is
idempotent by document id and content, so a transaction whose commit was under way when the
connection went is not doubled when it runs again.

>>> safe_url("postgresql://dedup:s3cret@db.internal:5432/news?sslmode=require&password=s3cret")
'postgresql://dedup@db.internal:5432/news?sslmode=require&password=***'
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from dedup.errors import StoreError

log = logging.getLogger("dedup")

IDLE_CHECK = 5.0
"""A connection unused for this many seconds is asked (``SELECT 1``) before it is used again."""


def safe_url(url: str) -> str:
    """``url`` without its password (in the address or in its query), for messages."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        host = parts.hostname or ""
        user = f"{parts.username}@" if parts.username else ""
        port = f":{parts.port}" if parts.port else ""
        netloc = f"{user}{host}{port}"
    query = parts.query
    if "password" in query.lower():
        pairs = [(key, "***" if key.lower() == "password" else value)
                 for key, value in parse_qsl(query, keep_blank_values=True)]
        query = urlencode(pairs, safe="*/")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def store_error(location: str, exc: Exception) -> StoreError:
    """The error to raise for a failed statement; a refused privilege says how to grant it."""
    message = f"{safe_url(location)}: {str(exc).strip()}"
    if getattr(exc, "sqlstate", None) == "42501":  # insufficient_privilege
        message += ("; this role may not write the index: an administrator grants it with "
                    "`dedup init-db --db URL --writer ROLE`")
    return StoreError(message)


class Connection:
    """One autocommit psycopg connection to ``url``, connected again when it is lost."""

    def __init__(self, url: str, timeout: float) -> None:
        import psycopg

        self._psycopg = psycopg
        self.url = url
        self.timeout = timeout
        try:
            self._db = self._connect()
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to {safe_url(url)}: {str(exc).strip()}") from exc
        self._used = time.monotonic()
        self.reconnects = 0
        """How many times the connection was made again."""

    def _connect(self) -> Any:
        return self._psycopg.connect(self.url, autocommit=True, connect_timeout=max(1, int(min(self.timeout, 10))))

    def current(self, check: bool = True) -> Any:
        """The connection; with ``check`` (outside a transaction), a broken one, or one idle for
        :data:`IDLE_CHECK` seconds that does not answer, is made again first."""
        db = self._db
        if check:
            now = time.monotonic()
            if self.lost() or (now - self._used > IDLE_CHECK and not self._answers()):
                db = self.reconnect("the connection was closed while it was idle")
            self._used = now
        return db

    def execute(self, query: Any, params: Any = None) -> Any:
        """Run one statement outside a transaction (autocommit); if the connection turns out to be
        lost, connect again and run it once more (outside a transaction a statement is whole or
        not at all, and the engine runs only reads this way)."""
        db = self.current()
        try:
            return db.execute(query, params)
        except self._psycopg.Error as exc:
            if not self.disconnected(exc):
                raise store_error(self.url, exc) from exc
            db = self.reconnect(str(exc))
        try:
            return db.execute(query, params)
        except self._psycopg.Error as exc:
            raise store_error(self.url, exc) from exc

    def __getattr__(self, name: str) -> Any:
        # everything else (cursor, transaction, ...) is the current psycopg connection's
        return getattr(self.current(), name)

    def disconnected(self, exc: BaseException) -> bool:
        """Whether ``exc`` means the connection is gone: psycopg marked it broken or closed, or the
        error is a connection failure (SQLSTATE class 08, none at all) or the server shutting
        down (57P01-57P03; psycopg may not have marked the connection yet when that arrives)."""
        if self.lost():
            return True
        if not isinstance(exc, self._psycopg.OperationalError):
            return False
        state = getattr(exc, "sqlstate", None)
        return state is None or state.startswith(("08", "57P"))

    def lost(self) -> bool:
        """Whether the connection is closed or broken (psycopg's view after the last statement)."""
        return bool(self._db.closed or self._db.broken)

    def _answers(self) -> bool:
        try:
            self._db.execute("SELECT 1")
        except self._psycopg.OperationalError:
            return False
        return True

    def reconnect(self, cause: str) -> Any:
        """Connect again, waiting 0.2 s, 0.4 s, ... (at most 5 s apart) until the store's timeout;
        a :class:`~dedup.errors.StoreError` saying so when the server did not come back."""
        self.close()
        started = time.monotonic()
        delay = 0.2
        while True:
            try:
                self._db = self._connect()
                break
            except self._psycopg.OperationalError as exc:
                waited = time.monotonic() - started
                if waited + delay > self.timeout:
                    raise StoreError(f"lost the connection to {safe_url(self.url)} ({cause}) and the server did not "
                                     f"answer again within {self.timeout:.0f} s (--timeout): {str(exc).strip()}") from exc
                time.sleep(delay)
                delay = min(delay * 2, 5.0)
        self.reconnects += 1
        log.warning("lost the connection to %s (%s); connected again after %.1f s", safe_url(self.url),
                    cause.strip(), time.monotonic() - started)
        self._used = time.monotonic()
        return self._db

    def close(self) -> None:
        with contextlib.suppress(self._psycopg.Error):  # already gone
            self._db.close()
