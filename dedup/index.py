"""A persistent duplicate index in one SQLite file, for pipelines that see one document at a time.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "news.db")
>>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
>>> with Index(path) as index:
...     first = index.add({"id": "a", "text": text, "site": "a.cn"})
...     second = index.add({"id": "b", "text": text, "site": "b.cn"})
>>> first.status, second.status, second.canonical_id
('new', 'repost', 'a')

What is stored, per document: the cleaned record (id, site, url, title, time, credits, flags), the
sorted 32-bit shingle set and figures (for exact verification), the LSH band keys (one row per
band, so a lookup is a few index probes and opening the file reads nothing up front), the
verified edges to earlier documents, and the site statistics the template learner needs. The
configuration is stored too; opening with different hashing or normalisation settings fails.

One writer at a time: a writer holds an advisory lock on ``PATH.lock`` (a second writer waits up
to ``timeout`` seconds, then gets :class:`~dedup.errors.StoreError`); readers may query while a
writer adds (SQLite's WAL mode). Every ``add`` or ``add_many`` batch is one transaction: a crash
loses at most the batch in flight, and adding the same documents again finishes the job.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dedup.clean import CleanOptions, rejected_after_cleaning
from dedup.common import CommonShingles, EvidenceReader, sample_pairs, sample_rank
from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.errors import ConfigMismatchError, InputError, StoreError
from dedup.lsh import bucket_allowed, document_keys
from dedup.normalize import compact
from dedup.outlets import OutletTable
from dedup.prepare import clean_options, prepare
from dedup.report import cluster_record, describe_cluster, describe_document
from dedup.result import LazySequence, ScanResult, build_clusters, lone_cluster_maker
from dedup.sketch import signature_of, sketch_with_figures
from dedup.templates import (
    MIN_SITE_DOCS,
    SiteProfiles,
    countable_lines,
    document_line_keys,
    drop_lines,
    is_own_name,
    mark_self,
    source_names,
    template_threshold,
)
from dedup.verify import check_pair, verify_pairs
from dedup.workers import ordered, start_pool

log = logging.getLogger("dedup")

SCHEMA_VERSION = 3
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS docs (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    site TEXT NOT NULL,
    digest BLOB NOT NULL,
    record TEXT NOT NULL,
    body BLOB NOT NULL,
    shingles BLOB NOT NULL,
    figures BLOB NOT NULL,
    line_keys BLOB NOT NULL,
    size INTEGER NOT NULL,
    cluster INTEGER NOT NULL,
    rank INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS docs_cluster ON docs (cluster);
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
"""


@dataclass(frozen=True)
class Match:
    """A stored document an incoming one was verified against."""

    id: str
    jaccard: float
    containment: float


@dataclass(frozen=True)
class Verdict:
    """The answer for one document.

    ``status`` is ``new`` (no stored document tells the same story), ``repost`` (it joins the
    cluster whose canonical copy is ``canonical_id``), ``unchanged`` (this id with this content
    is already stored; nothing changed) or ``rejected`` (``reason`` says why: empty, too short...).
    ``replaced`` is true when the id was stored with other content, which this document replaced.
    """

    id: str
    status: str
    canonical_id: str | None = None
    cluster_size: int = 1
    jaccard: float = 0.0
    containment: float = 0.0
    is_canonical: bool = False
    origin: str | None = None
    matches: tuple[Match, ...] = ()
    replaced: bool = False
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["matches"] = [asdict(m) for m in self.matches]
        return data


@dataclass
class _Prepared:
    doc: CleanDocument
    digest: bytes
    shingles: np.ndarray
    figures: np.ndarray
    band_keys: list[int]
    line_keys: list[int]
    names: list[str]


def _digest(doc: Document) -> bytes:
    parts = [doc.text, doc.title or "", doc.url or "", doc.site, doc.published_at or "", json.dumps(doc.meta, sort_keys=True)]
    return hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _prepare(doc: Document | dict[str, Any], config: Config, outlets: OutletTable,
             options: CleanOptions) -> _Prepared | InputError:
    """Clean a document (the part of adding that needs no index; worker processes run it)."""
    if isinstance(doc, dict):
        try:
            doc = Document.from_dict(doc)
        except ValueError as exc:
            raise ValueError(f"cannot index {Index._id_of(doc)!r}: {exc}") from exc
    cleaned = prepare(doc, config, outlets, options)
    if isinstance(cleaned, InputError):
        return cleaned
    return _Prepared(cleaned, _digest(doc), np.zeros(0, np.uint32), np.zeros(0, np.uint64), [],
                     sorted(document_line_keys(cleaned)), sorted(source_names(cleaned)))


