"""Building an index from a scan: how ``dedup index`` fills an empty index.

Adding a corpus document by document costs a bucket lookup, the candidates' bodies and a few
dozen B-tree inserts at random places for every document. Into an empty index the whole corpus
is known at once, so the scan engine (:mod:`dedup.engines.local.engine`) does the matching, on all cores, and
its outcome is loaded in one transaction (:meth:`dedup.store.Store.load`): each document's row,
its band keys sorted by key (appends, not random inserts), the verified edges, the site
statistics and the common shingles. The index then holds what a scan of the corpus found (the
clusters of :meth:`dedup.engines.incremental.index.Index.clusters` are the scan's), and later documents are added
against it one by one as usual.

Differences from adding the same documents one by one: site templates are learned from the
whole corpus at once (as a scan learns them), not as pages arrive; a second document with an id
already read is rejected (as in a scan) instead of replacing the first.
"""

from __future__ import annotations

import logging
import os
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.engines.incremental.state import IndexState
from dedup.engines.local.engine import scan_corpus
from dedup.engines.local.tables import CorpusScan, IndexTables
from dedup.engines.pools import Progress, default_workers, ordered, start_pool
from dedup.engines.spool import SpoolReader
from dedup.errors import InputError, NotEmptyError
from dedup.io.formats import Walk, read_file, walk
from dedup.sites import SiteCounts
from dedup.stages.candidates import text_keys
from dedup.stages.templates import SiteProfiles, source_names
from dedup.store import CommonSet, Edge, PackedDocument, Store, pack_text
from dedup.text.normalize import compact

log = logging.getLogger("dedup")

DOCS_PER_TASK = 256
PART_BITS = 4
"""The band keys are sorted and loaded in 2**PART_BITS parts of the key space (bounded memory)."""

@dataclass(frozen=True)
class LoadCounts:
    """What a load stored: documents, and among them those verified against an earlier one
    (reposts, as :meth:`dedup.engines.incremental.index.Index.add` would have said of each) and the rest (new)."""

    stored: int
    reposts: int

    @property
    def new(self) -> int:
        return self.stored - self.reposts


@dataclass
class _TextTask:
    spans: list[tuple[str, int, int, str, int, int]]
    cut: list[bool]


_PACKER: dict[str, Any] = {}


def _init_packer(profiles: SiteProfiles) -> None:
    _PACKER.update(profiles=profiles, reader=SpoolReader())


def _stored_texts(spans: tuple[str, int, int, str, int, int], cut: bool, profiles: SiteProfiles,
                  reader: SpoolReader) -> tuple[CleanDocument, str]:
    """A scanned document as the index stores it (its site's template lines cut from the body
    when the scan cut them) and its record."""
    body_path, body_off, body_len, entry_path, entry_off, entry_len = spans
    record = reader.read(entry_path, entry_off, entry_len).decode("utf-8", "surrogatepass")
    body = reader.read(body_path, body_off, body_len).decode("utf-8", "surrogatepass")
    doc = CleanDocument.from_record(record, body)
    if cut:
        profiles.drop_templates(doc)
    return doc, record


def _pack_unit(task: _TextTask) -> list[tuple[str, str, bytes, bytes]]:
    """Each document's id, site, packed record and packed (template-cut) body."""
    out = []
    for spans, cut in zip(task.spans, task.cut, strict=True):
        doc, record = _stored_texts(spans, cut, _PACKER["profiles"], _PACKER["reader"])
        out.append((doc.id, doc.site, pack_text(record), pack_text(doc.body)))
    return out


