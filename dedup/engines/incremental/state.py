"""What the incremental engine's stages need from the store: a document prepared for it, the
site's own name and template lines from the stored counts, stored sketches made again from their
bodies (and the last few thousand kept), the common shingles learned from the stored sample, and
the stored documents an incoming one is verified against.
"""

from __future__ import annotations

import logging
import math
from collections import Counter, OrderedDict
from dataclasses import dataclass, replace
from typing import Any, TypeVar

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument, Document
from dedup.errors import InputError
from dedup.sites import SiteCounts
from dedup.stages.candidates import bucket_allowed, sketch_document, text_keys
from dedup.stages.common_shingles import CommonShingles, EvidenceReader
from dedup.stages.partners import best_partners, passage_rows, passage_rows_of
from dedup.stages.prepare import clean_options, prepare_document, rejected_after_templates
from dedup.stages.sketch import figures, passage_keys, shingles_of
from dedup.stages.templates import (
    countable_lines,
    drop_lines,
    is_own_name,
    mark_self,
    template_threshold,
)
from dedup.stages.verify import verify_pairs
from dedup.store import CommonSet, Link, Store, StoredDocument
from dedup.text.clean import CleanOptions
from dedup.text.normalize import compact
from dedup.text.outlets import OutletTable

log = logging.getLogger("dedup")

QUERIED_KEPT = 64
"""Documents :meth:`Index.query` cleaned, kept (by id and content digest) for the :meth:`Index.add`
of the same document that often follows: it is not cleaned again (cleaning is a fifth of an add)."""
SKETCH_CACHE = 4096
"""Stored documents' sketches (made again from their bodies) kept in memory, most recently used."""
COMMON_REFRESH_GROWTH = 1.1
COMMON_REFRESH_MIN_DOCS = 200
"""The common shingles are learned again when the index has grown by a tenth and by 200 documents."""

_T = TypeVar("_T")


def recent(cache: OrderedDict[int, _T], numbers: list[int]) -> dict[int, _T]:
    """What an LRU cache by number holds of ``numbers`` (each found one becomes the most recent)."""
    found = {}
    for n in numbers:
        if n in cache:
            cache.move_to_end(n)
            found[n] = cache[n]
    return found


@dataclass
class Prepared:
    """A document cleaned (and sketched) for the index, with what it adds to its site's statistics."""

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
    """what a query found for it: the index's state then (:meth:`IndexState.state`), the compared
    text, the verified neighbours and every document its buckets held"""

    def delta(self, sign: int) -> SiteCounts:
        """What adding (``sign`` +1) or removing (-1) it does to its site's statistics."""
        return SiteCounts.of([self.doc.site], [np.array(self.line_keys, dtype=np.uint64)], [self.names], sign)


def id_of(doc: Document | dict[str, Any]) -> str:
    return doc.id if isinstance(doc, Document) else str(doc.get("id"))


def as_document(doc: Document | dict[str, Any]) -> Document:
    if isinstance(doc, Document):
        return doc
    try:
        return Document.from_dict(doc)
    except ValueError as exc:
        raise ValueError(f"cannot index {id_of(doc)!r}: {exc}") from exc


def prepare_one(doc: Document | dict[str, Any], config: Config, outlets: OutletTable,
                options: CleanOptions, digest: bytes | None = None) -> Prepared | InputError:
    """A document cleaned and sketched (:func:`dedup.stages.prepare.prepare_document`: the part of
    adding that needs no index; worker processes run it). Unless the site's template lines are cut
    from it when it is added, that sketch is the one it is stored with."""
    doc = as_document(doc)
    ready = prepare_document(doc, config, outlets, options)
    if isinstance(ready, InputError):
        return ready
    sketched = ready.sketch
    return Prepared(ready.doc, digest or doc.digest(), sketched.shingles, sketched.figures, sketched.keys.tolist(),
                    sorted(ready.line_keys.tolist()), list(ready.names), sketched=ready.doc.compared)


def copy_prepared(prepared: Prepared) -> Prepared:
    """A copy that later changes to ``prepared`` (template lines cut, 来源 marked as the site's
    own) leave alone."""
    doc = prepared.doc
    return replace(prepared, doc=replace(doc, attributions=[replace(a) for a in doc.attributions],
                                         removed=list(doc.removed), compared_lines=list(doc.compared_lines)))


def sketch_prepared(prepared: Prepared, config: Config) -> None:
    compared = prepared.doc.compared
    sketched = sketch_document(compared, config)
    prepared.shingles, prepared.figures, prepared.band_keys = sketched.shingles, sketched.figures, sketched.keys.tolist()
    prepared.sketched = compared


_WORKER: dict[str, Any] = {}


def init_worker(config: Config, outlets: OutletTable) -> None:
    _WORKER.update(config=config, outlets=outlets, options=clean_options(config))


