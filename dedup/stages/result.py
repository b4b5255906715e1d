"""What a scan finds, and the stage that makes it: star clusters of the verified pairs, each
cluster's canonical copy and origin, and every member's figures against the canonical copy.

Every engine ends with :func:`build_clusters` over its verified pairs (the local scan over the
whole corpus, the index over one connected component); this module holds no I/O.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypeVar, overload

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.errors import InputError
from dedup.stages.canonical import Choice, Member, choose, member_facts
from dedup.stages.cluster import Edges, cluster, find_digests, neighbours_of, same_headline
from dedup.stages.sketch import intersection_size, jaccard_containment
from dedup.stages.templates import SiteProfiles
from dedup.stages.verify import Pair, VerifiedPairs
from dedup.text.outlets import OutletTable

T = TypeVar("T")


class LazySequence(Sequence[T]):
    """A read-only sequence whose items are fetched on demand."""

    def __init__(self, size: int, fetch: Callable[[int], T]) -> None:
        self._size, self._fetch = size, fetch

    def __len__(self) -> int:
        return self._size

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[T]: ...

    def __getitem__(self, index: int | slice) -> T | Sequence[T]:
        if isinstance(index, slice):
            return [self._fetch(i) for i in range(*index.indices(self._size))]
        if not -self._size <= index < self._size:
            raise IndexError(index)
        return self._fetch(index % self._size)


@dataclass
class Cluster:
    """Member document indices, their similarity to the canonical copy, and the choice made.

    A lone document's choice is made only when asked for (most documents of a large corpus are
    alone, and nobody reads their choice unless they ask for clusters of one).
    """

    members: list[int]
    chosen: Choice | None
    jaccard: list[float]
    containment: list[float]
    chooser: Callable[[], Choice] | None = None
    shared: list[int] = field(default_factory=list)
    """Shingles each member shares with the canonical copy (empty for a cluster of one)."""
    sizes: list[int] = field(default_factory=list)
    """Each member's compared shingles (empty for a cluster of one)."""

    @property
    def choice(self) -> Choice:
        if self.chosen is None:
            assert self.chooser is not None
            self.chosen = self.chooser()
        return self.chosen

    @property
    def canonical(self) -> int:
        if len(self.members) == 1:
            return self.members[0]
        return self.members[self.choice.canonical]


@dataclass
class ScanResult:
    """Documents, their clusters of two or more (``clusters``, largest first) and the documents
    left alone (``lone``, indices); :meth:`every_cluster` yields both kinds."""

    docs: Sequence[CleanDocument]
    shingles: Sequence[np.ndarray]
    labels: np.ndarray
    clusters: list[Cluster]
    candidates: np.ndarray
    pairs: VerifiedPairs
    profiles: SiteProfiles
    config: Config
    stats: dict[str, float] = field(default_factory=dict)
    lone: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    lone_cluster: Callable[[int], Cluster] | None = None
    rejects: list[InputError] = field(default_factory=list)
    """Inputs the scan could not use (unreadable, malformed, empty or too short...), in input order."""
    digests: dict[int, list[int]] = field(default_factory=dict)
    """Digest pages (compilations holding documents of two or more different stories) and their items."""

    def every_cluster(self) -> Iterator[Cluster]:
        """The clusters of two or more, then every lone document as a cluster of one."""
        yield from self.clusters
        for index in self.lone.tolist():
            yield self.lone_of(index)

    def lone_of(self, index: int) -> Cluster:
        """The cluster of one of a lone document."""
        if self.lone_cluster is None:
            raise ValueError("this result keeps no chooser for lone documents")
        return self.lone_cluster(index)

    def cluster_of(self, index: int) -> Cluster | None:
        label = int(self.labels[index])
        found = self._by_label().get(label)
        if found is None and 0 <= index < len(self.labels):
            return self.lone_of(index)
        return found

    def _by_label(self) -> dict[int, Cluster]:
        cache = getattr(self, "_label_cache", None)
        if cache is None:
            cache = {int(self.labels[c.members[0]]): c for c in self.clusters}
            self._label_cache = cache
        return cache


def _lone_chooser(doc_of: Callable[[int], CleanDocument], index: int, sizes: np.ndarray,
                  outlets: OutletTable) -> Callable[[], Choice]:
    return lambda: choose([Member(doc_of(index), int(sizes[index]), 0)], outlets)


