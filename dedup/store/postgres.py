"""The shared store: one PostgreSQL database, many writers and readers at once.

``Index("postgresql://user@host:5432/db")`` (or ``--db postgresql://...``) opens it; the tables
are created on first use (under an advisory lock, so that writers starting together do not race
to create them) with a schema version, and the configuration is stored in the database and
checked on open, as for SQLite. Needs the optional extra ``dedup[postgres]`` (psycopg 3).

How many writers stay correct (see :class:`PostgresStore`):

- a document's rows (document, band keys, verified edges) are plain inserts, which never wait
  for another writer;
- what writers share and update (site statistics, cluster labels) is gathered during the
  transaction and written at its end in one global order (sites, line keys, source names,
  labels each sorted), so two writers never wait for each other in a cycle; a deadlock or a
  clash over a document id that PostgreSQL still reports becomes :class:`StoreConflict`, and
  the engine runs the batch again;
- two near-duplicates added at the same moment by two writers cannot both miss each other:
  the engine looks in its buckets again after each commit (:meth:`dedup.engines.incremental.index.Index.add_many`)
  and links what another writer committed meanwhile;
- common shingles are written as a new version in a connection of their own, committed at
  once, so that a refresh never holds the other writers back.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.errors import StoreConflict, StoreDisconnected, StoreError
from dedup.store.base import Backend, StoreBase
from dedup.store.origins import ORIGINS_SCHEMA, OriginTable
from dedup.store.pg_connection import Connection, safe_url, store_error
from dedup.store.records import (
    DOCUMENT_COLUMNS,
    CommonSet,
    Edge,
    Link,
    PackedDocument,
    SiteCounts,
    StoredDocument,
    pack_text,
    stored_document,
    unpack_text,
)

SCHEMA_VERSION = 1
_SCHEMA_LOCK = 0x6465647570  # "dedup": serialises the creation of the tables
_SCHEMA = """
CREATE TABLE IF NOT EXISTS dedup_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    n BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    digest BYTEA NOT NULL,
    record BYTEA NOT NULL,
    body BYTEA NOT NULL,
    line_keys BYTEA NOT NULL,
    size INTEGER NOT NULL,
    cluster BIGINT NOT NULL,
    rank BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_cluster ON docs (cluster);
CREATE INDEX IF NOT EXISTS docs_rank ON docs (rank);
CREATE TABLE IF NOT EXISTS bands (key BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY (key, n));
CREATE TABLE IF NOT EXISTS edges (
    a BIGINT NOT NULL, b BIGINT NOT NULL, inter INTEGER NOT NULL, jaccard DOUBLE PRECISION NOT NULL,
    containment DOUBLE PRECISION NOT NULL, PRIMARY KEY (a, b));
