"""The embedded store: one SQLite file, one writer at a time, readers meanwhile.

A writer holds an advisory lock on ``PATH.lock`` (a second writer waits up to ``timeout``
seconds, then gets :class:`~dedup.errors.StoreError`); readers may read while a writer writes
(WAL mode). Band keys live one row per (key, document), so a lookup is a few index probes and
opening the file reads nothing up front. Bodies and records are kept compressed (:func:`dedup.store.pack_text`), shingle sets
not at all (the engine makes them again from the body), band keys in 6 bytes: about 4 KB per
document.
"""

from __future__ import annotations

import errno
import fcntl
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.errors import OutOfSpaceError, StoreError
from dedup.store.base import Backend, StoreBase
from dedup.store.origins import ORIGINS_SCHEMA, OriginTable
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

SCHEMA_VERSION = 5
PAGE_SIZE = 8192
"""Bytes per page. Every page an ``add`` changes is written whole to the write-ahead log at commit
(about 90: 62 of band keys, 20 of site line counts, the document's), so the commit's cost grows
with the page; a document's row (about 3 KB) wastes a quarter of a 4 KiB page. Measured at 100k
documents (add p50; bytes per document): 4 KiB 1.93 ms, 5,313 B; 8 KiB 2.00 ms, 4,025 B; 16 KiB
2.36 ms, 3,890 B."""
CACHE_KIB = 65536
MMAP_BYTES = 1 << 31
CHECKPOINT_PAUSE = 0.02
"""Seconds the checkpointer waits after a commit before copying, gathering the next commits (a
copy right after every commit slowed the queries beside it: query p99 12.9 ms against 4.3 at 1M)."""
WAL_RESTART_PAGES = 16384
"""When the write-ahead log holds this many pages (128 MiB), the writer's own commit copies what
the checkpointer has not yet copied (little: a commit or two) so that the log can start again from
its beginning; under a steady stream of adds the checkpointer alone never finds it all copied at
the moment the writer begins, and the log would grow without end."""
BAND_KEY_BITS = 48
"""Band keys are kept to their high 48 bits (6 bytes in a row, not 8): two keys that agree there
only add a candidate, which verification turns down (about one in 10^7 lookups at 1M documents)."""
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    digest BLOB NOT NULL,
    record BLOB NOT NULL,
    body BLOB NOT NULL,
    line_keys BLOB NOT NULL,
    size INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    rank INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_rank ON docs (rank);