def build_clusters(doc_of: Callable[[int], CleanDocument], shingles_of: Callable[[int], np.ndarray],
                   sizes: np.ndarray, verified: VerifiedPairs | Sequence[Pair], config: Config,
                   outlets: OutletTable) -> tuple[np.ndarray, list[Cluster], np.ndarray, dict[int, list[int]]]:
    """Cluster the verified pairs and choose each cluster's canonical copy and origin.

    Returns the labels, the clusters of two or more, the lone documents and the digest pages
    with their items (:func:`dedup.stages.cluster.find_digests`).

    Documents and shingle sets are fetched through ``doc_of`` and ``shingles_of`` only for members
    of clusters of two or more, so a caller can keep them on disk.
    """
    pairs = verified if isinstance(verified, VerifiedPairs) else VerifiedPairs.of(verified)
    edges = Edges(pairs.left, pairs.right, pairs.inter)

    def related(a: int, b: int, held: int) -> bool:
        # Items of one page, with no edge: one story if they share much of what the page holds
        # of them, or carry one headline (partial copies can hold disjoint parts of a story).
        if intersection_size(shingles_of(a), shingles_of(b)) >= config.threshold * held:
            return True
        return same_headline(doc_of(a).title, doc_of(b).title)

    # An item of a digest is any document the page holds as much of as a verified pair needs.
    digests = find_digests(sizes, neighbours_of(edges), config.threshold, related)
    labels = cluster(sizes, edges, config.digest_share, digests=digests)
    groups: dict[int, list[int]] = {}
    linked = np.union1d(pairs.left, pairs.right).tolist()
    for index in linked:
        groups.setdefault(int(labels[index]), []).append(index)
    groups = {label: members for label, members in groups.items() if len(members) > 1}
    inter_of = dict(zip(zip(pairs.left.tolist(), pairs.right.tolist(), strict=True), pairs.inter.tolist(), strict=True))
    clusters = []
    canonical_id: dict[int, str] = {}
    for members in groups.values():
        docs = {m: doc_of(m) for m in members}
        facts = member_facts(members, docs.__getitem__, sizes.__getitem__,
                             lambda a, b: inter_of.get((min(a, b), max(a, b)), 0))
        choice = choose(facts, outlets)
        canonical = members[choice.canonical]
        canonical_shingles: np.ndarray | None = None
        jac, cont, common = [], [], []
        for m in members:
            if m == canonical:
                jac.append(1.0)
                cont.append(1.0)
                common.append(int(sizes[m]))
                continue
            shared = inter_of.get((min(m, canonical), max(m, canonical)))
            if shared is not None and sizes[m] and sizes[canonical]:
                # a verified pair: its intersection is known, and sizes hold the compared sets' sizes
                j = shared / (sizes[m] + sizes[canonical] - shared)
                c = shared / min(sizes[m], sizes[canonical])
            else:
                if canonical_shingles is None:
                    canonical_shingles = shingles_of(canonical)
                shared, j, c = jaccard_containment(canonical_shingles, shingles_of(m))
            jac.append(round(float(j), 4))
            cont.append(round(float(c), 4))
            common.append(int(shared))
        clusters.append(Cluster(members, choice, jac, cont, shared=common, sizes=[int(sizes[m]) for m in members]))
        canonical_id[canonical] = docs[canonical].id
    clusters.sort(key=lambda c: (-len(c.members), canonical_id.get(c.canonical, ""), c.members[0]))
    in_groups = np.zeros(len(sizes), dtype=bool)
    for members in groups.values():
        in_groups[members] = True
    return labels, clusters, np.flatnonzero(~in_groups), digests


def lone_cluster_maker(doc_of: Callable[[int], CleanDocument], sizes: np.ndarray,
                       outlets: OutletTable) -> Callable[[int], Cluster]:
    """Builds the cluster of one for a lone document, its choice made only if asked for."""
    return lambda index: Cluster([index], None, [1.0], [1.0], chooser=_lone_chooser(doc_of, index, sizes, outlets))


Clustered = tuple[np.ndarray, list[Cluster], np.ndarray, dict[int, list[int]]]
"""What :func:`build_clusters` returns: labels, clusters of two or more, lone documents, digests."""


def scan_result(docs: Sequence[CleanDocument], shingles: Sequence[np.ndarray], sizes: np.ndarray,
                clustered: Clustered, pairs: VerifiedPairs, config: Config, outlets: OutletTable,
                candidates: np.ndarray | None = None, profiles: SiteProfiles | None = None,
                stats: dict[str, float] | None = None) -> ScanResult:
    """The :class:`ScanResult` of clustered documents, as every engine returns it (lone documents
    get their cluster of one, chosen only when asked for).

    >>> none = VerifiedPairs.of([])
    >>> result = scan_result([], [], np.zeros(0, np.int64), build_clusters(lambda k: None, lambda k: None,
    ...     np.zeros(0, np.int64), none, Config(), OutletTable.default()), none, Config(), OutletTable.default())
    >>> result.clusters, result.stats
    ([], {'candidates': 0.0, 'verified': 0.0})
    """
    labels, clusters, lone, digests = clustered
    if candidates is None:
        candidates = np.zeros((0, 2), dtype=np.int64)
    figures = {"candidates": float(len(candidates)), "verified": float(len(pairs))} if stats is None else stats
    return ScanResult(docs=docs, shingles=shingles, labels=labels, clusters=clusters, candidates=candidates,
                      pairs=pairs, profiles=profiles or SiteProfiles(), config=config, stats=figures, lone=lone,
                      lone_cluster=lone_cluster_maker(docs.__getitem__, sizes, outlets), digests=digests)


__all__ = ["Clustered", "ScanResult", "Cluster", "LazySequence", "build_clusters", "lone_cluster_maker", "scan_result"]
