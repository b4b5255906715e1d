"""The incremental engine: a persistent duplicate index for pipelines that see one document at a time.

>>> import tempfile, os
>>> path = os.path.join(tempfile.mkdtemp(), "news.db")
>>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
>>> with Index(path) as index:
...     first = index.add({"id": "a", "text": text, "site": "a.cn"})
...     second = index.add({"id": "b", "text": text, "site": "b.cn"})
>>> first.status, second.status, second.canonical_id
('new', 'repost', 'a')

The engine runs the detector's stages on each document (prepare, site templates, sketch,
candidates, verification) and, for a verdict, star-clusters the document's connected component
exactly as a scan clusters a corpus, so a verdict names the canonical copy that :meth:`Index.clusters`
gives. What it knows lives in a store (:mod:`dedup.store`; a SQLite file by default, or a
PostgreSQL database shared by many writers): the configuration is stored there, and opening with
different hashing or normalisation settings fails. With a shared store, each writer looks in its
buckets again after every commit, so that two near-duplicates added at the same moment by two
writers are matched (:meth:`Index._look_again`).

Every ``add`` or ``add_many`` batch is one transaction: a crash loses at most the batch in flight,
and adding the same documents again finishes the job. A whole corpus goes into an empty index at
once (:meth:`Index.add_corpus`, :mod:`dedup.bulk`): scanned by the scan engine and loaded in one
transaction.
"""

from __future__ import annotations

import logging
import math
import os
import random
import time
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

import numpy as np

from dedup.clean import CleanOptions, rejected_after_cleaning
from dedup.common import CommonShingles, EvidenceReader, sample_pairs, sample_rank
from dedup.config import Config
from dedup.corpus import Progress
from dedup.document import CleanDocument, Document
from dedup.errors import ConfigMismatchError, InputError, NotEmptyError, StoreConflict
from dedup.io.readers import Walk
from dedup.lsh import bucket_allowed, proposed_by, sketch_document, text_keys
from dedup.normalize import compact
from dedup.outlets import OutletTable
from dedup.partners import best_partners, passage_rows, passage_rows_of
from dedup.prepare import clean_options, prepare
from dedup.report import cluster_record, describe_cluster, describe_digest, describe_document
from dedup.result import LazySequence, ScanResult, build_clusters, lone_cluster_maker
from dedup.sketch import figures, passage_keys, shingles_of
from dedup.store import CommonSet, Link, SiteDelta, Store, StoredDocument, open_store
from dedup.templates import (
    SiteProfiles,
    countable_lines,
    document_line_keys,
    drop_lines,
    is_own_name,
    mark_self,
    source_names,
    template_threshold,
)
from dedup.verify import VerifiedPairs, verify_pairs
from dedup.workers import ordered, start_pool

log = logging.getLogger("dedup")

QUERIED_KEPT = 64
"""Documents :meth:`Index.query` cleaned, kept (by id and content digest) for the :meth:`Index.add`
of the same document that often follows: it is not cleaned again (cleaning is a fifth of an add)."""
SKETCH_CACHE = 4096
"""Stored documents' sketches (made again from their bodies) kept in memory, most recently used."""

_T = TypeVar("_T")


def _recent(cache: OrderedDict[int, _T], numbers: list[int]) -> dict[int, _T]:
    """What an LRU cache by number holds of ``numbers`` (each found one becomes the most recent)."""
    found = {}
    for n in numbers:
        if n in cache:
            cache.move_to_end(n)
            found[n] = cache[n]
    return found
CONFLICT_RETRIES = 8
"""How many times a batch that clashed with another writer's (a deadlock) is run again."""
COMMON_REFRESH_GROWTH = 1.1
COMMON_REFRESH_MIN_DOCS = 200
"""The common shingles are learned again when the index has grown by a tenth and by 200 documents."""


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
    ``common_version`` names the set of common shingles the verdict was made with (the number of
    the last stored document when it was learned; -1 before any was).
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
    common_version: int = -1

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
    sketched: str | None = None
    """the compared text ``shingles``, ``figures`` and ``band_keys`` were made from (None: not yet)"""
    queried: tuple[tuple[int, int, int], str, list[Link], set[int]] | None = None
    """what a query found for it: the index's state then (:meth:`Index._state`), the compared
    text, the verified neighbours and every document its buckets held"""

    def delta(self, sign: int) -> SiteDelta:
        return SiteDelta(self.doc.site, tuple(self.line_keys), tuple(self.names), sign)


@dataclass
class _Added:
    """A document stored in the batch being committed, for the look after the commit."""

    position: int
    number: int
    prepared: _Prepared
    neighbours: list[Link]
    seen: set[int] = field(default_factory=set)
    """the stored documents in its buckets when it was added"""


@dataclass(frozen=True)
class CorpusAdded:
    """What :meth:`Index.add_corpus` did: how many documents got each status (``new``,
    ``repost``, ``unchanged``; ``rejected`` counts every rejected input), the rejected inputs, and
    whether the corpus was scanned and loaded at once (``bulk``)."""

    statuses: Counter[str]
    rejects: list[InputError]
    bulk: bool


def _best(neighbours: list[Link]) -> Link | None:
    return max(neighbours, key=lambda v: (v.containment, v.jaccard, -v.number)) if neighbours else None