CREATE TABLE IF NOT EXISTS common (hash INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS bands (key INTEGER NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (key, n)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS edges (
    a INTEGER NOT NULL, b INTEGER NOT NULL, inter INTEGER NOT NULL, jaccard REAL NOT NULL,
    containment REAL NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS edges_b ON edges (b);
CREATE TABLE IF NOT EXISTS site_docs (site TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS site_lines (key INTEGER PRIMARY KEY, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS site_sources (site TEXT NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (site, name)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_cluster ON docs (cluster);
""" + ORIGINS_SCHEMA
_CHUNK = 500  # SQLite's bound on variables per statement is 32766; stay well below
log = logging.getLogger("dedup")


class _Checkpointer:
    """Copies the write-ahead log into the database file beside the writer, on a connection and
    a thread of its own, so that no commit waits for it.

    SQLite's automatic checkpoint runs inside the commit that crosses its threshold: at a million
    documents each ``add`` writes about 90 pages to the log, a checkpoint every few adds copies
    them and syncs the file, and that add takes tens of milliseconds (the p99 of ``add``). Here
    the writer only signals each commit, and a passive checkpoint (which never blocks the writer)
    copies what was committed since the last one (see ``WAL_RESTART_PAGES`` for how the log is
    kept short).
    """

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._wake = threading.Event()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="dedup-checkpoint", daemon=True)
        self._thread.start()

    def committed(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        eager = False
        while True:
            self._wake.wait()
            # Near the writer's own checkpoint, copy at once: it then has only the last commit left to copy.
            if not eager and not self._closing:
                time.sleep(CHECKPOINT_PAUSE)
            self._wake.clear()
            if self._closing:  # read after the clear: a close signalled later wakes the next wait
                return
            try:
                _, logged, _ = self.db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                eager = logged >= WAL_RESTART_PAGES * 3 // 4
            except sqlite3.Error as exc:  # the writer's own checkpoints (at WAL_RESTART_PAGES, at close) still run
                log.warning("background checkpoint failed: %s", exc)

    def close(self) -> None:
        self._closing = True
        self._wake.set()
        self._thread.join()
        self.db.close()


def _short(key: int) -> int:
    """A uint64 band key as the row keeps it."""
    return key >> (64 - BAND_KEY_BITS)


def _signed(value: int) -> int:
    """A uint64 key as SQLite's signed 64-bit integer."""
    return value - (1 << 64) if value >= 1 << 63 else value


def _unsigned(value: int) -> int:
    return value + (1 << 64) if value < 0 else value


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))


class WriterLock:
    """The advisory lock on ``PATH.lock`` that makes a writer the only one."""

    def __init__(self, path: Path, timeout: float) -> None:
        lock_path = Path(f"{path}.lock")
        try:
            handle = open(lock_path, "a+")  # noqa: SIM115 - held while the store is open
        except OSError as exc:
            raise StoreError(f"cannot create lock file {lock_path}: {exc.strerror or exc}") from exc
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    raise StoreError(f"another process is writing to {path} (waited {timeout:g} s for "
                                     f"{lock_path}); open it read-only to query, or try again later") from None
                time.sleep(0.05)
        self.handle: Any = handle

    def release(self) -> None:
        if self.handle is not None:
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()
            self.handle = None


def has_meta(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone() is not None


def check_schema(db: sqlite3.Connection, path: Path, required: bool = False) -> None:
    """Refuse a file written in another format before touching it (``required``: or in none)."""
    schema = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() if has_meta(db) else None
    if (schema is None and required) or (schema is not None and schema[0] != str(SCHEMA_VERSION)):
        raise StoreError(f"{path} is an index of format {schema[0] if schema else '?'}; this version of dedup "
                         f"reads format {SCHEMA_VERSION}: build the index again with `dedup index`")


def configure(db: sqlite3.Connection, path: Path, timeout: float, readonly: bool) -> None:
    """Set a new connection up: waits, caches, the schema check; for a writer the log (WAL) and
    the tables."""
    db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    # Buckets and documents are read at random: a larger page cache, and the file mapped,
    # keep the B-tree's inner pages in memory at a million documents.
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    db.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    check_schema(db, path)
    if not readonly:
        db.execute(f"PRAGMA page_size = {PAGE_SIZE}")  # takes effect only in a new file
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute(f"PRAGMA wal_autocheckpoint = {WAL_RESTART_PAGES}")
        db.executescript(_SCHEMA)


def full_disk(exc: BaseException, path: Path) -> BaseException:
    """``exc``, or an :class:`~dedup.errors.OutOfSpaceError` naming the index when SQLite found no
    room for it or its log (SQLITE_FULL)."""
    if isinstance(exc, sqlite3.OperationalError) and getattr(exc, "sqlite_errorcode", None) == 13 \
            or "database or disk is full" in str(exc):
        return OutOfSpaceError(f"writing the index {path}", OSError(errno.ENOSPC, os.strerror(errno.ENOSPC)))
    return exc


class SQLiteStore(OriginTable, StoreBase):
    """A store in the SQLite file at ``path`` (created when missing, unless ``readonly``)."""

    shared = False
    """One writer at a time (a lock file): nothing is added behind a writer's back."""

    def __init__(self, path: str | os.PathLike[str], readonly: bool = False, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self.readonly = readonly
        self._lock: WriterLock | None = None
        self._top: int | None = None
        self._checkpointer: _Checkpointer | None = None
        if readonly and not self.path.exists():
            raise StoreError(f"no index at {self.path}")
        if not readonly:
            self._lock = WriterLock(self.path, timeout)
        try:
            uri = f"file:{self.path}?mode=ro" if readonly else str(self.path)
            self.db = sqlite3.connect(uri, uri=readonly, timeout=timeout, isolation_level=None,
                                      check_same_thread=False)
            configure(self.db, self.path, timeout, readonly)
            if not readonly:
                self._checkpointer = _Checkpointer(self.path)
        except sqlite3.DatabaseError as exc:
            self._unlock()
            raise StoreError(f"{self.path} is not a dedup index or is damaged: {exc}") from exc
        except Exception:
            self._unlock()
            raise

    # --- opening and closing -------------------------------------------------------------------

    def _unlock(self) -> None:
        if self._lock is not None:
            self._lock.release()

    def close(self) -> None:
        try:
            if self._checkpointer is not None:
                self._checkpointer.close()
                self._checkpointer = None
            self.db.close()  # the last connection: copies what is left of the log and removes it
        finally:
            self._unlock()

    # --- configuration -------------------------------------------------------------------------

    def stored_config(self) -> Config | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone() if has_meta(self.db) else None
        if row is None:
            if self.readonly:
                raise StoreError(f"{self.path} is not a dedup index (no stored configuration)")
            return None
        check_schema(self.db, self.path, required=True)
        return Config.from_dict(json.loads(row[0]))

    def save_config(self, config: Config) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO meta VALUES ('config', ?), ('schema', ?)",
                            (config.to_json(), str(SCHEMA_VERSION)))

    # --- writing -------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (nested calls join the outer one)."""
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
            self.db.execute("COMMIT")
        except BaseException as exc:
            if self.db.in_transaction:
                self.db.execute("ROLLBACK")
            self._top = None
            error = full_disk(exc, self.path)
            if error is exc:
                raise
            raise error from exc
        if self._checkpointer is not None:
            self._checkpointer.committed()

    def add(self, doc: StoredDocument, band_keys: Iterable[int], links: Iterable[Link], delta: SiteCounts) -> int:
        n = self.top() + 1  # one writer: the next number is known (and labels the document's cluster)
        self.db.execute(
            "INSERT INTO docs (n, id, site, digest, record, body, line_keys, size, cluster, rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (n, doc.id, doc.site, doc.digest, pack_text(doc.record), pack_text(doc.body),
             doc.line_keys.astype(np.uint64).tobytes(), doc.size, n, doc.rank))
        self._top = n
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", [(_short(k), n) for k in band_keys])
        self.link(n, links)
        self._observe(delta)
        return n

    def link(self, number: int, links: Iterable[Link]) -> None:
        """Store verified edges between ``number`` and stored documents."""
        self.db.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)",
                            [(min(m.number, number), max(m.number, number), m.inter, m.jaccard, m.containment)
                             for m in links])

    def remove(self, number: int, delta: SiteCounts) -> None:
        label = self.db.execute("SELECT cluster FROM docs WHERE n = ?", (number,)).fetchone()
        self._observe(delta)
        self.db.execute("DELETE FROM bands WHERE n = ?", (number,))  # a scan, but removal is rare
        self.db.execute("DELETE FROM edges WHERE a = ? OR b = ?", (number, number))
        self.db.execute("DELETE FROM docs WHERE n = ?", (number,))
        if label is not None and label[0] == number:
            # its cluster was labelled after it: label the others after their smallest number
            rest = self.db.execute("SELECT MIN(n) FROM docs WHERE cluster = ?", (number,)).fetchone()[0]
            if rest is not None:
                self.db.execute("UPDATE docs SET cluster = ? WHERE cluster = ?", (rest, number))

    def _observe(self, delta: SiteCounts) -> None:
        """Add a delta to the site counters (a count below zero takes documents away)."""
        self.db.executemany("INSERT INTO site_docs VALUES (?, ?) ON CONFLICT (site) DO UPDATE SET docs = docs + ?",
                            [(site, max(n, 0), n) for site, n in delta.docs_by_site().items()])
        self.db.executemany("INSERT INTO site_lines VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET count = count + ?",
                            [(_signed(key), max(n, 0), n)
                             for key, n in zip(delta.keys.tolist(), delta.counts.tolist(), strict=True)])
        self.db.executemany("INSERT INTO site_sources VALUES (?, ?, ?) ON CONFLICT (site, name) "
                            "DO UPDATE SET count = count + ?",
                            [(site, name, max(n, 0), n) for (site, name), n in delta.sources.items()])

    def save_common(self, common: CommonSet) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM common")
            self.db.executemany("INSERT INTO common VALUES (?)", [(int(h),) for h in common.hashes])
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('common_stamp', ?)", (str(common.version),))

    def set_labels(self, labels: Iterable[tuple[int, int]]) -> None:
        """``(document, label)`` pairs: the cluster each document was last put in."""
        self.db.executemany("UPDATE docs SET cluster = ? WHERE n = ?", [(label, n) for n, label in labels])

    def load(self, documents: Iterable[PackedDocument], bands: Iterable[tuple[np.ndarray, np.ndarray]],
             edges: Iterable[Edge], sites: SiteCounts, common: CommonSet) -> None:
        """Fill an empty index at once, in one transaction: the documents (in number order), their
        band keys (chunks of ``(keys, numbers)``, each in key order, so the rows go in as B-tree
        appends), the verified edges, the site statistics and the common shingles. The band keys
        and site line counts go in first, so that they lie at the start of the file, in the part
        that is memory-mapped (every ``add`` reads and writes pages of both at random).

        Raises :class:`~dedup.errors.StoreError` when the index holds documents already.
        """
        with self.transaction():
            if self.db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is not None:
                raise StoreError(f"{self.path} holds documents already: only an empty index is loaded at once")
            shift = np.uint64(64 - BAND_KEY_BITS)
            for keys, numbers in bands:
                self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)",
                                    zip((keys >> shift).astype(np.int64).tolist(), numbers.tolist(), strict=True))
            self.db.executemany("INSERT INTO edges VALUES (?, ?, ?, ?, ?)",
                                ((e.a, e.b, e.inter, e.jaccard, e.containment) for e in edges))
            self.db.executemany("INSERT INTO site_docs VALUES (?, ?)", sorted(sites.docs_by_site().items()))
            signed = sites.keys.astype(np.uint64).view(np.int64)
            order = np.argsort(signed, kind="stable")
            self.db.executemany("INSERT INTO site_lines VALUES (?, ?)",
                                zip(signed[order].tolist(), sites.counts[order].tolist(), strict=True))
            self.db.executemany("INSERT INTO site_sources VALUES (?, ?, ?)",
                                [(site, name, count) for (site, name), count in sorted(sites.sources.items())])
            self.db.executemany(
                "INSERT INTO docs (n, id, site, digest, record, body, line_keys, size, cluster, rank) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ((d.number, d.id, d.site, d.digest, d.record, d.body, d.line_keys, d.size, d.label, d.rank)
                 for d in documents))
            self.save_common(common)
            self._top = None

    # --- documents -----------------------------------------------------------------------------

    def lookup(self, doc_id: str) -> tuple[int, bytes] | None:
        row = self.db.execute("SELECT n, digest FROM docs WHERE id = ?", (doc_id,)).fetchone()
        return (int(row[0]), bytes(row[1])) if row else None

    def document(self, number: int) -> StoredDocument | None:
        return self.documents([number]).get(number)

    def documents(self, numbers: list[int], texts: bool = True) -> dict[int, StoredDocument]:
        """The stored documents among ``numbers``; without ``texts``, bodies are left empty."""
        body = "body" if texts else "x''"
        out: dict[int, StoredDocument] = {}
        for start in range(0, len(numbers), _CHUNK):
            part = numbers[start : start + _CHUNK]
            for row in self.db.execute(f"SELECT {DOCUMENT_COLUMNS.format(body=body)} FROM docs "
                                       f"WHERE n IN ({_marks(part)})", part):
                out[row[0]] = stored_document(row)
        return out

    def bodies(self, numbers: list[int]) -> dict[int, str]:
        """The cleaned bodies of the stored documents among ``numbers``."""
        out: dict[int, str] = {}
        for start in range(0, len(numbers), _CHUNK):
            part = numbers[start : start + _CHUNK]
            for n, body in self.db.execute(f"SELECT n, body FROM docs WHERE n IN ({_marks(part)})", part):
                out[n] = unpack_text(body)
        return out

    def sample(self, limit: int) -> list[StoredDocument]:
        """The ``limit`` stored documents of lowest sample rank."""
        rows = self.db.execute(f"SELECT {DOCUMENT_COLUMNS.format(body='body')} FROM docs ORDER BY rank LIMIT ?",
                               (limit,)).fetchall()
        return [stored_document(row) for row in rows]

    def numbers(self) -> Iterator[tuple[int, str, int]]:
        """``(number, id, size)`` of every stored document."""
        for n, doc_id, size in self.db.execute("SELECT n, id, size FROM docs"):
            yield int(n), str(doc_id), int(size)

    def ids(self, numbers: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for start in range(0, len(numbers), _CHUNK):
            part = numbers[start : start + _CHUNK]
            out.update(self.db.execute(f"SELECT n, id FROM docs WHERE n IN ({_marks(part)})", part).fetchall())
        return out

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def top(self) -> int:
        """The highest document number given (a reader asks every time: writers may have added)."""
        if self._top is None or self.readonly:
            self._top = int(self.db.execute("SELECT COALESCE(MAX(n), 0) FROM docs").fetchone()[0])
        return self._top

    # --- matching ------------------------------------------------------------------------------

    def buckets(self, keys: list[int]) -> list[tuple[int, int]]:
        """``(key, document)`` for every stored document in the buckets of ``keys``."""
        asked: dict[int, list[int]] = {}
        for key in keys:
            asked.setdefault(_short(key), []).append(key)
        shorts = list(asked)
        rows = self.db.execute(f"SELECT key, n FROM bands WHERE key IN ({_marks(shorts)})", shorts).fetchall()
        return [(key, int(n)) for short, n in rows for key in asked[short]]

    def edges(self, number: int | None = None, limit: int | None = None) -> list[Edge]:
        """The verified edges of a document (most contained first), or all of them."""
        if number is None:
            rows = self.db.execute("SELECT a, b, inter, jaccard, containment FROM edges").fetchall()
        else:
            rows = self.db.execute("SELECT a, b, inter, jaccard, containment FROM edges WHERE a = ? OR b = ? "
                                   "ORDER BY containment DESC LIMIT ?", (number, number, limit or -1)).fetchall()
        return [Edge(*row) for row in rows]

    def edges_touching(self, numbers: list[int]) -> list[tuple[int, int]]:
        return self.db.execute(f"SELECT a, b FROM edges WHERE a IN ({_marks(numbers)}) UNION "
                               f"SELECT a, b FROM edges WHERE b IN ({_marks(numbers)})", numbers + numbers).fetchall()

    def common(self) -> CommonSet | None:
        stamp = self.db.execute("SELECT value FROM meta WHERE key = 'common_stamp'").fetchone()
        if stamp is None:
            return None
        hashes = [h for (h,) in self.db.execute("SELECT hash FROM common ORDER BY hash")]
        return CommonSet(np.array(hashes, dtype=np.uint32), int(stamp[0]))

    # --- site statistics -----------------------------------------------------------------------

    def site_docs(self, site: str) -> int:
        row = self.db.execute("SELECT docs FROM site_docs WHERE site = ?", (site,)).fetchone()
        return int(row[0]) if row else 0

    def line_counts(self, keys: list[int]) -> dict[int, int]:
        """How many of its site's documents carry each site line key (keys never seen are left out)."""
        out: dict[int, int] = {}
        for start in range(0, len(keys), _CHUNK):
            part = [_signed(k) for k in keys[start : start + _CHUNK]]
            out.update((_unsigned(key), int(count)) for key, count in self.db.execute(
                f"SELECT key, count FROM site_lines WHERE key IN ({_marks(part)})", part))
        return out

    def source_counts(self, site: str) -> dict[str, int]:
        return {str(name): int(count) for name, count in self.db.execute(
            "SELECT name, count FROM site_sources WHERE site = ?", (site,))}

    # --- figures -------------------------------------------------------------------------------

    def labels(self) -> Iterator[int]:
        return (label for (label,) in self.db.execute("SELECT cluster FROM docs"))

    def site_total(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM site_docs WHERE docs > 0").fetchone()[0])

    def edge_total(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM edges").fetchone()[0])

    def size_bytes(self) -> int:
        wal = Path(f"{self.path}-wal")
        return self.path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)


def _path_of(location: str) -> Path:
    return Path(location[len("sqlite:///"):] if location.startswith("sqlite:///") else location)


BACKEND = Backend(
    name="sqlite",
    claims=lambda location: True,
    open=lambda location, readonly, timeout: SQLiteStore(_path_of(location), readonly=readonly, timeout=timeout),
    exists=lambda location: _path_of(location).exists(),
)
"""A path (or ``sqlite:///path``): one file, one writer at a time. Asked last: it takes any location."""


__all__ = ["BACKEND", "SQLiteStore", "SCHEMA_VERSION"]