def load_scan(store: Store, outcome: CorpusScan, config: Config, workers: int = 1,
              progress: Progress | None = None) -> LoadCounts:
    """Load a scan made with ``for_index=True`` into the empty ``store``; the documents are
    numbered 1, 2, ... in scan order (those site templates left too short are not stored).

    >>> import tempfile, os
    >>> from dedup.engines.local.engine import scan_documents
    >>> from dedup.store.sqlite import SQLiteStore
    >>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
    >>> docs = [{"id": "a", "text": text, "site": "a.cn"}, {"id": "b", "text": text, "site": "b.cn"}]
    >>> store = SQLiteStore(os.path.join(tempfile.mkdtemp(), "news.db"))
    >>> with scan_documents(docs, for_index=True) as outcome:
    ...     load_scan(store, outcome, Config())
    LoadCounts(stored=2, reposts=1)
    >>> store.close()
    """
    tables = outcome.tables
    if tables is None:
        raise ValueError("the scan keeps no tables for an index: scan with for_index=True")
    report = progress or (lambda stage, done, total: None)
    result = outcome.result
    valid = tables.valid
    numbers = np.cumsum(valid, dtype=np.int64)  # document k's number, where valid[k]
    stored = np.flatnonzero(valid)
    top = int(numbers[-1]) if len(numbers) else 0
    labels = numbers.copy()
    for cluster in result.clusters:
        labels[np.asarray(cluster.members, dtype=np.int64)] = numbers[cluster.canonical]
    cut = np.zeros(len(valid), dtype=bool)
    cut[tables.redone] = True
    profiles = result.profiles
    reader = outcome.reader

    pairs = result.pairs
    edges = [Edge(int(numbers[a]), int(numbers[b]), int(inter), float(j), float(c))
             for a, b, inter, j, c in zip(pairs.left.tolist(), pairs.right.tolist(), pairs.inter.tolist(),
                                          pairs.jaccard.tolist(), pairs.containment.tolist(), strict=True)]
    reposts = len(np.unique(np.maximum(pairs.left, pairs.right))) if len(pairs) else 0

    sites = _site_counts(tables, profiles, reader)
    line_bounds = np.searchsorted(tables.line_owners, np.arange(len(valid) + 1))

    def documents() -> Iterator[PackedDocument]:
        tasks = (_TextTask([tables.texts(k) for k in part], cut[part].tolist())
                 for part in (stored[start : start + DOCS_PER_TASK].tolist()
                              for start in range(0, len(stored), DOCS_PER_TASK)))
        # cutting only needs the sites' document counts and frequent lines
        lean = SiteProfiles(profiles.docs, profiles.lines, {}, profiles.min_share, profiles.min_count)
        pool = start_pool(workers, _init_packer, (lean,)) if workers > 1 and len(stored) > DOCS_PER_TASK else None
        if pool is None:
            _init_packer(lean)
        done = 0
        try:
            position = 0
            for _, rows in ordered(pool, _pack_unit, tasks, 4 * max(workers, 1)):
                for doc_id, site, record, body in rows:
                    k = int(stored[position])
                    position += 1
                    yield PackedDocument(int(numbers[k]), doc_id, site, tables.digests[k].tobytes(), record, body,
                                         np.sort(tables.line_keys[line_bounds[k]:line_bounds[k + 1]]).tobytes(),
                                         int(tables.shingle_counts[k]), int(tables.ranks[k]), int(labels[k]))
                done += len(rows)
                report("loading documents", done, len(stored))
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)

    store.load(documents(), _band_rows(tables, numbers, config, cut, profiles, reader, report), edges, sites,
               CommonSet(tables.common.hashes, top))
    with store.transaction():
        store.set_origins((int(numbers[cluster.canonical]), cluster.choice.origin) for cluster in result.clusters)
    log.info("load: %d documents stored, %d verified edges", len(stored), len(edges))
    return LoadCounts(len(stored), reposts)


def _site_counts(tables: IndexTables, profiles: SiteProfiles, reader: SpoolReader) -> SiteCounts:
    """The site statistics of the documents stored: the scan's summary of every document read,
    less those that site templates left too short (rejected)."""
    emptied = np.flatnonzero(~tables.valid)
    if not len(emptied):
        return tables.site_counts.positive()
    docs = [_stored_texts(tables.texts(k), False, profiles, reader)[0] for k in emptied.tolist()]
    start = np.searchsorted(tables.line_owners, emptied, side="left")
    end = np.searchsorted(tables.line_owners, emptied, side="right")
    taken = SiteCounts.of([doc.site for doc in docs], [tables.line_keys[a:b] for a, b in zip(start, end, strict=True)],
                          [sorted(source_names(doc)) for doc in docs], -1)
    return tables.site_counts.merge(taken).positive()