_WORKER: dict[str, Any] = {}


def _init_worker(config: Config, outlets: OutletTable) -> None:
    _WORKER.update(config=config, outlets=outlets, options=clean_options(config))


def _prepare_chunk(docs: list[Document | dict[str, Any]]) -> list[_Prepared | InputError | ValueError]:
    out: list[_Prepared | InputError | ValueError] = []
    for doc in docs:
        try:
            out.append(_prepare(doc, _WORKER["config"], _WORKER["outlets"], _WORKER["options"]))
        except ValueError as exc:
            out.append(exc)
    return out


def _signed(values: Iterable[int]) -> list[int]:
    """uint64 keys as SQLite's signed 64-bit integers."""
    return [v - (1 << 64) if v >= 1 << 63 else v for v in values]


class Index:
    """Open (or create) the index at ``path``.

    ``config`` defaults to the stored one (or :class:`Config` for a new index); a config whose
    hashing or normalisation settings differ from the stored ones raises
    :class:`~dedup.errors.ConfigMismatchError` naming them. ``readonly`` opens for queries only
    (no lock is taken, nothing is written).
    """

    def __init__(self, path: str | os.PathLike[str], config: Config | None = None,
                 outlets: OutletTable | None = None, readonly: bool = False, timeout: float = 30.0) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self.outlets = outlets or OutletTable.default()
        self._lock_handle: Any = None
        if readonly and not self.path.exists():
            raise StoreError(f"no index at {self.path}")
        if not readonly:
            self._lock(timeout)
        try:
            uri = f"file:{self.path}?mode=ro" if readonly else str(self.path)
            self.db = sqlite3.connect(uri, uri=readonly, timeout=timeout, isolation_level=None,
                                      check_same_thread=False)
            self.db.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._check_schema()
            if not readonly:
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = NORMAL")
                self.db.executescript(_SCHEMA)
            self.config = self._check_config(config)
        except sqlite3.DatabaseError as exc:
            self._unlock()
            raise StoreError(f"{self.path} is not a dedup index or is damaged: {exc}") from exc
        except Exception:
            self._unlock()
            raise
        self._options = clean_options(self.config)
        self._own_names: dict[str, str | None] = {}
        self._common: CommonShingles | None = None
        self._common_stamp = -1
        self._top: int | None = None
        """The highest document number stored (this process is the only writer: kept in memory)."""

    # --- opening and closing ---------------------------------------------------------------

    def _lock(self, timeout: float) -> None:
        lock_path = Path(f"{self.path}.lock")
        try:
            handle = open(lock_path, "a+")  # noqa: SIM115 - held while the index is open
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
                    raise StoreError(f"another process is writing to {self.path} (waited {timeout:g} s for "
                                     f"{lock_path}); open it read-only to query, or try again later") from None
                time.sleep(0.05)
        self._lock_handle = handle

    def _unlock(self) -> None:
        if self._lock_handle is not None:
            fcntl.flock(self._lock_handle, fcntl.LOCK_UN)
            self._lock_handle.close()
            self._lock_handle = None

    def _check_schema(self) -> None:
        """Refuse an index written in another format before touching it."""
        has_meta = self.db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        schema = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() if has_meta else None
        if has_meta and schema is not None and schema[0] != str(SCHEMA_VERSION):
            raise StoreError(f"{self.path} is an index of format {schema[0]}; this version of dedup reads format "
                             f"{SCHEMA_VERSION}: build the index again with `dedup index`")

    def _check_config(self, config: Config | None) -> Config:
        row = self.db.execute("SELECT value FROM meta WHERE key = 'config'").fetchone()
        if row is None:
            if self.readonly:
                raise StoreError(f"{self.path} is not a dedup index (no stored configuration)")
            chosen = config or Config()
            with self._transaction():
                self.db.execute("INSERT INTO meta VALUES ('config', ?), ('schema', ?)",
                                (chosen.to_json(), str(SCHEMA_VERSION)))
            return chosen
        schema = self.db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if schema is None or schema[0] != str(SCHEMA_VERSION):
            raise StoreError(f"{self.path} is an index of format {schema[0] if schema else '?'}; this version of dedup "
                             f"reads format {SCHEMA_VERSION}: build the index again with `dedup index`")
        stored = Config.from_dict(json.loads(row[0]))
        if config is None:
            return stored
        differences = stored.hashing_differences(config)
        if differences:
            raise ConfigMismatchError(f"{self.path} was built with other settings: {'; '.join(differences)}. "
                                      "Open it without a configuration (the stored one is used) or build a new index.")
        return config

    def close(self) -> None:
        """Close the database and release the writer's lock."""
        try:
            self.db.close()
        finally:
            self._unlock()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    class _Tx:
        def __init__(self, db: sqlite3.Connection) -> None:
            self.db = db

        def __enter__(self) -> None:
            self.db.execute("BEGIN IMMEDIATE")

        def __exit__(self, kind: object, *rest: object) -> None:
            self.db.execute("COMMIT" if kind is None else "ROLLBACK")

    def _transaction(self) -> Index._Tx:
        if self.readonly:
            raise StoreError(f"{self.path} is open read-only")
        return Index._Tx(self.db)

    # --- site statistics (the template learner's state) --------------------------------------

    def _site_docs(self, site: str) -> int:
        row = self.db.execute("SELECT docs FROM site_docs WHERE site = ?", (site,)).fetchone()
        return int(row[0]) if row else 0

    def _self_name(self, site: str) -> str | None:
        if site not in self._own_names:
            self._own_names[site] = self._find_self_name(site)
        return self._own_names[site]

    def _find_self_name(self, site: str) -> str | None:
        docs = self._site_docs(site)
        if docs < MIN_SITE_DOCS:
            return None
        row = self.db.execute("SELECT name, count FROM site_sources WHERE site = ? ORDER BY count DESC, name LIMIT 1",
                              (site,)).fetchone()
        return row[0] if row and is_own_name(row[1], docs) else None

    def _mark_self(self, doc: CleanDocument) -> CleanDocument:
        return mark_self(doc, self._self_name(doc.site))

    def _observe(self, prepared: _Prepared, sign: int) -> None:
        site = prepared.doc.site
        self._own_names.pop(site, None)
        self.db.execute("INSERT INTO site_docs VALUES (?, ?) ON CONFLICT (site) DO UPDATE SET docs = docs + ?",
                        (site, max(sign, 0), sign))
        self.db.executemany("INSERT INTO site_lines VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET count = count + ?",
                            [(key, max(sign, 0), sign) for key in _signed(prepared.line_keys)])
        self.db.executemany("INSERT INTO site_sources VALUES (?, ?, ?) ON CONFLICT (site, name) "
                            "DO UPDATE SET count = count + ?", [(site, name, max(sign, 0), sign) for name in prepared.names])

    # --- preparing a document ----------------------------------------------------------------

    def _prepare(self, doc: Document | dict[str, Any]) -> _Prepared | InputError:
        return _prepare(doc, self.config, self.outlets, self._options)

    def _drop_templates(self, prepared: _Prepared, extra_docs: int) -> None:
        """Drop the lines the site repeats on enough of its pages (counting this one if it is being added)."""
        doc = prepared.doc
        needed = template_threshold(self._site_docs(doc.site) + extra_docs)
        if needed == math.inf:
            return
        line_keys = countable_lines(doc)
        wanted = _signed(line_keys.values())
        counts: dict[int, int] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            counts.update(self.db.execute(f"SELECT key, count FROM site_lines WHERE key IN ({','.join('?' * len(part))})",
                                          part).fetchall())
        drop_lines(doc, lambda key: key in line_keys
                   and counts.get(_signed([line_keys[key]])[0], 0) + extra_docs >= needed)

    def _sketch(self, prepared: _Prepared) -> None:
        config = self.config
        shingles, signature, figures = sketch_with_figures(prepared.doc.compared, config.shingle_size,
                                                           config.num_perm, config.seed)
        prepared.shingles, prepared.figures = shingles, figures
        prepared.band_keys = document_keys(prepared.doc.compared, signature, config.lsh_bands, config.lsh_rows,
                                           config.lead_chars, config.lead_bands, config.lead_rows, config.shingle_size,
                                           config.num_perm, config.seed).tolist()

    # --- corpus-wide common shingles ---------------------------------------------------------

    def _common_shingles(self, refresh: bool = False) -> CommonShingles:
        """The common shingles of what is stored (see :mod:`dedup.common`).

        Learned again from the sample (the lowest-ranked stored documents) when the index has
        grown by a tenth (and by 200 documents) since they were last learned, or when ``refresh``
        asks; stored with the index, so opening it costs nothing.
        """
        if self._top is None or self.readonly:  # a reader sees what writers add: it asks every time
            self._top = int(self.db.execute("SELECT COALESCE(MAX(n), 0) FROM docs").fetchone()[0])
        top = self._top
        if self._common is None and not refresh:
            stamp = self.db.execute("SELECT value FROM meta WHERE key = 'common_stamp'").fetchone()
            if stamp is not None:
                hashes = [h for (h,) in self.db.execute("SELECT hash FROM common ORDER BY hash")]
                self._common = CommonShingles(np.array(hashes, dtype=np.uint32), self.config.min_shingles)
                self._common_stamp = int(stamp[0])
        stale = top > max(self._common_stamp * 1.1, self._common_stamp + 200)
        if self._common is not None and not refresh and not stale:
            return self._common
        config = self.config
        rows = self.db.execute("SELECT shingles, body FROM docs ORDER BY rank LIMIT ?", (config.common_sample,)).fetchall()
        sets = [np.frombuffer(shingles, dtype=np.uint32) for shingles, _ in rows]
        # The sample's LSH keys, made again from what is stored (reading them from the bands table
        # would scan it: it is keyed by band key, not by document).
        keys = np.array([document_keys(compact(bytes(body).decode("utf-8", "surrogatepass")),
                                       signature_of(shingles, config.num_perm, config.seed), config.lsh_bands,
                                       config.lsh_rows, config.lead_chars, config.lead_bands, config.lead_rows,
                                       config.shingle_size, config.num_perm, config.seed)
                         for shingles, (_, body) in zip(sets, rows, strict=True)], dtype=np.uint64)
        keys = keys.reshape(len(sets), config.total_bands)
        pairs = sample_pairs(np.repeat(np.arange(len(sets)), keys.shape[1]), keys.ravel(), config.max_bucket)
        self._common = CommonShingles.learn(sets, pairs, config)
        self._common_stamp = top
        if not self.readonly and self.db.in_transaction:
            self.db.execute("DELETE FROM common")
            self.db.executemany("INSERT INTO common VALUES (?)", [(int(h),) for h in self._common.hashes])
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('common_stamp', ?)", (str(top),))
        log.debug("common shingles learned from %d sampled documents: %d", len(rows), len(self._common))
        return self._common

    def _candidates(self, prepared: _Prepared, exclude: int | None = None) -> list[tuple[int, int, float, float]]:
        """Verified stored neighbours: ``(n, intersection, jaccard, containment)``."""
        keys = _signed(prepared.band_keys)
        rows = self.db.execute(f"SELECT key, n FROM bands WHERE key IN ({','.join('?' * len(keys))})", keys).fetchall()
        per_key = Counter(key for key, _ in rows)
        # Buckets holding more than max_bucket documents are template collisions, as in a scan.
        # (one stored member plus this document make the bucket's size)
        found = {n for key, n in rows if bucket_allowed(per_key[key] + 1, self.config.max_bucket)}
        found.discard(exclude if exclude is not None else -1)
        verified = []
        common = self._common_shingles()
        evidence = common.evidence(prepared.shingles)
        numbers = sorted(found)
        sketches: dict[int, tuple[bytes, bytes]] = {}
        for start in range(0, len(numbers), 500):
            part = numbers[start : start + 500]
            sketches.update((n, (shingles, figures)) for n, shingles, figures in self.db.execute(
                f"SELECT n, shingles, figures FROM docs WHERE n IN ({','.join('?' * len(part))})", part))
        for n in numbers:
            if n not in sketches:
                continue
            other = common.evidence(np.frombuffer(sketches[n][0], dtype=np.uint32))
            checked = check_pair(evidence, other, prepared.figures, np.frombuffer(sketches[n][1], dtype=np.uint64),
                                 self.config)
            if checked is not None:
                verified.append((n, *checked))
        return verified

    # --- the verbs ---------------------------------------------------------------------------

    def query(self, doc: Document | dict[str, Any]) -> Verdict:
        """What :meth:`add` would answer for ``doc``, without storing anything."""
        prepared = self._prepare(doc)
        if isinstance(prepared, InputError):
            return Verdict(self._id_of(doc), "rejected", reason=str(prepared))
        existing = self.db.execute("SELECT n, digest FROM docs WHERE id = ?", (prepared.doc.id,)).fetchone()
        if existing is not None and existing[1] == prepared.digest:
            return self._verdict_for_stored(existing[0], "unchanged")
        self._drop_templates(prepared, 0)
        self._sketch(prepared)
        refused = rejected_after_cleaning(prepared.doc, len(prepared.shingles), self.config.min_shingles)
        if refused is not None:
            return Verdict(prepared.doc.id, "rejected", reason=str(refused))
        exclude = existing[0] if existing is not None else None
        neighbours = self._candidates(prepared, exclude)
        if not neighbours:
            return Verdict(prepared.doc.id, "new", canonical_id=prepared.doc.id, is_canonical=True,
                           replaced=existing is not None)
        return self._verdict(prepared.doc.id, -1, "repost", prepared, neighbours, replaced=existing is not None)

    def add(self, doc: Document | dict[str, Any]) -> Verdict:
        """Store a document and say what it is: a new story, or a repost of which cluster."""
        with self._transaction():
            return self._add(doc)

    def add_many(self, docs: Iterable[Document | dict[str, Any]], batch: int = 500,
                 workers: int = 1, detail: bool = True) -> Iterator[Verdict]:
        """Add documents, committing every ``batch`` of them; yields a verdict per document, in order.

        With ``workers`` > 1, documents are cleaned in that many processes while this one updates
        the index (the result is the same as adding them one by one). ``detail=False`` skips the
        choice of canonical copy and origin in the verdicts (status, best similarity only): much
        faster for bulk loading, the index is the same.
        """
        if workers <= 1:
            pending: list[Document | dict[str, Any]] = []
            for doc in docs:
                pending.append(doc)
                if len(pending) >= batch:
                    yield from self._add_batch(pending, [None] * len(pending), detail)
                    pending = []
            if pending:
                yield from self._add_batch(pending, [None] * len(pending), detail)
            return
        def chunks() -> Iterator[list[Document | dict[str, Any]]]:
            chunk: list[Document | dict[str, Any]] = []
            for doc in docs:
                chunk.append(doc)
                if len(chunk) >= 64:
                    yield chunk
                    chunk = []
            if chunk:
                yield chunk

        with start_pool(workers, _init_worker, (self.config, self.outlets)) as pool:
            pending_docs: list[Document | dict[str, Any]] = []
            pending_prepared: list[_Prepared | InputError | ValueError | None] = []
            for chunk, prepared in ordered(pool, _prepare_chunk, chunks(), 4 * workers):
                pending_docs.extend(chunk)
                pending_prepared.extend(prepared)
                if len(pending_docs) >= batch:
                    yield from self._add_batch(pending_docs, pending_prepared, detail)
                    pending_docs, pending_prepared = [], []
            if pending_docs:
                yield from self._add_batch(pending_docs, pending_prepared, detail)

    def _add_batch(self, docs: list[Document | dict[str, Any]],
                   prepared: list[_Prepared | InputError | ValueError | None], detail: bool = True) -> list[Verdict]:
        with self._transaction():
            out = []
            for doc, ready in zip(docs, prepared, strict=True):
                if isinstance(ready, ValueError):
                    raise ready
                out.append(self._add(doc, ready, detail))
            return out

    def _add(self, doc: Document | dict[str, Any], ready: _Prepared | InputError | None = None,
             detail: bool = True) -> Verdict:
        prepared = ready if ready is not None else self._prepare(doc)
        if isinstance(prepared, InputError):
            return Verdict(self._id_of(doc), "rejected", reason=str(prepared))
        doc_id = prepared.doc.id
        existing = self.db.execute("SELECT n, digest FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if existing is not None:
            if existing[1] == prepared.digest:
                return self._verdict_for_stored(existing[0], "unchanged")
            self._remove(existing[0])
        self._drop_templates(prepared, 1)
        self._sketch(prepared)
        refused = rejected_after_cleaning(prepared.doc, len(prepared.shingles), self.config.min_shingles)
        if refused is not None:
            return Verdict(doc_id, "rejected", reason=str(refused), replaced=existing is not None)
        neighbours = self._candidates(prepared)
        self._observe(prepared, +1)
        best = max(neighbours, key=lambda v: (v[3], v[2], -v[0])) if neighbours else None
        cursor = self.db.execute(
            "INSERT INTO docs (id, site, digest, record, body, shingles, figures, line_keys, size, cluster, rank) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, -1, ?)",
            (doc_id, prepared.doc.site, prepared.digest, prepared.doc.to_record(),
             prepared.doc.body.encode("utf-8", "surrogatepass"), prepared.shingles.tobytes(),
             prepared.figures.tobytes(), np.array(prepared.line_keys, dtype=np.uint64).tobytes(),
             len(prepared.shingles), sample_rank(doc_id)))
        n = int(cursor.lastrowid or 0)
        self._top = max(self._top or 0, n)
        label = n
        if best is not None:
            label = int(self.db.execute("SELECT cluster FROM docs WHERE n = ?", (best[0],)).fetchone()[0])
        self.db.execute("UPDATE docs SET cluster = ? WHERE n = ?", (label, n))
        self.db.executemany("INSERT OR IGNORE INTO bands VALUES (?, ?)", [(k, n) for k in _signed(prepared.band_keys)])
        self.db.executemany("INSERT OR REPLACE INTO edges VALUES (?, ?, ?, ?, ?)",
                            [(min(m, n), max(m, n), inter, jac, cont) for m, inter, jac, cont in neighbours])
        if not detail:
            status = "repost" if neighbours else "new"
            return Verdict(doc_id, status, jaccard=round(best[2], 4) if best else 0.0,
                           containment=round(best[3], 4) if best else 0.0, replaced=existing is not None)
        if not neighbours:  # no edge: its component is itself
            return Verdict(doc_id, "new", canonical_id=doc_id, is_canonical=True, replaced=existing is not None)
        return self._verdict(doc_id, n, "repost", prepared, neighbours, replaced=existing is not None)

    def remove(self, doc_id: str) -> bool:
        """Delete a document (and its edges); returns whether it was there."""
        with self._transaction():
            row = self.db.execute("SELECT n FROM docs WHERE id = ?", (doc_id,)).fetchone()
            if row is None:
                return False
            self._remove(row[0])
            return True

    def _remove(self, n: int) -> None:
        row = self.db.execute("SELECT site, record, shingles, line_keys, cluster FROM docs WHERE n = ?", (n,)).fetchone()
        site, record, shingles, line_keys, label = row
        doc = CleanDocument.from_record(record)
        prepared = _Prepared(doc, b"", np.zeros(0, np.uint32), np.zeros(0, np.uint64), [],
                             np.frombuffer(line_keys, dtype=np.uint64).tolist(), sorted(source_names(doc)))
        self._observe(prepared, -1)
        self.db.execute("DELETE FROM bands WHERE n = ?", (n,))  # a scan, but removal is rare
        self.db.execute("DELETE FROM edges WHERE a = ? OR b = ?", (n, n))
        self.db.execute("DELETE FROM docs WHERE n = ?", (n,))
        if label == n:
            # The cluster was labelled after this document: relabel the others after their smallest number.
            rest = self.db.execute("SELECT MIN(n) FROM docs WHERE cluster = ?", (n,)).fetchone()[0]
            if rest is not None:
                self.db.execute("UPDATE docs SET cluster = ? WHERE cluster = ?", (rest, n))

    def get(self, doc_id: str) -> CleanDocument | None:
        """The stored, cleaned form of a document (its body is the cleaned text), or None."""
        row = self.db.execute("SELECT record, body FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        return self._mark_self(CleanDocument.from_record(row[0], bytes(row[1]).decode("utf-8", "surrogatepass")))

    def __len__(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM docs").fetchone()[0])

    def __contains__(self, doc_id: object) -> bool:
        return self.db.execute("SELECT 1 FROM docs WHERE id = ?", (doc_id,)).fetchone() is not None

    # --- verdicts ----------------------------------------------------------------------------

    @staticmethod
    def _id_of(doc: Document | dict[str, Any]) -> str:
        return doc.id if isinstance(doc, Document) else str(doc.get("id"))

    def _member(self, n: int) -> tuple[CleanDocument, int]:
        row = self.db.execute("SELECT record, size FROM docs WHERE n = ?", (n,)).fetchone()
        return self._mark_self(CleanDocument.from_record(row[0])), int(row[1])

    def _component(self, seeds: Iterable[int]) -> tuple[list[int], list[tuple[int, int]]]:
        """The stored documents connected to ``seeds`` through verified edges, and those edges."""
        seen = set(seeds)
        frontier = sorted(seen)
        edges: set[tuple[int, int]] = set()
        while frontier:
            chunk, frontier = frontier[:500], frontier[500:]
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT a, b FROM edges WHERE a IN ({marks}) UNION "
                                   f"SELECT a, b FROM edges WHERE b IN ({marks})", chunk + chunk).fetchall()
            for a, b in rows:
                edges.add((a, b))
                for node in (a, b):
                    if node not in seen:
                        seen.add(node)
                        frontier.append(node)
        return sorted(seen), sorted(edges)

    def _star_result(self, numbers: list[int], edges: Iterable[tuple[int, int]], common: CommonShingles,
                     query: _Prepared | None = None, query_edges: Iterable[int] = ()) -> tuple[list[int], ScanResult]:
        """Star clusters of the stored documents ``numbers`` (and of a queried document, not stored,
        whose verified neighbours are ``query_edges``), exactly as a scan of them clusters: the
        stored edges are judged again on ``common``, documents are ordered by id.

        Returns the document numbers in result order (``-1`` for the queried document) and the result.
        """
        # A component (a verdict) is read in one query; the whole index (clusters()) document by document.
        small = len(numbers) <= 2000
        if small:
            marks = ",".join("?" * len(numbers))
            rows = self.db.execute(f"SELECT n, id, size, record, shingles, figures FROM docs WHERE n IN ({marks})",
                                   numbers).fetchall()
        else:
            wanted = set(numbers)
            rows = [row for row in self.db.execute("SELECT n, id, size FROM docs") if row[0] in wanted]
        if query is not None:
            rows.append((-1, query.doc.id, len(query.shingles)))
        rows.sort(key=lambda row: row[1])
        order = [row[0] for row in rows]
        position = {n: k for k, n in enumerate(order)}
        sizes = np.array([row[2] for row in rows], dtype=np.int64)
        read = {row[0]: row[3:] for row in rows if len(row) > 3}

        def sketch(k: int) -> tuple[np.ndarray, np.ndarray]:
            if order[k] == -1 and query is not None:
                return query.shingles, query.figures
            row = read[order[k]][1:] if order[k] in read else self.db.execute(
                "SELECT shingles, figures FROM docs WHERE n = ?", (order[k],)).fetchone()
            return np.frombuffer(row[0], dtype=np.uint32), np.frombuffer(row[1], dtype=np.uint64)

        sketch_of = EvidenceReader(sketch, common, sizes)

        links = [(position[a], position[b]) for a, b in edges] + [(position[-1], position[m]) for m in query_edges]
        pairs = verify_pairs(sorted((min(a, b), max(a, b)) for a, b in links), sketch_of, self.config)

        def doc_of(k: int) -> CleanDocument:
            if order[k] == -1 and query is not None:
                return self._mark_self(query.doc)
            if order[k] in read:
                return self._mark_self(CleanDocument.from_record(read[order[k]][0]))
            return self._member(order[k])[0]

        labels, clusters, lone = build_clusters(doc_of, sketch_of.shingles, sizes, pairs, self.config, self.outlets)
        return order, ScanResult(
            docs=LazySequence(len(order), doc_of), shingles=LazySequence(len(order), sketch_of.shingles), labels=labels,
            clusters=clusters, candidates=np.zeros((0, 2), dtype=np.int64), pairs=pairs, profiles=SiteProfiles(),
            config=self.config, stats={"candidates": float(len(pairs)), "verified": float(len(pairs))},
            lone=lone, lone_cluster=lone_cluster_maker(doc_of, sizes, self.outlets))

    def _verdict(self, doc_id: str, n: int, status: str, prepared: _Prepared | None = None,
                 neighbours: list[tuple[int, int, float, float]] | None = None, replaced: bool = False) -> Verdict:
        """The verdict for a stored document ``n`` (or, with ``n == -1``, a queried one): its star
        cluster within its connected component, the cluster ``clusters()`` gives it."""
        neighbours = neighbours or []
        seeds = [n] if n >= 0 else [m for m, _, _, _ in neighbours]
        numbers, edges = self._component(seeds)
        query = prepared if n < 0 else None
        if n >= 0 and len(numbers) == 1:
            return Verdict(doc_id, status, canonical_id=doc_id, is_canonical=True, replaced=replaced)
        order, result = self._star_result(numbers, edges, self._common_shingles(), query,
                                          [m for m, _, _, _ in neighbours] if query is not None else ())
        me = order.index(n)
        found = result.cluster_of(me)
        best = max(neighbours, key=lambda v: (v[3], v[2], -v[0])) if neighbours else None
        matches = tuple(Match(self._id_for(m), round(jac, 4), round(cont, 4))
                        for m, _, jac, cont in sorted(neighbours, key=lambda v: (-v[3], -v[2], v[0]))[:10])
        if found is None or len(found.members) < 2:
            # Verified neighbours, but the star rule keeps it apart (a digest of other stories).
            return Verdict(doc_id, status if status != "repost" else "new", canonical_id=doc_id, is_canonical=True,
                           jaccard=round(best[2], 4) if best else 0.0, containment=round(best[3], 4) if best else 0.0,
                           matches=matches, replaced=replaced)
        canonical = found.canonical
        at = found.members.index(me)
        jaccard, containment = found.jaccard[at], found.containment[at]
        if canonical == me and best is not None:
            jaccard, containment = round(best[2], 4), round(best[3], 4)
        return Verdict(doc_id, status, canonical_id=result.docs[canonical].id, cluster_size=len(found.members),
                       jaccard=jaccard, containment=containment, is_canonical=canonical == me,
                       origin=found.choice.origin, matches=matches, replaced=replaced)

    def _id_for(self, n: int) -> str:
        row = self.db.execute("SELECT id FROM docs WHERE n = ?", (n,)).fetchone()
        return str(row[0]) if row else "?"

    def _verdict_for_stored(self, n: int, status: str) -> Verdict:
        return self._verdict(self._id_for(n), n, status)

    # --- whole-index views ---------------------------------------------------------------------

    def scan_result(self) -> ScanResult:
        """Cluster every stored document as ``dedup scan`` would (star clusters over the stored
        verified edges, whatever order the documents arrived in) and store the labels."""
        # The edges were verified against the common shingles known when each document came;
        # they are judged again on those of the whole index, as a scan of it would.
        if self.readonly:
            common = self._common_shingles(refresh=True)
        else:
            with self._transaction():
                common = self._common_shingles(refresh=True)
        numbers = [n for (n,) in self.db.execute("SELECT n FROM docs")]
        edges = self.db.execute("SELECT a, b FROM edges").fetchall()
        order, result = self._star_result(numbers, edges, common)
        if not self.readonly:
            with self._transaction():
                self.db.executemany("UPDATE docs SET cluster = ? WHERE n = ?",
                                    [(order[c.canonical], order[m]) for c in result.clusters for m in c.members])
                self.db.executemany("UPDATE docs SET cluster = n WHERE n = ?", [(order[k],) for k in result.lone.tolist()])
        return result

    def clusters(self, min_size: int = 2) -> Iterator[dict[str, Any]]:
        """Every cluster of at least ``min_size`` documents, in ``dedup scan``'s output format."""
        result = self.scan_result()
        written = 0
        for group in result.every_cluster() if min_size <= 1 else result.clusters:
            if len(group.members) >= min_size:
                written += 1
                yield cluster_record(result, group, written, self.outlets)

    def stats(self) -> dict[str, Any]:
        """Counts, sizes and the stored configuration."""
        count = len(self)
        labels = Counter(label for (label,) in self.db.execute("SELECT cluster FROM docs"))
        size = self.path.stat().st_size + (Path(f"{self.path}-wal").stat().st_size
                                           if Path(f"{self.path}-wal").exists() else 0)
        return {
            "documents": count,
            "sites": int(self.db.execute("SELECT COUNT(*) FROM site_docs WHERE docs > 0").fetchone()[0]),
            "clusters_of_2_or_more": sum(1 for v in labels.values() if v > 1),
            "documents_in_clusters": sum(v for v in labels.values() if v > 1),
            "verified_edges": int(self.db.execute("SELECT COUNT(*) FROM edges").fetchone()[0]),
            "bytes": size,
            "bytes_per_document": round(size / count) if count else 0,
            "config": self.config.to_dict(),
        }

    def explain(self, doc_id: str, neighbours: int = 5) -> str:
        """What was compared for a stored document, its verified matches and its cluster (the
        record lines and cluster lines are the scan's explainer's; removals are not stored)."""
        row = self.db.execute("SELECT n, record, body, shingles FROM docs WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise KeyError(doc_id)
        n, record, body, shingles_blob = row
        doc = self._mark_self(CleanDocument.from_record(record, bytes(body).decode("utf-8", "surrogatepass")))
        shingles = np.frombuffer(shingles_blob, dtype=np.uint32)
        evidence = len(self._common_shingles().evidence(shingles))
        lines = describe_document(doc, compact(doc.body), len(shingles), evidence, self.config, removals_kept=False)
        edges = self.db.execute("SELECT a, b, jaccard, containment FROM edges WHERE a = ? OR b = ? "
                                "ORDER BY containment DESC LIMIT ?", (n, n, neighbours)).fetchall()
        lines.append(f"  verified matches (threshold: containment >= {self.config.threshold}):")
        for a, b, jac, cont in edges:
            lines.append(f"    {self._id_for(b if a == n else a)}  jaccard={jac:.3f} containment={cont:.3f}")
        if not edges:
            lines.append("    none")
        numbers, component_edges = self._component([n])
        order, result = self._star_result(numbers, component_edges, self._common_shingles())
        lines.extend(describe_cluster(result, result.cluster_of(order.index(n))))
        return "\n".join(lines)


__all__ = ["Index", "Verdict", "Match"]