CREATE INDEX IF NOT EXISTS edges_b ON edges (b);
CREATE TABLE IF NOT EXISTS site_docs (site TEXT PRIMARY KEY, docs BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS site_lines (key BIGINT PRIMARY KEY, count BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS site_sources (site TEXT NOT NULL, name TEXT NOT NULL, count BIGINT NOT NULL,
    PRIMARY KEY (site, name));
CREATE TABLE IF NOT EXISTS common_sets (version BIGINT PRIMARY KEY, hashes BYTEA NOT NULL);
""" + ORIGINS_SCHEMA
_TABLES = ("docs", "bands", "edges", "site_docs", "site_lines", "site_sources", "common_sets", "dedup_meta", "origins")


def _signed(value: int) -> int:
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def is_postgres_url(location: str) -> bool:
    """Whether ``location`` names a PostgreSQL database rather than a SQLite file.

    >>> is_postgres_url("postgresql://postgres@127.0.0.1:5432/news"), is_postgres_url("news.db")
    (True, False)
    """
    return location.startswith(("postgresql://", "postgres://"))


class PostgresStore(OriginTable, StoreBase):
    mark = "%s"
    """A store in the PostgreSQL database at ``url`` (tables created on first use, unless ``readonly``).

    Every write happens in :meth:`transaction`; outside one, each statement commits alone.
    """

    shared = True
    """Other writers may add at the same moment (the engine looks again after each commit)."""

    def __init__(self, url: str, readonly: bool = False, timeout: float = 30.0) -> None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - the extra is part of the test install
            raise StoreError('a PostgreSQL index needs psycopg 3: pip install "dedup[postgres]"') from exc
        self._psycopg = psycopg
        self.location = url
        self.readonly = readonly
        self._depth = 0
        self._pending: _Pending = _Pending()
        self._connection = Connection(url, timeout)
        self._side: Any = None
        try:
            prepare_schema(self.db, self.location, self.readonly)
        except BaseException:
            self._connection.close()
            raise

    @property
    def db(self) -> Any:
        """The connection; outside a transaction, one whose statements are run again on a new
        connection if it was lost (see :mod:`dedup.store.pg_connection`)."""
        return self._connection.current(check=False) if self._depth else self._connection

    def _scalar(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        row = self.db.execute(query, params).fetchone()
        assert row is not None, query
        return row[0]

    # --- opening and closing -------------------------------------------------------------------

    def writable(self) -> bool:
        """Whether this role may add to the index (a reader's may only read)."""
        return not self.readonly and bool(self._scalar("SELECT has_table_privilege('docs', 'INSERT')"))

    def close(self) -> None:
        if self._side is not None:
            self._side.close()
        self._connection.close()

    # --- configuration -------------------------------------------------------------------------

    def stored_config(self) -> Config | None:
        row = self.db.execute("SELECT value FROM dedup_meta WHERE key = 'config'").fetchone()
        if row is None:
            if self.readonly:
                raise StoreError(f"{safe_url(self.location)} is not a dedup index (no stored configuration)")
            return None
        return Config.from_dict(json.loads(row[0]))

    def save_config(self, config: Config) -> None:
        """Store the configuration unless a writer stored one first (read it back to compare)."""
        with self.transaction():
            self.db.execute("INSERT INTO dedup_meta VALUES ('config', %s) ON CONFLICT (key) DO NOTHING",
                            (config.to_json(),))

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested calls join the outer one). Shared rows are written at its
        end, in one global order; a clash with another writer raises :class:`StoreConflict`."""
        if self.readonly:
            raise StoreError(f"{safe_url(self.location)} is open read-only")
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        errors = self._psycopg.errors
        db = self._connection.current()  # made again here if it was lost while idle
        self._depth = 1
        self._pending = _Pending()
        try:
            with db.transaction():
                yield
                self._pending.flush(db)
        except (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation) as exc:
            raise StoreConflict(f"{safe_url(self.location)}: {str(exc).strip()} (the transaction was rolled back)") \
                from exc
        except self._psycopg.Error as exc:
            if not self._connection.disconnected(exc):
                raise store_error(self.location, exc) from exc
            self._connection.reconnect(str(exc))
            raise StoreDisconnected(f"{safe_url(self.location)}: the connection was lost during a transaction "
                                    f"({str(exc).strip()}); connected again, the transaction is run again") from exc
        finally:
            self._depth = 0
            self._pending = _Pending()

    def add(self, doc: StoredDocument, band_keys: Iterable[int], links: Iterable[Link], delta: SiteCounts) -> int:
        with self.db.cursor() as cursor:
            cursor.execute(
                "INSERT INTO docs (id, site, digest, record, body, line_keys, size, cluster, rank) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, -1, %s) RETURNING n",
                (doc.id, doc.site, doc.digest, pack_text(doc.record), pack_text(doc.body),
                 doc.line_keys.astype(np.uint64).tobytes(), doc.size, doc.rank))
            row = cursor.fetchone()
            assert row is not None
            n = int(row[0])
            self._pending.labels[n] = n
            cursor.executemany("INSERT INTO bands VALUES (%s, %s) ON CONFLICT DO NOTHING",
                               [(_signed(k), n) for k in sorted(set(band_keys))])
        self.link(n, links)
        self._pending.observe(delta)
        return n

    def link(self, number: int, links: Iterable[Link]) -> None:
        """Store verified edges between ``number`` and stored documents."""
        rows = sorted((min(m.number, number), max(m.number, number), m.inter, m.jaccard, m.containment) for m in links)
        if rows:
            with self.db.cursor() as cursor:
                cursor.executemany("INSERT INTO edges VALUES (%s, %s, %s, %s, %s) ON CONFLICT (a, b) DO UPDATE SET "
                                   "inter = EXCLUDED.inter, jaccard = EXCLUDED.jaccard, "
                                   "containment = EXCLUDED.containment", rows)

    def remove(self, number: int, delta: SiteCounts) -> None:
        label = self.db.execute("SELECT cluster FROM docs WHERE n = %s", (number,)).fetchone()
        self._pending.observe(delta)
        self._pending.labels.pop(number, None)
        self.db.execute("DELETE FROM bands WHERE n = %s", (number,))
        self.db.execute("DELETE FROM edges WHERE a = %s OR b = %s", (number, number))
        self.db.execute("DELETE FROM docs WHERE n = %s", (number,))
        if label is not None and label[0] == number:
            rest = self._scalar("SELECT MIN(n) FROM docs WHERE cluster = %s", (number,))
            if rest is not None:
                self.db.execute("UPDATE docs SET cluster = %s WHERE cluster = %s", (rest, number))

    def save_common(self, common: CommonSet) -> None:
        """Keep a new version of the common shingles, committed at once on a connection of its own
        (a refresh must not wait for, nor hold back, any writer's batch); older versions go."""
        if self.readonly:
            raise StoreError(f"{safe_url(self.location)} is open read-only")
        if self._side is None or self._side.closed or self._side.broken:
            self._side = Connection(self.location, self._connection.timeout).current(check=False)
        with self._side.transaction():
            self._side.execute("INSERT INTO common_sets VALUES (%s, %s) ON CONFLICT (version) DO NOTHING",
                               (common.version, common.hashes.astype(np.uint32).tobytes()))
            self._side.execute("DELETE FROM common_sets WHERE version < %s", (common.version,))

    def set_labels(self, labels: Iterable[tuple[int, int]]) -> None:
        """``(document, label)`` pairs: the cluster each document was last put in (written at commit)."""
        self._pending.labels.update(labels)

    def load(self, documents: Iterable[PackedDocument], bands: Iterable[tuple[np.ndarray, np.ndarray]],
             edges: Iterable[Edge], sites: SiteCounts, common: CommonSet) -> None:
        """Fill an empty index at once, in one transaction, with ``COPY``: the documents (with the
        numbers given), their band keys, the verified edges, the site statistics and the common
        shingles. Other writers' inserts wait until it commits (readers do not); their documents
        are numbered after the loaded ones.

        Raises :class:`~dedup.errors.StoreError` when the index holds documents already.
        """
        with self.transaction(), self.db.cursor() as cursor:
            cursor.execute("LOCK TABLE docs IN SHARE ROW EXCLUSIVE MODE")
            if cursor.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is not None:
                raise StoreError(f"{safe_url(self.location)} holds documents already: only an empty index is loaded "
                                 "at once")
            top = 0
            with cursor.copy("COPY docs (n, id, site, digest, record, body, line_keys, size, cluster, rank) "
                             "FROM STDIN") as copy:
                for d in documents:
                    copy.write_row((d.number, d.id, d.site, d.digest, d.record, d.body, d.line_keys, d.size, d.label,
                                    d.rank))
                    top = max(top, d.number)
            if top:
                cursor.execute("SELECT setval(pg_get_serial_sequence('docs', 'n'), %s)", (top,))
            with cursor.copy("COPY bands (key, n) FROM STDIN") as copy:
                for keys, numbers in bands:
                    pairs = np.unique(np.stack([keys.astype(np.uint64).view(np.int64), numbers.astype(np.int64)],
                                               axis=1), axis=0)
                    for key, n in pairs.tolist():
                        copy.write_row((key, n))
            with cursor.copy("COPY edges (a, b, inter, jaccard, containment) FROM STDIN") as copy:
                for e in edges:
                    copy.write_row((e.a, e.b, e.inter, e.jaccard, e.containment))
            cursor.executemany("INSERT INTO site_docs VALUES (%s, %s)", sorted(sites.docs_by_site().items()))
            with cursor.copy("COPY site_lines (key, count) FROM STDIN") as copy:
                for key, count in zip(sites.keys.astype(np.uint64).view(np.int64).tolist(), sites.counts.tolist(),
                                      strict=True):
                    copy.write_row((key, count))
            cursor.executemany("INSERT INTO site_sources VALUES (%s, %s, %s)",
                               [(site, name, count) for (site, name), count in sorted(sites.sources.items())])
            cursor.execute("INSERT INTO common_sets VALUES (%s, %s) ON CONFLICT (version) DO UPDATE "
                           "SET hashes = EXCLUDED.hashes", (common.version, common.hashes.astype(np.uint32).tobytes()))
            cursor.execute("DELETE FROM common_sets WHERE version <> %s", (common.version,))

    # --- documents -----------------------------------------------------------------------------

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT n, digest FROM docs WHERE id = %s", (doc_id,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def document(self, number: int) -> StoredDocument | None:
        return self.documents([number]).get(number)

    def documents(self, numbers: list[int], texts: bool = True) -> dict[int, StoredDocument]:
        body = "body" if texts else "''::bytea"
        rows = self.db.execute(f"SELECT {DOCUMENT_COLUMNS.format(body=body)} FROM docs WHERE n = ANY(%s)",
                               (list(numbers),)).fetchall()
        return {int(row[0]): stored_document(row) for row in rows}

    def bodies(self, numbers: list[int]) -> dict[int, str]:
        rows = self.db.execute("SELECT n, body FROM docs WHERE n = ANY(%s)", (list(numbers),)).fetchall()
        return {int(n): unpack_text(body) for n, body in rows}

    def sample(self, limit: int) -> list[StoredDocument]:
        rows = self.db.execute(f"SELECT {DOCUMENT_COLUMNS.format(body='body')} FROM docs ORDER BY rank LIMIT %s",
                               (limit,)).fetchall()
        return [stored_document(row) for row in rows]

    def numbers(self) -> Iterator[tuple[int, str, int]]:
        with self.db.cursor() as cursor:
            for n, doc_id, size in cursor.stream("SELECT n, id, size FROM docs"):
                yield int(n), str(doc_id), int(size)

    def ids(self, numbers: list[int]) -> dict[int, str]:
        return {int(n): str(doc_id) for n, doc_id in
                self.db.execute("SELECT n, id FROM docs WHERE n = ANY(%s)", (list(numbers),)).fetchall()}

    def count(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM docs"))

    def top(self) -> int:
        return int(self._scalar("SELECT COALESCE(MAX(n), 0) FROM docs"))

    # --- matching ------------------------------------------------------------------------------

    def buckets(self, keys: list[int]) -> list[tuple[int, int]]:
        rows = self.db.execute("SELECT key, n FROM bands WHERE key = ANY(%s)",
                               ([_signed(k) for k in keys],)).fetchall()
        return [(_unsigned(key), int(n)) for key, n in rows]

    def edges(self, number: int | None = None, limit: int | None = None) -> list[Edge]:
        if number is None:
            rows = self.db.execute("SELECT a, b, inter, jaccard, containment FROM edges").fetchall()
        else:
            rows = self.db.execute("SELECT a, b, inter, jaccard, containment FROM edges WHERE a = %s OR b = %s "
                                   "ORDER BY containment DESC LIMIT %s", (number, number, limit)).fetchall()
        return [Edge(int(a), int(b), int(inter), float(jac), float(cont)) for a, b, inter, jac, cont in rows]

    def edges_touching(self, numbers: list[int]) -> list[tuple[int, int]]:
        return self.db.execute("SELECT a, b FROM edges WHERE a = ANY(%s) UNION SELECT a, b FROM edges "
                               "WHERE b = ANY(%s)", (numbers, numbers)).fetchall()

    def common(self) -> CommonSet | None:
        row = self.db.execute("SELECT version, hashes FROM common_sets ORDER BY version DESC LIMIT 1").fetchone()
        if row is None:
            return None
        return CommonSet(np.frombuffer(row[1], dtype=np.uint32).copy(), int(row[0]))

    # --- site statistics (this transaction's own changes included) -------------------------------

    def site_docs(self, site: str) -> int:
        row = self.db.execute("SELECT docs FROM site_docs WHERE site = %s", (site,)).fetchone()
        return (int(row[0]) if row else 0) + self._pending.sites.get(site, 0)

    def line_counts(self, keys: list[int]) -> dict[int, int]:
        out = {_unsigned(key): int(count) for key, count in self.db.execute(
            "SELECT key, count FROM site_lines WHERE key = ANY(%s)", ([_signed(k) for k in keys],)).fetchall()}
        for key in keys:
            if key in self._pending.lines:
                out[key] = out.get(key, 0) + self._pending.lines[key]
        return out

    def source_counts(self, site: str) -> dict[str, int]:
        counts = Counter({str(name): int(count) for name, count in self.db.execute(
            "SELECT name, count FROM site_sources WHERE site = %s", (site,)).fetchall()})
        for (pending_site, name), count in self._pending.sources.items():
            if pending_site == site:
                counts[name] += count
        return dict(counts)

    # --- figures -------------------------------------------------------------------------------

    def labels(self) -> list[int]:
        return [int(label) for (label,) in self.db.execute("SELECT cluster FROM docs").fetchall()]

    def site_total(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM site_docs WHERE docs > 0"))

    def edge_total(self) -> int:
        return int(self._scalar("SELECT COUNT(*) FROM edges"))

    def size_bytes(self) -> int:
        return sum(int(self._scalar("SELECT pg_total_relation_size(%s)", (table,))) for table in _TABLES)


class _Pending:
    """What a transaction changes in rows other writers change too, written at its end."""

    def __init__(self) -> None:
        self.sites: Counter[str] = Counter()
        self.lines: Counter[int] = Counter()
        self.sources: Counter[tuple[str, str]] = Counter()
        self.labels: dict[int, int] = {}

    def observe(self, delta: SiteCounts) -> None:
        self.sites.update(delta.docs_by_site())
        self.lines.update(dict(zip(delta.keys.tolist(), delta.counts.tolist(), strict=True)))
        self.sources.update(delta.sources)

    def flush(self, db: Any) -> None:
        """Write the shared rows, in one global order (two writers then never wait on each other in a circle)."""
        with db.cursor() as cursor:
            if self.sites:
                cursor.executemany("INSERT INTO site_docs VALUES (%s, %s) ON CONFLICT (site) "
                                   "DO UPDATE SET docs = site_docs.docs + EXCLUDED.docs",
                                   sorted(self.sites.items()))
            if self.lines:
                cursor.executemany("INSERT INTO site_lines VALUES (%s, %s) ON CONFLICT (key) "
                                   "DO UPDATE SET count = site_lines.count + EXCLUDED.count",
                                   sorted((_signed(key), count) for key, count in self.lines.items()))
            if self.sources:
                cursor.executemany("INSERT INTO site_sources VALUES (%s, %s, %s) ON CONFLICT (site, name) "
                                   "DO UPDATE SET count = site_sources.count + EXCLUDED.count",
                                   sorted((site, name, count) for (site, name), count in self.sources.items()))
            if self.labels:
                cursor.executemany("UPDATE docs SET cluster = %s WHERE n = %s",
                                   [(label, n) for n, label in sorted(self.labels.items())])



def prepare_schema(db: Any, location: str, readonly: bool) -> None:
    """Create dedup's tables in the database of ``db`` unless they are there (one creator at a
    time, under an advisory lock), and check the schema version. A role that may not create
    tables gets a :class:`StoreError` saying what an administrator runs instead."""
    import psycopg

    if db.execute("SELECT to_regclass('dedup_meta')").fetchone()[0] is None:
        if readonly:
            raise StoreError(f"no index at {safe_url(location)} (the database has no dedup tables)")
        try:
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                db.execute(_SCHEMA)
                db.execute("INSERT INTO dedup_meta VALUES ('schema', %s) ON CONFLICT (key) DO NOTHING",
                           (str(SCHEMA_VERSION),))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreError(f"{safe_url(location)} has no dedup tables and this role may not create them "
                             f"({str(exc).strip()}): an administrator runs `dedup init-db --db URL` once (or the "
                             "SQL of `dedup init-db --sql`), then grants this role SELECT, INSERT, UPDATE and "
                             "DELETE on the tables") from exc
    row = db.execute("SELECT value FROM dedup_meta WHERE key = 'schema'").fetchone()
    if row is None or row[0] != str(SCHEMA_VERSION):
        raise StoreError(f"{safe_url(location)} holds an index of format {row[0] if row else '?'}; this version "
                         f"of dedup reads format {SCHEMA_VERSION}: build the index again in a new database")


def grants_sql(writers: Iterable[str] = (), readers: Iterable[str] = ()) -> str:
    """The SQL that lets ``writers`` add to an index and ``readers`` read it.

    >>> print(grants_sql(["crawler"], ["analyst"]).splitlines()[0])
    GRANT SELECT, INSERT, UPDATE, DELETE ON dedup_meta, docs, bands, edges, site_docs, site_lines, site_sources, common_sets, origins TO "crawler";
    """
    tables = ", ".join(("dedup_meta", *(name for name in _TABLES if name != "dedup_meta")))
    quoted = lambda role: '"' + role.replace('"', '""') + '"'  # noqa: E731
    lines = [f"GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {quoted(role)};\n"
             f"GRANT USAGE, SELECT ON SEQUENCE docs_n_seq TO {quoted(role)};" for role in writers]
    lines += [f"GRANT SELECT ON {tables} TO {quoted(role)};" for role in readers]
    return "\n".join(lines) + ("\n" if lines else "")


def schema_sql() -> str:
    """The SQL that creates an empty index's tables (what ``dedup init-db --sql`` prints)."""
    return (f"{_SCHEMA.strip()}\nINSERT INTO dedup_meta VALUES ('schema', '{SCHEMA_VERSION}') "
            "ON CONFLICT (key) DO NOTHING;\n")


__all__ = ["BACKEND", "PostgresStore", "SCHEMA_VERSION", "is_postgres_url", "prepare_schema", "schema_sql", "grants_sql"]


BACKEND = Backend(
    name="postgres",
    claims=is_postgres_url,
    open=lambda location, readonly, timeout: PostgresStore(location, readonly=readonly, timeout=timeout),
    exists=is_postgres_url,  # a database is asked when it is opened
)
"""``postgresql://user@host:port/db``: many writers and readers at once."""