def _band_rows(tables: IndexTables, numbers: np.ndarray, config: Config, cut: np.ndarray, profiles: SiteProfiles,
               reader: SpoolReader, report: Progress) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """The stored documents' band keys and numbers, in parts of the key space, each sorted by
    key and number."""
    valid = tables.valid
    if tables.keys_path is None:  # fewer than two documents: no key table was made
        for k in np.flatnonzero(valid).tolist():
            doc, _ = _stored_texts(tables.texts(k), bool(cut[k]), profiles, reader)
            keys = np.unique(text_keys(compact(doc.body), config)[1])
            yield keys, np.full(len(keys), numbers[k], dtype=np.int64)
        return
    table = tables.band_keys()
    shift, parts = np.uint64(64 - PART_BITS), 1 << PART_BITS
    for part in range(parts):
        keys_found: list[np.ndarray] = []
        numbers_found: list[np.ndarray] = []
        for row in range(table.shape[0]):
            keys = np.asarray(table[row])
            chosen = valid & ((keys >> shift) == part)
            keys_found.append(keys[chosen])
            numbers_found.append(numbers[chosen])
        keys = np.concatenate(keys_found)
        nums = np.concatenate(numbers_found)
        order = np.lexsort((nums, keys))
        report("loading band keys", part + 1, parts)
        yield keys[order], nums[order]


__all__ = ["LoadCounts", "load_scan"]


def add_corpus(state: IndexState, add_many: Callable[..., Iterator[Any]], roots: Sequence[str | os.PathLike[str]],
               workers: int | None, bulk: bool | None, batch: int, progress: Progress | None,
               walked: Walk | None) -> tuple[Counter[str], list[InputError], bool]:
    """What :meth:`Index.add_corpus <dedup.engines.incremental.index.Index.add_corpus>` does: the
    corpus scanned and loaded at once into an empty index (``bulk``), or added one by one through
    ``add_many``. Returns the statuses counted, the rejected inputs and whether it was loaded at once."""
    store, config = state.store, state.config
    processes = workers if workers is not None else default_workers()
    report = progress or (lambda stage, done, total: None)
    empty = store.count() == 0
    if bulk and not empty:
        raise NotEmptyError(f"{store.location} holds documents already: only an empty index is loaded at "
                            "once (add to it without bulk)")
    if bulk is None:
        bulk = empty and not store.shared
    walked = walked if walked is not None else walk(roots)
    if bulk and not state.readonly:
        with scan_corpus(roots, config, state.outlets, workers=processes, progress=report, walked=walked,
                         for_index=True) as outcome:
            counts = load_scan(store, outcome, config, processes, report)
            rejects = list(outcome.rejects)
        state.forget(common=True)
        return Counter({"new": counts.new, "repost": counts.reposts, "rejected": len(rejects)}), rejects, True
    return (*_add_one_by_one(config.max_file_bytes, add_many, walked, batch, processes, report), False)


def _add_one_by_one(max_file_bytes: int, add_many: Callable[..., Iterator[Any]], walked: Walk, batch: int,
                    processes: int, report: Progress) -> tuple[Counter[str], list[InputError]]:
    rejects = list(walked.errors)
    statuses: Counter[str] = Counter()

    def documents() -> Iterable[Document]:
        for path, rel in walked.files:
            for item in read_file(path, rel, max_file_bytes):
                if isinstance(item, InputError):
                    rejects.append(item)
                else:
                    yield item

    for count, verdict in enumerate(add_many(documents(), batch=batch, workers=processes, detail=False), start=1):
        statuses[verdict.status] += 1
        if verdict.status == "rejected":
            rejects.append(InputError(verdict.id, verdict.reason or "rejected", kind="empty", doc_id=verdict.id))
        if count % 100 == 0:
            report("indexing", count, max(count, len(walked.files)))
    statuses["rejected"] = len(rejects)
    return statuses, rejects