def _id_of(doc: Document | dict[str, Any]) -> str:
    return doc.id if isinstance(doc, Document) else str(doc.get("id"))


def _as_document(doc: Document | dict[str, Any]) -> Document:
    if isinstance(doc, Document):
        return doc
    try:
        return Document.from_dict(doc)
    except ValueError as exc:
        raise ValueError(f"cannot index {_id_of(doc)!r}: {exc}") from exc


def _prepare(doc: Document | dict[str, Any], config: Config, outlets: OutletTable,
             options: CleanOptions, sketch: bool = False, digest: bytes | None = None) -> _Prepared | InputError:
    """Clean a document (the part of adding that needs no index; worker processes run it), and
    with ``sketch`` sketch it too: unless the site's template lines are cut from it when it is
    added, that sketch is the one it is stored with."""
    doc = _as_document(doc)
    cleaned = prepare(doc, config, outlets, options)
    if isinstance(cleaned, InputError):
        return cleaned
    prepared = _Prepared(cleaned, digest or doc.digest(), np.zeros(0, np.uint32), np.zeros(0, np.uint64), [],
                         sorted(document_line_keys(cleaned)), sorted(source_names(cleaned)))
    if sketch:
        _sketch_prepared(prepared, config)
    return prepared


def _copy_prepared(prepared: _Prepared) -> _Prepared:
    """A copy that later changes to ``prepared`` (template lines cut, 来源 marked as the site's
    own) leave alone."""
    doc = prepared.doc
    return replace(prepared, doc=replace(doc, attributions=[replace(a) for a in doc.attributions],
                                         removed=list(doc.removed), compared_lines=list(doc.compared_lines)))


def _sketch_prepared(prepared: _Prepared, config: Config) -> None:
    compared = prepared.doc.compared
    sketched = sketch_document(compared, config)
    prepared.shingles, prepared.figures, prepared.band_keys = sketched.shingles, sketched.figures, sketched.keys.tolist()
    prepared.sketched = compared


_WORKER: dict[str, Any] = {}


def _init_worker(config: Config, outlets: OutletTable) -> None:
    _WORKER.update(config=config, outlets=outlets, options=clean_options(config))


def _prepare_chunk(docs: list[Document | dict[str, Any]]) -> list[_Prepared | InputError | ValueError]:
    out: list[_Prepared | InputError | ValueError] = []
    for doc in docs:
        try:
            out.append(_prepare(doc, _WORKER["config"], _WORKER["outlets"], _WORKER["options"], sketch=True))
        except ValueError as exc:
            out.append(exc)
    return out


def _labels(order: list[int], result: ScanResult) -> list[tuple[int, int]]:
    """``(document, label)`` for every document of a result: the number of its cluster's canonical copy."""
    labels = [(order[m], order[c.canonical]) for c in result.clusters for m in c.members]
    return labels + [(order[k], order[k]) for k in result.lone.tolist()]