def prepare_chunk(docs: list[Document | dict[str, Any]]) -> list[Prepared | InputError | ValueError]:
    out: list[Prepared | InputError | ValueError] = []
    for doc in docs:
        try:
            out.append(prepare_one(doc, _WORKER["config"], _WORKER["outlets"], _WORKER["options"]))
        except ValueError as exc:
            out.append(exc)
    return out


class IndexState:
    """What the engine knows of a store beyond its rows: caches, and the stages' view of it."""

    def __init__(self, store: Store, config: Config, outlets: OutletTable) -> None:
        self.store, self.config, self.outlets = store, config, outlets
        self.readonly = not store.writable()
        """opened read-only, or without the rights to write: learned sets are not stored"""
        self.options = clean_options(config)
        self.own_names: dict[str, str | None] = {}
        self.common: CommonShingles | None = None
        self.version = -1
        """the version of ``common`` (-1: none learned)"""
        self.sampled: dict[tuple[int, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self.sketches: OrderedDict[int, tuple[np.ndarray, np.ndarray]] = OrderedDict()
        self.rows: OrderedDict[int, np.ndarray] = OrderedDict()
        self.queried: OrderedDict[tuple[str, bytes], Prepared] = OrderedDict()
        self.removals = 0

    def forget(self, sites: bool = True, common: bool = False) -> None:
        """Drop what was kept of stored documents (after a rollback or a bulk load)."""
        self.sketches.clear()
        self.rows.clear()
        if sites:
            self.own_names.clear()
        if common:
            self.common, self.version = None, -1

    def own_name(self, site: str) -> str | None:
        if site not in self.own_names:
            top = self.store.top_source(site)
            self.own_names[site] = top[0] if top and is_own_name(top[1], self.store.site_docs(site)) else None
        return self.own_names[site]

    def mark_self(self, doc: CleanDocument) -> CleanDocument:
        return mark_self(doc, self.own_name(doc.site))

    def drop_templates(self, prepared: Prepared, extra_docs: int) -> None:
        """Drop the lines the site repeats on enough of its pages (counting this one if it is being added)."""
        doc = prepared.doc
        needed = template_threshold(self.store.site_docs(doc.site) + extra_docs)
        if needed == math.inf:
            return
        line_keys = countable_lines(doc)
        counts = self.store.line_counts(sorted(set(line_keys.values())))
        drop_lines(doc, lambda key: key in line_keys and counts.get(line_keys[key], 0) + extra_docs >= needed)

    def sample_sketch(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        """A sampled document's shingle set and LSH keys, made from its stored body."""
        return text_keys(compact(body), self.config)

    def stored_sketches(self, numbers: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """The shingle sets and figures of stored documents, made from their bodies (what
        :meth:`sketch` made when each was added: the compared text is the compacted body). The
        last few thousand are kept by number, since the documents of a story being reposted are
        verified again and again; their bodies are then not even read."""
        out = recent(self.sketches, numbers)
        for n, body in self.store.bodies([n for n in numbers if n not in out]).items():
            out[n] = self.remember_sketch(n, body)
        return out

    def remember_sketch(self, number: int, body: str,
                        made: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The sketch of stored document ``number`` (``made``: already made from ``body``)."""
        found = self.sketches.get(number)
        if found is None:
            found = self.sketches[number] = made or self.sketch_body(body)
            if len(self.sketches) > SKETCH_CACHE:
                self.sketches.popitem(last=False)
        return found

    def passage_partners(self, prepared: Prepared, sharing: list[int], rare: set[int],
                         crowded: set[int]) -> np.ndarray:
        """Of the stored documents sharing a passage with this one (``rare``: a rare one;
        ``crowded``: one that is not), those it is verified against
        (:func:`dedup.stages.partners.best_partners`: the scan's rule for the document that arrives last)."""
        if not sharing:
            return np.zeros(0, dtype=np.int64)
        rows = self.stored_passage_rows(sharing)
        own = passage_rows_of(np.array(prepared.band_keys, dtype=np.uint64)[None, :], self.config.total_bands)[0]
        return best_partners(own, np.stack([rows[n] for n in sharing]), np.array(sharing, dtype=np.int64),
                             np.array([n in rare for n in sharing], dtype=bool),
                             np.array([n in crowded for n in sharing], dtype=bool), self.config.passage_partners,
                             self.config.passage_floor)

    def stored_passage_rows(self, numbers: list[int]) -> dict[int, np.ndarray]:
        """The passage rows of stored documents, made from their bodies (kept like their sketches)."""
        out = recent(self.rows, numbers)
        for n, body in self.store.bodies([n for n in numbers if n not in out]).items():
            compared = compact(body)
            keys = passage_keys(compared, self.config.shingle_size, self.config.passage_span,
                                self.config.passage_keys, 0, self.config.tokens)
            out[n] = self.rows[n] = passage_rows(keys[None, :], np.zeros(1, dtype=np.uint64))[0]
            self.remember_sketch(n, body)  # verification will want it: the body is not read twice
            if len(self.rows) > SKETCH_CACHE:
                self.rows.popitem(last=False)
        return out

    def sketch_body(self, body: str) -> tuple[np.ndarray, np.ndarray]:
        compared = compact(body)
        return shingles_of(compared, self.config.shingle_size, self.config.tokens), figures(compared)

    def sketch(self, prepared: Prepared) -> None:
        """Sketch the document as it is to be compared (again only if cutting templates changed it)."""
        if prepared.sketched != prepared.doc.compared:
            sketch_prepared(prepared, self.config)

    def too_short_after_cut(self, prepared: Prepared) -> InputError | None:
        """The scans' reject for a page its site's template lines left too short, or None."""
        if len(prepared.shingles) >= self.config.min_shingles:
            return None
        return rejected_after_templates(prepared.doc, len(prepared.shingles), self.config.min_shingles)

    def common_shingles(self, refresh: bool = False) -> CommonShingles:
        """The common shingles of what is stored (see :mod:`dedup.stages.common_shingles`), and their version
        (``common_version``: the number of the last document stored when they were learned).

        Learned again from the sample (the lowest-ranked stored documents) when the index has
        grown by a tenth (and by 200 documents) since they were last learned, or when ``refresh``
        asks; kept in the store, so opening the index costs nothing.
        """
        top = self.store.top()

        def stale(version: int) -> bool:
            return top > max(version * COMMON_REFRESH_GROWTH, version + COMMON_REFRESH_MIN_DOCS)

        if (self.common is None or stale(self.version)) and not refresh:
            # another writer may have learned a newer set already
            stored = self.store.common()
            if stored is not None and stored.version > self.version:
                self.common = CommonShingles(stored.hashes, self.config.min_shingles)
                self.version = stored.version
        if self.common is not None and not refresh and not stale(self.version):
            return self.common
        config = self.config
        sample = self.store.sample(config.common_sample)
        # The sample's sets and LSH keys are made again from the stored bodies; the sample changes
        # little from one learning to the next, so what was made last time is kept.
        made = {(doc.number, doc.digest): self.sampled.get((doc.number, doc.digest)) or self.sample_sketch(doc.body)
                for doc in sample}
        self.sampled = made
        sets = [made[doc.number, doc.digest][0] for doc in sample]
        self.common = CommonShingles.from_sample(sets, np.array([made[doc.number, doc.digest][1] for doc in sample]),
                                                 config)
        self.version = top
        if not self.readonly:
            self.store.save_common(CommonSet(self.common.hashes, top))
        log.debug("common shingles learned from %d sampled documents: %d", len(sample), len(self.common))
        return self.common


    def neighbours(self, prepared: Prepared, exclude: int | None = None, seen: set[int] | None = None,
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
                if bucket_allowed(holders, self.config.bucket_cap(passage=True)):
                    sharing.add(n)
                    (rare if holders <= self.config.rare_passage else crowded).add(n)
            elif bucket_allowed(holders, self.config.bucket_cap(passage=False)):
                banded.add(n)
        numbers = sorted(banded | set(self.passage_partners(prepared, sorted(sharing), rare, crowded).tolist()))
        common = self.common_shingles()
        sketches = self.stored_sketches(numbers)
        sketches[-1] = prepared.shingles, prepared.figures  # the incoming document is -1
        sketch_of = EvidenceReader(sketches.__getitem__, common, {})
        kept = verify_pairs([(-1, n) for n in numbers if n in sketches], sketch_of, self.config)
        return [Link(p.right, p.inter, p.jaccard, p.containment) for p in kept]

    def cleaned_here(self, doc: Document | dict[str, Any], keep: bool = False) -> Prepared | InputError:
        """``doc`` cleaned in this process, or taken as a query just cleaned it; with ``keep`` (a
        query), an untouched copy is kept for an add that follows."""
        document = as_document(doc)
        key = (document.id, document.digest())
        kept = self.queried.pop(key, None)
        if kept is not None and not keep:
            return kept
        prepared = kept or prepare_one(document, self.config, self.outlets, self.options, digest=key[1])
        if keep and not isinstance(prepared, InputError):
            self.queried[key] = copy_prepared(prepared)
            while len(self.queried) > QUERIED_KEPT:
                self.queried.popitem(last=False)
        return prepared

    def cleaned(self, stored: StoredDocument) -> CleanDocument:
        return self.mark_self(CleanDocument.from_record(stored.record, stored.body))

    def state(self) -> tuple[int, int, int]:
        """What a document's neighbours depend on besides itself: the last number given, the
        removals and the common shingles' version."""
        return self.store.top(), self.removals, self.version

