"""Documents as the Spark engine moves and caches them: blocks of numpy columns, one per
partition, and what the executors compute from a block (site sums, key chunks and their pairs,
evidence, the clusters of a component)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.outputs.records import cluster_record
from dedup.sites import SiteCounts
from dedup.stages.candidates import owner_pairs
from dedup.stages.common_shingles import CommonShingles
from dedup.stages.partners import PartnerHeaps, part_partners, passage_rows_of
from dedup.stages.prepare import (
    resketch,
)
from dedup.stages.result import Clustered, LazySequence, ScanResult, build_clusters, scan_result
from dedup.stages.templates import (
    SiteProfiles,
    template_lines,
)
from dedup.stages.verify import Pair, VerifiedPairs, check_pair
from dedup.text.outlets import OutletTable


@dataclass
class Doc:
    """One document as the executors pass it between stages."""

    number: int
    doc_id: str
    record: str
    site: str
    names: tuple[str, ...]
    line_keys: np.ndarray
    shingles: np.ndarray
    figures: np.ndarray
    keys: np.ndarray
    rank: int
    body: str


@dataclass
class _Ragged:
    """Arrays of different lengths kept as one: ``flat[offsets[i]:offsets[i + 1]]`` is the i-th.
    A partition's sets pickle as two arrays, not as one object per document."""

    flat: np.ndarray
    offsets: np.ndarray

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray], dtype: Any) -> _Ragged:
        offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
        np.cumsum([len(a) for a in arrays], out=offsets[1:])
        flat = np.concatenate(arrays).astype(dtype, copy=False) if len(arrays) else np.zeros(0, dtype=dtype)
        return cls(flat, offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> np.ndarray:
        return self.flat[self.offsets[index]:self.offsets[index + 1]]

    def rows(self) -> list[np.ndarray]:
        return [self[index] for index in range(len(self))]


@dataclass
class _Block:
    """The documents of one partition, in number order, as columns.

    Spark moves and caches a partition's documents as this one object: numpy columns pickle as
    their buffers, where one Python object per document would be pickled field by field at every
    pass. Columns go once their last stage has run: ``bodies``, ``sites``, ``names`` and
    ``line_keys`` after the templates, ``keys`` and ``ranks`` after the common set; then
    ``shingles`` holds the evidence (common shingles left out).
    """

    numbers: np.ndarray
    records: list[str]
    shingles: _Ragged
    figures: _Ragged
    keys: np.ndarray | None = None
    ranks: np.ndarray | None = None
    ids: list[str] | None = None
    sites: list[str] | None = None
    names: list[tuple[str, ...]] | None = None
    line_keys: _Ragged | None = None
    bodies: list[str] | None = None

    @classmethod
    def of(cls, docs: Sequence[Doc], total_keys: int) -> _Block:
        docs = sorted(docs, key=lambda doc: doc.number)
        return cls(np.array([doc.number for doc in docs], dtype=np.int64), [doc.record for doc in docs],
                   _Ragged.of([doc.shingles for doc in docs], np.uint32),
                   _Ragged.of([doc.figures for doc in docs], np.uint64),
                   np.array([doc.keys for doc in docs], dtype=np.uint64).reshape(len(docs), total_keys),
                   np.array([doc.rank for doc in docs], dtype=np.int64), [doc.doc_id for doc in docs],
                   [doc.site for doc in docs], [doc.names for doc in docs],
                   _Ragged.of([doc.line_keys for doc in docs], np.uint64), [doc.body for doc in docs])

    def docs(self) -> list[Doc]:
        """The block's documents one by one (while every column is still there)."""
        assert self.keys is not None and self.ranks is not None and self.ids is not None
        assert self.sites is not None and self.names is not None and self.line_keys is not None
        assert self.bodies is not None
        return [Doc(number, self.ids[k], self.records[k], self.sites[k], self.names[k], self.line_keys[k],
                     self.shingles[k], self.figures[k], self.keys[k], rank, self.bodies[k])
                for k, (number, rank) in enumerate(zip(self.numbers.tolist(), self.ranks.tolist(), strict=True))]

    def __len__(self) -> int:
        return len(self.numbers)

    def position(self, number: int) -> int:
        """Where document ``number`` is in the block (it must be there)."""
        return int(np.searchsorted(self.numbers, number))

    def named(self) -> Iterator[tuple[str, int]]:
        """``(id, number)`` of every document."""
        assert self.ids is not None
        return zip(self.ids, self.numbers.tolist(), strict=True)

    def ranked(self) -> Iterator[tuple[int, int]]:
        """``(rank, number)`` of every document: the common set's sample takes the lowest ranks."""
        assert self.ranks is not None
        return zip(self.ranks.tolist(), self.numbers.tolist(), strict=True)

    def evidence(self, common: CommonShingles, only: set[int] | None = None) -> _Block:
        """The block for verification and clusters: numbers, records, evidence sets and figures
        (of the documents numbered in ``only``, when given)."""
        kept = range(len(self)) if only is None else [k for k, n in enumerate(self.numbers.tolist()) if n in only]
        return _Block(self.numbers[list(kept)], [self.records[k] for k in kept],
                      _Ragged.of([common.evidence(self.shingles[k]) for k in kept], np.uint32),
                      _Ragged.of([self.figures[k] for k in kept], np.uint64))


def site_sums(blocks: Iterable[_Block], skip: frozenset[int]) -> Iterator[tuple[str, SiteCounts]]:
    """One partition's documents (but those numbered in ``skip``) summed per site, as ``(site,
    summary)`` pairs to be merged by site (:meth:`~dedup.sites.SiteCounts.merge`)."""
    per_site: dict[str, tuple[list[np.ndarray], list[tuple[str, ...]]]] = {}
    for block in blocks:
        assert block.sites is not None and block.line_keys is not None and block.names is not None
        for k, number in enumerate(block.numbers.tolist()):
            if number in skip:
                continue
            keys, names = per_site.setdefault(block.sites[k], ([], []))
            keys.append(block.line_keys[k])
            names.append(block.names[k])
    for site, (keys, names) in per_site.items():
        yield site, SiteCounts.of([site] * len(keys), keys, names)


def site_template(counts: SiteCounts, site: str, min_count: int, min_share: float) -> tuple[int, list[int], Counter[str]]:
    """A site's summed statistics reduced to what the driver keeps: its document count, its
    template line keys (:func:`dedup.stages.templates.template_lines`) and its source names."""
    return (int(counts.docs.sum()), template_lines(counts, min_count, min_share).tolist(),
            Counter(counts.names_of(site)))


def _redo(doc: Doc, template: frozenset[int], config: Config) -> Doc:
    """Drop a document's template lines and sketch it again (the local engine's redo)."""
    drop = frozenset(key for key in doc.line_keys.tolist() if key in template) if template else frozenset()
    if not drop:
        return doc
    sketched = resketch(doc.body, doc.site, drop, config)
    return replace(doc, shingles=sketched.shingles, figures=sketched.figures, keys=sketched.keys)


def key_chunks(blocks: Iterable[tuple[int, _Block]], config: Config,
                parts: int) -> Iterator[tuple[int, tuple[np.ndarray, ...]]]:
    """One partition's keys as arrays, split by the part of the key space each key falls in:
    ``(part, (band keys, their documents, passage keys, their documents, the passage rows of
    those documents, their numbers))``: scoring a pair of passage partners reads both rows."""
    bands = config.total_bands
    for _, block in blocks:
        if not len(block):
            continue
        assert block.keys is not None
        table, owners = block.keys, block.numbers
        rows = passage_rows_of(table, bands)
        band_keys, band_owners = table[:, :bands].ravel(), np.repeat(owners, bands)
        passage_keys, passage_owners = rows.ravel(), np.repeat(owners, rows.shape[1])
        band_part, passage_part = band_keys % np.uint64(parts), passage_keys % np.uint64(parts)
        for part in range(parts):
            mine, theirs = band_part == part, (passage_part == part) & (passage_keys != 0)
            holders = np.isin(owners, passage_owners[theirs])
            yield part, (band_keys[mine], band_owners[mine], passage_keys[theirs], passage_owners[theirs],
                         rows[holders], owners[holders])


def part_pairs(chunks: Iterable[tuple[int, tuple[np.ndarray, ...]]],
                config: Config) -> Iterator[tuple[str, Any]]:
    """What one part of the key space proposes: ``("pair", (a, b))`` for the distinct pairs its
    band buckets hold (the shared bucket cap) and the pairs sharing a rare passage, and
    ``("partners", (number, partner, score))`` for the passage partners its buckets offer each
    document (:mod:`dedup.stages.partners`), to be merged with the other parts'."""
    parts = [chunk for _, chunk in chunks]
    if not parts:
        return
    banded = owner_pairs(np.concatenate([chunk[0] for chunk in parts]), np.concatenate([chunk[1] for chunk in parts]),
                         config.bucket_cap(passage=False))
    for pair in banded.tolist():
        yield "pair", tuple(pair)
    numbers = np.concatenate([chunk[5] for chunk in parts])
    if not len(numbers):
        return
    order = np.argsort(numbers)
    numbers, rows = numbers[order], np.concatenate([chunk[4] for chunk in parts])[order]
    owners = np.searchsorted(numbers, np.concatenate([chunk[3] for chunk in parts]))
    heaps = part_partners(np.concatenate([chunk[2] for chunk in parts]), owners, rows, config,
                          PartnerHeaps(len(numbers), config.passage_partners, numbers))
    offers = heaps.offers()
    for pair in offers.rare.tolist():
        yield "pair", tuple(pair)
    for doc, partner, score in zip(offers.docs.tolist(), offers.partners.tolist(), offers.scores.tolist(), strict=True):
        yield "partners", (doc, partner, score)


def best_of(offers: Iterable[tuple[int, float]], config: Config) -> list[int]:
    """A document's passage partners from every part's offers (the heaps' own order and cut)."""
    offered = list(offers)
    heaps = PartnerHeaps(1, config.passage_partners)
    heaps.take(np.zeros(len(offered), dtype=np.int64), np.array([p for p, _ in offered], dtype=np.int64),
               np.array([s for _, s in offered], dtype=np.float32))
    return heaps.kept()[1].tolist()


def cluster_component(members: Sequence[tuple[int, str, np.ndarray]], pairs: Sequence[tuple[int, int, int, float, float]],
                       config: Config, outlets: OutletTable, profiles: SiteProfiles,
                       lone: bool = False) -> list[tuple[tuple, dict]]:
    """Star clusters and the choice within one connected component, from its members' (number,
    record, evidence set) (with ``lone``, a cluster of one for every document left alone too);
    each record with the key that orders the output."""
    members = sorted(members, key=lambda m: m[0])
    position = {number: k for k, (number, _, _) in enumerate(members)}
    docs = [profiles.mark_self(CleanDocument.from_record(record)) for _, record, _ in members]
    evidence = [shingles for _, _, shingles in members]
    sizes = np.array([len(shingles) for shingles in evidence], dtype=np.int64)
    verified = VerifiedPairs.of([Pair(position[a], position[b], inter, jac, cont)
                                 for a, b, inter, jac, cont in sorted(pairs)])
    _, clusters, left_alone, _ = build_clusters(docs.__getitem__, evidence.__getitem__, sizes, verified, config,
                                                outlets)
    result = _result_of(docs, evidence, sizes, clusters, verified, config, profiles, outlets)
    out = []
    for cluster in clusters:
        record = cluster_record(result, cluster, 0, outlets)
        out.append(((-len(cluster.members), record["canonical_id"], members[cluster.members[0]][0]), record))
    for index in left_alone.tolist() if lone else []:
        out.append(((-1, "", members[index][0]), cluster_record(result, result.lone_of(index), 0, outlets)))
    return out


def _lone_record(number: int, record: str, evidence: np.ndarray, config: Config, outlets: OutletTable,
                 profiles: SiteProfiles) -> tuple[tuple, dict]:
    """The cluster of one of a document no verified pair touches, with the key that orders the output."""
    clean = profiles.mark_self(CleanDocument.from_record(record))
    sizes = np.array([len(evidence)], dtype=np.int64)
    result = _result_of([clean], [evidence], sizes, [], VerifiedPairs.of([]), config, profiles, outlets)
    return (-1, "", number), cluster_record(result, result.lone_of(0), 0, outlets)


def _result_of(docs: list[CleanDocument], evidence: list[np.ndarray], sizes: np.ndarray, clusters: list[Any],
               verified: VerifiedPairs, config: Config, profiles: SiteProfiles, outlets: OutletTable) -> ScanResult:
    """The few documents of one component as a :class:`ScanResult`, for :func:`cluster_record`."""
    clustered: Clustered = (np.zeros(0), clusters, np.zeros(0, dtype=np.int64), {})
    return scan_result(LazySequence(len(docs), docs.__getitem__), evidence, sizes, clustered, verified, config, outlets,
                       profiles=profiles)


def pack_pieces(rows: Iterable[tuple], slices: int, total_keys: int) -> Iterator[tuple]:
    """One read partition's rows: rejects as they are, documents as one ``("piece", part, _Block)``
    for each partition they go to (by number, where ``partitionBy(slices)`` puts a number)."""
    from pyspark.rdd import portable_hash

    by_part: dict[int, list[Doc]] = {}
    for row in rows:
        if row[0] == "reject":
            yield row
        else:
            by_part.setdefault(portable_hash(row[2].number) % slices, []).append(row[2])
    for part, docs in sorted(by_part.items()):
        yield "piece", part, _Block.of(docs, total_keys)


def lean(piece: _Block, template: frozenset[int], skip: frozenset[int], config: Config, emptied: Any) -> _Block:
    """A piece as it goes to its partition: documents with a duplicate id (``skip``) left out,
    pages carrying template lines sketched again, pages the cut emptied reported to ``emptied``
    and left out, and the columns only the templates needed let go."""
    kept = []
    for doc in piece.docs():
        if doc.number in skip:
            continue
        doc = _redo(doc, template, config)
        if len(doc.shingles) >= config.min_shingles:
            kept.append(doc)
        else:
            emptied.add([(doc.number, doc.record, len(doc.shingles))])
    block = _Block.of(kept, config.total_keys)
    return _Block(block.numbers, block.records, block.shingles, block.figures, block.keys, block.ranks)


def merged(pieces: Iterable[tuple[int, _Block]]) -> Iterator[tuple[int, _Block]]:
    """A partition's pieces as its one block, in number order."""
    held = list(pieces)
    if not held:
        return
    parts = [piece for _, piece in held if len(piece)]
    numbers = np.concatenate([piece.numbers for piece in parts]) if parts else np.zeros(0, dtype=np.int64)
    order = np.argsort(numbers, kind="stable")
    records = [record for piece in parts for record in piece.records]
    shingles = [row for piece in parts for row in piece.shingles.rows()]
    figures = [row for piece in parts for row in piece.figures.rows()]
    keys = [piece.keys for piece in parts if piece.keys is not None]
    ranks = [piece.ranks for piece in parts if piece.ranks is not None]
    ordered = order.tolist()
    yield held[0][0], _Block(numbers[order], [records[k] for k in ordered],
                             _Ragged.of([shingles[k] for k in ordered], np.uint32),
                             _Ragged.of([figures[k] for k in ordered], np.uint64),
                             (np.concatenate(keys) if keys else np.zeros((0, 0), dtype=np.uint64))[order],
                             (np.concatenate(ranks) if ranks else np.zeros(0, dtype=np.int64))[order])


def block_rows(items: Iterable[tuple[Any, Any]], emit: Any) -> Iterator[Any]:
    block: _Block | None = None
    waiting: list[tuple[Any, Any]] = []
    for key, value in items:
        if isinstance(value, _Block):
            block = value
            for held in waiting:
                yield from emit(block, *held)
            waiting = []
        elif block is None:
            waiting.append((key, value))
        else:
            yield from emit(block, key, value)
    if waiting:
        raise RuntimeError(f"{len(waiting)} rows name documents of no block")


def named_evidence(items: Iterable[tuple[Any, Any]], common: CommonShingles) -> Iterator[tuple[int, _Block]]:
    """A partition's block of evidence for the documents its other rows name."""
    block, part, named = None, None, set()
    for key, value in items:
        if isinstance(value, _Block):
            block, part = value, key
        else:
            named.add(key)
    if block is not None and part is not None:
        yield part, block.evidence(common, named)


def first_side(block: _Block, first: int, second: int) -> Iterator[tuple[int, tuple[int, np.ndarray, np.ndarray]]]:
    """A candidate pair with its first document's evidence, keyed by its second document."""
    k = block.position(first)
    yield second, (first, block.shingles[k], block.figures[k])


def checked(config: Config) -> Any:
    def check(block: _Block, second: int, found: tuple[int, np.ndarray, np.ndarray]) -> Iterator[tuple]:
        first, shingles, figures = found
        k = block.position(second)
        verdict = check_pair(shingles, block.shingles[k], figures, block.figures[k], config)
        if verdict is not None:
            yield (first, second, *verdict)
    return check


def member_row(block: _Block, number: int, component: int) -> Iterator[tuple[int, tuple[int, str, np.ndarray]]]:
    """A component member: its number, record and evidence set, keyed by its component."""
    k = block.position(number)
    yield component, (number, block.records[k], block.shingles[k])


def lone_rows(items: Iterable[tuple[Any, Any]], config: Config, outlets: OutletTable,
               profiles: SiteProfiles) -> Iterator[tuple[tuple, dict]]:
    """The clusters of one of a partition's documents that no component holds."""
    block, held = None, set()
    for key, value in items:
        if isinstance(value, _Block):
            block = value
        else:
            held.add(key)
    if block is None:
        return
    for k, number in enumerate(block.numbers.tolist()):
        if number not in held:
            yield _lone_record(number, block.records[k], block.shingles[k], config, outlets, profiles)


def sample_rows(block: _Block, chosen: frozenset[int]) -> Iterator[tuple[int, int, np.ndarray, np.ndarray]]:
    assert block.ranks is not None and block.keys is not None
    for k, (number, rank) in enumerate(zip(block.numbers.tolist(), block.ranks.tolist(), strict=True)):
        if number in chosen:
            yield rank, number, block.shingles[k], block.keys[k]