class Index:
    """Open (or create) the index at ``location``: a SQLite file's path (or ``sqlite:///path``;
    one writer at a time), a PostgreSQL URL (``postgresql://user@host:port/db``; any number of
    writers at once, in any number of processes), or an open :class:`~dedup.store.Store`.

    ``config`` defaults to the stored one (or :class:`Config` for a new index); a config whose
    hashing or normalisation settings differ from the stored ones raises
    :class:`~dedup.errors.ConfigMismatchError` naming them. ``readonly`` opens for queries only
    (nothing is written; a SQLite reader takes no lock).
    """

    def __init__(self, location: str | os.PathLike[str] | Store, config: Config | None = None,
                 outlets: OutletTable | None = None, readonly: bool = False, timeout: float = 30.0) -> None:
        self.store: Store = location if not isinstance(location, (str, os.PathLike)) \
            else open_store(os.fspath(location), readonly, timeout)
        self.readonly = self.store.readonly
        self.outlets = outlets or OutletTable.default()
        try:
            self.config = self._check_config(config)
        except BaseException:
            self.store.close()
            raise
        self._options = clean_options(self.config)
        self._own_names: dict[str, str | None] = {}
        self._common: CommonShingles | None = None
        self._common_version = -1
        self._sampled: dict[tuple[int, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._sketches: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self._rows: OrderedDict[int, np.ndarray] = OrderedDict()
        self._queried: OrderedDict[tuple[str, bytes], _Prepared] = OrderedDict()
        self._removals = 0

    def _check_config(self, config: Config | None) -> Config:
        stored = self.store.stored_config()
        if stored is None:
            chosen = config or Config()
            self.store.save_config(chosen)
            # another writer may have created the index at the same moment: its configuration stands
            stored = self.store.stored_config()
            if stored is None or not stored.hashing_differences(chosen):
                return chosen
        if config is None:
            return stored
        differences = stored.hashing_differences(config)
        if differences:
            raise ConfigMismatchError(f"{self.store.location} was built with other settings: {'; '.join(differences)}. "
                                      "Open it without a configuration (the stored one is used) or build a new index.")
        return config

    def close(self) -> None:
        """Close the store (and release a writer's lock)."""
        self.store.close()

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- site statistics: learned as documents come, applied to each ----------------------------

    def _own_name(self, site: str) -> str | None:
        if site not in self._own_names:
            top = self.store.top_source(site)
            self._own_names[site] = top[0] if top and is_own_name(top[1], self.store.site_docs(site)) else None
        return self._own_names[site]

    def _mark_self(self, doc: CleanDocument) -> CleanDocument:
        return mark_self(doc, self._own_name(doc.site))

    def _drop_templates(self, prepared: _Prepared, extra_docs: int) -> None:
        """Drop the lines the site repeats on enough of its pages (counting this one if it is being added)."""
        doc = prepared.doc
        needed = template_threshold(self.store.site_docs(doc.site) + extra_docs)
        if needed == math.inf:
            return
        line_keys = countable_lines(doc)
        counts = self.store.line_counts(sorted(set(line_keys.values())))
        drop_lines(doc, lambda key: key in line_keys and counts.get(line_keys[key], 0) + extra_docs >= needed)

    def _sample_sketch(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        """A sampled document's shingle set and LSH keys, made from its stored body."""
        return text_keys(compact(body), self.config)

    def _stored_sketches(self, numbers: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """The shingle sets and figures of stored documents, made from their bodies (what
        :meth:`_sketch` made when each was added: the compared text is the compacted body). The
        last few thousand are kept by number, since the documents of a story being reposted are
        verified again and again; their bodies are then not even read."""
        out = _recent(self._sketches, numbers)
        for n, body in self.store.bodies([n for n in numbers if n not in out]).items():
            out[n] = self._remember_sketch(n, body)
        return out

    def _remember_sketch(self, number: int, body: str,
                         made: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The sketch of stored document ``number`` (``made``: already made from ``body``)."""
        found = self._sketches.get(number)
        if found is None:
            found = self._sketches[number] = made or self._sketch_body(body)
            if len(self._sketches) > SKETCH_CACHE:
                self._sketches.popitem(last=False)
        return found

    def _passage_partners(self, prepared: _Prepared, sharing: list[int], rare: set[int],
                          crowded: set[int]) -> np.ndarray:
        """Of the stored documents sharing a passage with this one (``rare``: a rare one;
        ``crowded``: one that is not), those it is verified against
        (:func:`dedup.partners.best_partners`: the scan's rule for the document that arrives last)."""
        if not sharing:
            return np.zeros(0, dtype=np.int64)
        rows = self._stored_passage_rows(sharing)
        own = passage_rows_of(np.array(prepared.band_keys, dtype=np.uint64)[None, :], self.config.total_bands)[0]
        return best_partners(own, np.stack([rows[n] for n in sharing]), np.array(sharing, dtype=np.int64),
                             np.array([n in rare for n in sharing], dtype=bool),
                             np.array([n in crowded for n in sharing], dtype=bool), self.config.passage_partners,
                             self.config.passage_floor)

    def _stored_passage_rows(self, numbers: list[int]) -> dict[int, np.ndarray]:
        """The passage rows of stored documents, made from their bodies (kept like their sketches)."""
        out = _recent(self._rows, numbers)
        for n, body in self.store.bodies([n for n in numbers if n not in out]).items():
            compared = compact(body)
            keys = passage_keys(compared, self.config.shingle_size, self.config.passage_span,
                                self.config.passage_keys, 0, self.config.tokens)
            out[n] = self._rows[n] = passage_rows(keys[None, :], np.zeros(1, dtype=np.uint64))[0]
            self._remember_sketch(n, body)  # verification will want it: the body is not read twice
            if len(self._rows) > SKETCH_CACHE:
                self._rows.popitem(last=False)
        return out

    def _sketch_body(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        compared = compact(body)
        return shingles_of(compared, self.config.shingle_size, self.config.tokens), figures(compared)

    def _sketch(self, prepared: _Prepared) -> None:
        """Sketch the document as it is to be compared (again only if cutting templates changed it)."""
        if prepared.sketched != prepared.doc.compared:
            _sketch_prepared(prepared, self.config)


    # --- corpus-wide common shingles -------------------------------------------------------------

    def common_shingles(self, refresh: bool = False) -> CommonShingles:
        """The common shingles of what is stored (see :mod:`dedup.common`), and their version
        (``common_version``: the number of the last document stored when they were learned).

        Learned again from the sample (the lowest-ranked stored documents) when the index has
        grown by a tenth (and by 200 documents) since they were last learned, or when ``refresh``
        asks; kept in the store, so opening the index costs nothing.
        """
        top = self.store.top()

        def stale(version: int) -> bool:
            return top > max(version * COMMON_REFRESH_GROWTH, version + COMMON_REFRESH_MIN_DOCS)

        if (self._common is None or stale(self._common_version)) and not refresh:
            # another writer may have learned a newer set already
            stored = self.store.common()
            if stored is not None and stored.version > self._common_version:
                self._common = CommonShingles(stored.hashes, self.config.min_shingles)
                self._common_version = stored.version
        if self._common is not None and not refresh and not stale(self._common_version):
            return self._common
        config = self.config
        sample = self.store.sample(config.common_sample)
        # The sample's sets and LSH keys are made again from the stored bodies; the sample changes
        # little from one learning to the next, so what was made last time is kept.
        made = {(doc.number, doc.digest): self._sampled.get((doc.number, doc.digest)) or self._sample_sketch(doc.body)
                for doc in sample}
        self._sampled = made
        sets = [made[doc.number, doc.digest][0] for doc in sample]
        keys = np.array([made[doc.number, doc.digest][1] for doc in sample],
                        dtype=np.uint64).reshape(len(sample), config.total_keys)
        pairs = sample_pairs(np.repeat(np.arange(len(sample)), keys.shape[1]), keys.ravel(), config.max_bucket)
        self._common = CommonShingles.learn(sets, pairs, config)
        self._common_version = top
        if not self.readonly:
            self.store.save_common(CommonSet(self._common.hashes, top))
        log.debug("common shingles learned from %d sampled documents: %d", len(sample), len(self._common))
        return self._common

    @property
    def common_version(self) -> int:
        self.common_shingles()
        return self._common_version

    # --- candidates and verification ------------------------------------------------------------

    def _neighbours(self, prepared: _Prepared, exclude: int | None = None, seen: set[int] | None = None,
                    found: list[tuple[int, int]] | None = None, only: set[int] | None = None) -> list[Link]:
        """The stored documents an incoming one is verified against, and the figures of each pair
        (``seen`` gets every document its buckets hold; ``found``: the buckets, when already read,
        this document among them; ``only``: verify against these alone)."""
        stored = found is not None
        found = self.store.buckets(prepared.band_keys) if found is None else found
        if seen is not None:
            seen.update(n for _, n in found)
        per_key = Counter(key for key, _ in found)
        # Buckets holding more than max_bucket documents are template collisions, as in a scan
        # (the stored members plus this document make the bucket's size); passages have their own
        # cap, and of the documents sharing passages only the best partners are verified.
        passages = set(prepared.band_keys[self.config.total_bands:])
        banded: set[int] = set()
        sharing: set[int] = set()
        rare: set[int] = set()
        crowded: set[int] = set()
        for key, n in found:
            if n == exclude or (only is not None and n not in only):
                continue
            holders = per_key[key] + (0 if stored else 1)  # this document is the bucket's latest
            if key in passages:
                if bucket_allowed(holders, self.config.max_passage_bucket):
                    sharing.add(n)
                    (rare if holders <= self.config.rare_passage else crowded).add(n)
            elif bucket_allowed(holders, self.config.max_bucket):
                banded.add(n)
        numbers = sorted(banded | set(self._passage_partners(prepared, sorted(sharing), rare, crowded).tolist()))
        common = self.common_shingles()
        sketches = self._stored_sketches(numbers)
        sketches[-1] = prepared.shingles, prepared.figures  # the incoming document is -1
        sketch_of = EvidenceReader(sketches.__getitem__, common, {})
        kept = verify_pairs([(-1, n) for n in numbers if n in sketches], sketch_of, self.config)
        return [Link(p.right, p.inter, p.jaccard, p.containment) for p in kept]

    # --- the verbs ---------------------------------------------------------------------------

    def _cleaned_here(self, doc: Document | dict[str, Any], keep: bool = False) -> _Prepared | InputError:
        """``doc`` cleaned in this process, or taken as a query just cleaned it; with ``keep`` (a
        query), an untouched copy is kept for an add that follows."""
        document = _as_document(doc)
        key = (document.id, document.digest())
        kept = self._queried.pop(key, None)
        if kept is not None and not keep:
            return kept
        prepared = kept or _prepare(document, self.config, self.outlets, self._options, digest=key[1])
        if keep and not isinstance(prepared, InputError):
            self._queried[key] = _copy_prepared(prepared)
            while len(self._queried) > QUERIED_KEPT:
                self._queried.popitem(last=False)
        return prepared

    def query(self, doc: Document | dict[str, Any]) -> Verdict:
        """What :meth:`add` would answer for ``doc``, without storing anything."""
        prepared = self._cleaned_here(doc, keep=True)
        if isinstance(prepared, InputError):
            return Verdict(_id_of(doc), "rejected", reason=str(prepared))
        existing = self.store.lookup(prepared.doc.id)
        if existing is not None and existing[1] == prepared.digest:
            return self._verdict_for_stored(existing[0], "unchanged")
        compared = prepared.doc.compared
        self._drop_templates(prepared, 0)
        self._sketch(prepared)
        kept = self._queried.get((prepared.doc.id, prepared.digest))
        if kept is not None and prepared.sketched == compared:  # no template line cut: the sketch is the add's too
            kept.shingles, kept.figures, kept.band_keys, kept.sketched = (prepared.shingles, prepared.figures,
                                                                          prepared.band_keys, prepared.sketched)
        refused = rejected_after_cleaning(prepared.doc, len(prepared.shingles), self.config.min_shingles)
        if refused is not None:
            return Verdict(prepared.doc.id, "rejected", reason=str(refused))
        seen: set[int] = set()
        neighbours = self._neighbours(prepared, existing[0] if existing is not None else None, seen=seen)
        if kept is not None and prepared.sketched == compared and existing is None:
            kept.queried = (self._state(), compared, neighbours, seen)
        if not neighbours:
            return Verdict(prepared.doc.id, "new", canonical_id=prepared.doc.id, is_canonical=True,
                           replaced=existing is not None, common_version=self._common_version)
        return replace(self._verdict(prepared.doc.id, -1, "repost", prepared, neighbours, replaced=existing is not None),
                       common_version=self._common_version)

    def add(self, doc: Document | dict[str, Any]) -> Verdict:
        """Store a document and say what it is: a new story, or a repost of which cluster."""
        return self._add_batch([(doc, None)], True)[0]

    def add_many(self, docs: Iterable[Document | dict[str, Any]], batch: int = 500,
                 workers: int = 1, detail: bool = True) -> Iterator[Verdict]:
        """Add documents, committing every ``batch`` of them; yields a verdict per document, in order.

        With ``workers`` > 1, documents are cleaned in that many processes while this one updates
        the index (the result is the same as adding them one by one). ``detail=False`` skips the
        choice of canonical copy and origin in the verdicts (status, best similarity only): much
        faster for bulk loading, the index is the same.
        """
        pending: list[tuple[Document | dict[str, Any], _Prepared | InputError | ValueError | None]] = []
        for item in self._prepared(docs, workers):
            pending.append(item)
            if len(pending) >= batch:
                yield from self._add_batch(pending, detail)
                pending = []
        if pending:
            yield from self._add_batch(pending, detail)

    def add_corpus(self, roots: Sequence[str | os.PathLike[str]], workers: int | None = None,
                   bulk: bool | None = None, batch: int = 500, progress: Progress | None = None,
                   walked: Walk | None = None) -> CorpusAdded:
        """Add every supported file under ``roots`` (what ``dedup index`` does); returns how many
        documents got each status and the rejected inputs (naming file and line).

        With ``bulk`` (the default for an empty SQLite index), the corpus is scanned whole on
        ``workers`` processes and the scan's outcome loaded at once (:mod:`dedup.bulk`: several
        times faster; the index then holds what ``dedup scan`` finds). Otherwise the documents are
        added one by one (:meth:`add_many`, committing every ``batch``; stored documents with the
        same content are skipped, so running it again after a crash finishes the job). ``bulk=True``
        on an index that holds documents raises :class:`~dedup.errors.NotEmptyError` (a ``ValueError``).

        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> text = "新华社北京9月23日电 工信部表示将加快培育一批有国际竞争力的先进制造业集群，推动区域协调发展。"
        >>> for name in ("a", "b"):
        ...     _ = (folder / "news" / name).mkdir(parents=True)
        ...     _ = (folder / "news" / name / "1.txt").write_text("标题\\n" + text, encoding="utf-8")
        >>> with Index(folder / "news.db") as index:
        ...     added = index.add_corpus([folder / "news"], workers=1)
        >>> added.bulk, added.statuses["new"], added.statuses["repost"]
        (True, 1, 1)
        """
        from dedup.bulk import load_scan
        from dedup.corpus import scan_corpus
        from dedup.io.readers import read_file, walk

        processes = workers if workers is not None else min(os.cpu_count() or 1, 8)
        report = progress or (lambda stage, done, total: None)
        empty = self.store.count() == 0
        if bulk and not empty:
            raise NotEmptyError(f"{self.store.location} holds documents already: only an empty index is loaded at "
                                "once (add to it without bulk)")
        if bulk is None:
            bulk = empty and not self.store.shared
        walked = walked if walked is not None else walk(roots)
        if bulk and not self.readonly:
            with scan_corpus(roots, self.config, self.outlets, workers=processes, progress=report, walked=walked,
                             for_index=True) as outcome:
                counts = load_scan(self.store, outcome, self.config, processes, report)
                rejects = list(outcome.rejects)
            self._common, self._common_version = None, -1
            self._own_names.clear()
            self._sketches.clear()
            self._rows.clear()
            return CorpusAdded(Counter({"new": counts.new, "repost": counts.reposts, "rejected": len(rejects)}),
                               rejects, True)
        rejects = list(walked.errors)
        statuses: Counter[str] = Counter()

        def documents() -> Iterator[Document]:
            for path, rel in walked.files:
                for item in read_file(path, rel, self.config.max_file_bytes):
                    if isinstance(item, InputError):
                        rejects.append(item)
                    else:
                        yield item

        for count, verdict in enumerate(self.add_many(documents(), batch=batch, workers=processes, detail=False),
                                        start=1):
            statuses[verdict.status] += 1
            if verdict.status == "rejected":
                rejects.append(InputError(verdict.id, verdict.reason or "rejected", kind="empty", doc_id=verdict.id))
            if count % 100 == 0:
                report("indexing", count, max(count, len(walked.files)))
        statuses["rejected"] = len(rejects)
        return CorpusAdded(statuses, rejects, False)

    def _prepared(self, docs: Iterable[Document | dict[str, Any]], workers: int,
                  ) -> Iterator[tuple[Document | dict[str, Any], _Prepared | InputError | ValueError | None]]:
        """Each document with its prepared form: made on ``workers`` processes, or later (None) in this one."""
        if workers <= 1:
            for doc in docs:
                yield doc, None
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
            for chunk, prepared in ordered(pool, _prepare_chunk, chunks(), 4 * workers):
                yield from zip(chunk, prepared, strict=True)

    def _add_batch(self, items: list[tuple[Document | dict[str, Any], _Prepared | InputError | ValueError | None]],
                   detail: bool) -> list[Verdict]:
        """One transaction for the batch, run again when it clashed with another writer's; then,
        with other writers about, a second look at the buckets (:meth:`_look_again`)."""
        for item in items:
            if isinstance(item[1], ValueError):
                raise item[1]
        added: list[_Added] = []
        attempts = [0]

        def run() -> list[Verdict]:
            added.clear()
            again = attempts[0] > 0  # adding changed the prepared documents: prepare them again
            attempts[0] += 1
            return [self._add(doc, None if again or isinstance(ready, ValueError) else ready, detail, added, position)
                    for position, (doc, ready) in enumerate(items)]

        out = self._transaction(run)
        if self.store.shared and added:
            self._look_again(out, added, detail)
        return out

    def _transaction(self, work: Callable[[], list[Verdict]]) -> list[Verdict]:
        """``work()`` in one write transaction, run again (a few times, after a short random wait)
        when it clashed with another writer's; what this object cached from the store goes too."""
        for attempt in range(CONFLICT_RETRIES):
            try:
                with self.store.transaction():
                    return work()
            except BaseException as exc:
                # what was kept of this transaction's documents is gone with it (SQLite gives their
                # numbers again)
                self._sketches.clear()
                self._rows.clear()
                if not isinstance(exc, StoreConflict):
                    raise
                self._own_names.clear()
                if attempt == CONFLICT_RETRIES - 1:
                    raise
                log.info("%s; running the batch again", exc)
                time.sleep(random.uniform(0.01, 0.05 * (attempt + 1)))
        raise AssertionError("unreachable")

    def _look_again(self, out: list[Verdict], added: list[_Added], detail: bool) -> None:
        """After a commit, look in the buckets of the documents just stored for documents another
        writer committed meanwhile (invisible before: uncommitted), and link the verified ones.

        This closes the race of two near-duplicates added at the same moment by two writers: of
        the two commits, the later one's writer looks after it, and sees the other document.
        """
        batch = {item.number for item in added}
        found = self.store.buckets(sorted({key for item in added for key in item.prepared.band_keys}))
        by_key: dict[int, list[int]] = defaultdict(list)
        for key, n in found:
            by_key[key].append(n)
        for item in added:
            mine = [(key, n) for key in set(item.prepared.band_keys) for n in by_key.get(key, ())]
            fresh = {n for _, n in mine} - item.seen - batch
            if not fresh:
                continue
            links = self._neighbours(item.prepared, exclude=item.number, found=mine, only=fresh)
            if not links:
                continue
            log.debug("%s: %d near-duplicates committed by another writer meanwhile", item.prepared.doc.id, len(links))
            before = out[item.position]

            def relink(item: _Added = item, links: list[Link] = links, before: Verdict = before) -> list[Verdict]:
                self.store.link(item.number, links)
                neighbours = item.neighbours + links
                verdict = self._verdict(before.id, item.number, "repost", item.prepared, neighbours,
                                        replaced=before.replaced) if detail \
                    else self._brief(before.id, neighbours, before.replaced)
                return [replace(verdict, common_version=self._common_version)]

            out[item.position] = self._transaction(relink)[0]

    @staticmethod
    def _brief(doc_id: str, neighbours: list[Link], replaced: bool) -> Verdict:
        best = _best(neighbours)
        return Verdict(doc_id, "repost" if neighbours else "new", jaccard=round(best.jaccard, 4) if best else 0.0,
                       containment=round(best.containment, 4) if best else 0.0, replaced=replaced)

    def _add(self, doc: Document | dict[str, Any], ready: _Prepared | InputError | None = None,
             detail: bool = True, added: list[_Added] | None = None, position: int = 0) -> Verdict:
        verdict = self._add_one(doc, ready, detail, added, position)
        return replace(verdict, common_version=self._common_version)

    def _add_one(self, doc: Document | dict[str, Any], ready: _Prepared | InputError | None,
                 detail: bool, added: list[_Added] | None, position: int) -> Verdict:
        prepared = ready if ready is not None else self._cleaned_here(doc)
        if isinstance(prepared, InputError):
            return Verdict(_id_of(doc), "rejected", reason=str(prepared))
        doc_id = prepared.doc.id
        existing = self.store.lookup(doc_id)
        if existing is not None:
            if existing[1] == prepared.digest:
                return self._verdict_for_stored(existing[0], "unchanged")
            self._remove(existing[0])
        self._drop_templates(prepared, 1)
        self._sketch(prepared)
        refused = rejected_after_cleaning(prepared.doc, len(prepared.shingles), self.config.min_shingles)
        if refused is not None:
            return Verdict(doc_id, "rejected", reason=str(refused), replaced=existing is not None)
        queried = prepared.queried
        if queried is not None and queried[0] == self._state() and queried[1] == prepared.sketched:
            # queried just before, with nothing added or removed since: its neighbours stand (on a
            # shared index, what other writers commit meanwhile is found by the look after the commit)
            neighbours, seen = list(queried[2]), set(queried[3])
        else:
            seen = set()
            neighbours = self._neighbours(prepared, seen=seen)
        stored = StoredDocument(doc_id, prepared.doc.site, prepared.digest, prepared.doc.to_record(),
                                prepared.doc.body, np.array(prepared.line_keys, dtype=np.uint64), sample_rank(doc_id),
                                len(prepared.shingles))
        n = self.store.add(stored, prepared.band_keys, neighbours, prepared.delta(+1))
        self._remember_sketch(n, prepared.doc.body, (prepared.shingles, prepared.figures))
        if added is not None:
            added.append(_Added(position, n, prepared, neighbours, seen))
        self._own_names.pop(prepared.doc.site, None)
        replaced = existing is not None
        if not detail:
            return self._brief(doc_id, neighbours, replaced)
        if not neighbours:  # no edge: its component is itself
            return Verdict(doc_id, "new", canonical_id=doc_id, is_canonical=True, replaced=replaced)
        return self._verdict(doc_id, n, "repost", prepared, neighbours, replaced=replaced)

    def remove(self, doc_id: str) -> bool:
        """Delete a document (and its edges); returns whether it was there."""
        with self.store.transaction():
            found = self.store.lookup(doc_id)
            if found is None:
                return False
            self._remove(found[0])
            return True

    def _state(self) -> tuple[int, int, int]:
        """What a document's neighbours depend on besides itself: the last number given, the
        removals and the common shingles' version."""
        return self.store.top(), self._removals, self._common_version

    def _remove(self, n: int) -> None:
        self._removals += 1
        self._sketches.pop(n, None)
        self._rows.pop(n, None)
        stored = self.store.documents([n], texts=False)[n]
        doc = CleanDocument.from_record(stored.record)
        self.store.remove(n, SiteDelta(stored.site, tuple(stored.line_keys.tolist()), tuple(sorted(source_names(doc))),
                                       -1))
        self._own_names.pop(stored.site, None)

    def get(self, doc_id: str) -> CleanDocument | None:
        """The stored, cleaned form of a document (its body is the cleaned text), or None."""
        found = self.store.lookup(doc_id)
        stored = self.store.document(found[0]) if found else None
        return self._cleaned(stored) if stored else None

    def _cleaned(self, stored: StoredDocument) -> CleanDocument:
        return self._mark_self(CleanDocument.from_record(stored.record, stored.body))

    def __len__(self) -> int:
        return self.store.count()

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self.store.lookup(doc_id) is not None

    # --- verdicts: star clusters of a connected component ----------------------------------------

    def _star_result(self, numbers: list[int], edges: Iterable[tuple[int, int]], common: CommonShingles,
                     query: _Prepared | None = None, query_links: Iterable[int] = (),
                     texts: bool = True) -> tuple[list[int], ScanResult]:
        """Star clusters of the stored documents ``numbers`` (and of a queried document, not stored,
        whose verified neighbours are ``query_links``), exactly as a scan of them clusters: the
        stored edges are judged again on ``common``, documents are ordered by id.

        Returns the document numbers in result order (``-1`` for the queried document) and the
        result (without ``texts``, its documents' bodies are empty: a verdict needs none).
        """
        # A component (a verdict) is read at once; the whole index (clusters()) document by document.
        small = len(numbers) <= 2000
        stored = self.store.documents(numbers, texts=texts) if small else {}
        wanted = set(numbers)
        rows = [(n, doc.id, doc.size) for n, doc in stored.items()] if small else \
            [row for row in self.store.numbers() if row[0] in wanted]
        if query is not None:
            rows.append((-1, query.doc.id, len(query.shingles)))
        rows.sort(key=lambda row: row[1])
        order = [row[0] for row in rows]
        position = {n: k for k, n in enumerate(order)}
        sizes = np.array([row[2] for row in rows], dtype=np.int64)

        def document(k: int) -> StoredDocument:
            found = stored.get(order[k]) or self.store.document(order[k])
            assert found is not None, f"document {order[k]} left the index while it was read"
            return found

        def sketch(k: int) -> tuple[np.ndarray, np.ndarray]:
            if order[k] == -1 and query is not None:
                return query.shingles, query.figures
            if texts or not small:
                return self._remember_sketch(order[k], document(k).body)
            return self._stored_sketches([order[k]])[order[k]]

        def doc_of(k: int) -> CleanDocument:
            if order[k] == -1 and query is not None:
                return self._mark_self(query.doc)
            return self._cleaned(document(k))

        sketch_of = EvidenceReader(sketch, common, sizes)
        links = [(position[a], position[b]) for a, b in edges] + [(position[-1], position[m]) for m in query_links]
        pairs = VerifiedPairs.of(verify_pairs(sorted((min(a, b), max(a, b)) for a, b in links), sketch_of,
                                              self.config))
        labels, clusters, lone, digests = build_clusters(doc_of, sketch_of.shingles, sizes, pairs, self.config,
                                                         self.outlets)
        return order, ScanResult(
            docs=LazySequence(len(order), doc_of), shingles=LazySequence(len(order), sketch_of.shingles), labels=labels,
            clusters=clusters, candidates=np.zeros((0, 2), dtype=np.int64), pairs=pairs, profiles=SiteProfiles(),
            config=self.config, stats={"candidates": float(len(pairs)), "verified": float(len(pairs))},
            lone=lone, lone_cluster=lone_cluster_maker(doc_of, sizes, self.outlets), digests=digests)

    def _verdict(self, doc_id: str, n: int, status: str, prepared: _Prepared | None = None,
                 neighbours: list[Link] | None = None, replaced: bool = False) -> Verdict:
        """The verdict for a stored document ``n`` (or, with ``n == -1``, a queried one): its star
        cluster within its connected component, the cluster ``clusters()`` gives it."""
        neighbours = neighbours or []
        numbers, edges = self.store.component([n] if n >= 0 else [m.number for m in neighbours])
        query = prepared if n < 0 else None
        if n >= 0 and len(numbers) == 1:
            return Verdict(doc_id, status, canonical_id=doc_id, is_canonical=True, replaced=replaced)
        order, result = self._star_result(numbers, edges, self.common_shingles(), query,
                                          [m.number for m in neighbours] if query is not None else (), texts=False)
        if query is None and status == "repost":  # a document just added: its component's labels change
            self.store.set_labels(_labels(order, result))
        me = order.index(n)
        found = result.cluster_of(me)
        best = _best(neighbours)
        ids = self.store.ids([m.number for m in neighbours])
        matches = tuple(Match(ids.get(m.number, "?"), round(m.jaccard, 4), round(m.containment, 4))
                        for m in sorted(neighbours, key=lambda v: (-v.containment, -v.jaccard, v.number))[:10])
        jaccard = round(best.jaccard, 4) if best else 0.0
        containment = round(best.containment, 4) if best else 0.0
        if found is None or len(found.members) < 2:
            # Verified neighbours, but the star rule keeps it apart (a digest of other stories).
            return Verdict(doc_id, status if status != "repost" else "new", canonical_id=doc_id, is_canonical=True,
                           jaccard=jaccard, containment=containment, matches=matches, replaced=replaced)
        canonical = found.canonical
        if canonical != me or best is None:
            at = found.members.index(me)
            jaccard, containment = found.jaccard[at], found.containment[at]
        return Verdict(doc_id, status, canonical_id=result.docs[canonical].id, cluster_size=len(found.members),
                       jaccard=jaccard, containment=containment, is_canonical=canonical == me,
                       origin=found.choice.origin, matches=matches, replaced=replaced)

    def _verdict_for_stored(self, n: int, status: str) -> Verdict:
        return self._verdict(self.store.ids([n]).get(n, "?"), n, status)

    # --- whole-index views ---------------------------------------------------------------------

    def scan_result(self) -> ScanResult:
        """Cluster every stored document as ``dedup scan`` would (star clusters over the stored
        verified edges, whatever order the documents arrived in) and store the labels."""
        # The edges were verified against the common shingles known when each document came;
        # they are judged again on those of the whole index, as a scan of it would.
        if self.readonly:
            common = self.common_shingles(refresh=True)
        else:
            with self.store.transaction():
                common = self.common_shingles(refresh=True)
        numbers = [n for n, _, _ in self.store.numbers()]
        edges = [(e.a, e.b) for e in self.store.edges()]
        order, result = self._star_result(numbers, edges, common)
        if not self.readonly:
            with self.store.transaction():
                self.store.set_labels(_labels(order, result))
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
        """Counts and sizes, and the stored configuration. A document's cluster label is set when
        its verdict is made (documents added with ``detail=False`` count as alone until
        :meth:`clusters` labels them all)."""
        figures: dict[str, Any] = dict(self.store.stats())
        count = figures["documents"]
        figures["bytes_per_document"] = round(figures["bytes"] / count) if count else 0
        figures["config"] = self.config.to_dict()
        return figures

    def explain(self, doc_id: str, neighbours: int = 5) -> str:
        """What was compared for a stored document, its verified matches and its cluster (the
        record lines and cluster lines are the scan's explainer's; removals are not stored)."""
        found = self.store.lookup(doc_id)
        stored = self.store.document(found[0]) if found else None
        if stored is None:
            raise KeyError(doc_id)
        n, doc = stored.number, self._cleaned(stored)
        evidence = len(self.common_shingles().evidence(self._sketch_body(stored.body)[0]))
        lines = describe_document(doc, compact(doc.body), stored.size, evidence, self.config, removals_kept=False)
        edges = self.store.edges(n, neighbours)
        ids = self.store.ids([e.b if e.a == n else e.a for e in edges])
        lines.append(f"  verified matches (threshold: containment >= {self.config.threshold}):")
        bodies = self.store.bodies([e.b if e.a == n else e.a for e in edges])
        own_keys = text_keys(compact(stored.body), self.config)[1]
        for e in edges:
            other = e.b if e.a == n else e.a
            lines.append(f"    {ids.get(other, '?')}  jaccard={e.jaccard:.3f} containment={e.containment:.3f}")
            if other in bodies:
                shared = proposed_by(own_keys, text_keys(compact(bodies[other]), self.config)[1], self.config)
                lines.append(f"      keys shared: {'; '.join(shared) or 'none'}")
        if not edges:
            lines.append("    none")
        numbers, component_edges = self.store.component([n])
        order, result = self._star_result(numbers, component_edges, self.common_shingles())
        lines.extend(describe_digest(result, order.index(n)))
        lines.extend(describe_cluster(result, result.cluster_of(order.index(n))))
        return "\n".join(lines)


__all__ = ["CorpusAdded", "Index", "Match", "Verdict"]
