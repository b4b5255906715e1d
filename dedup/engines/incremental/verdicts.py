"""A verdict: the star cluster a document joins within its connected component of verified edges,
made exactly as a scan of that component clusters it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.engines.incremental.state import IndexState, Prepared
from dedup.stages.common_shingles import CommonShingles, EvidenceReader
from dedup.stages.result import LazySequence, ScanResult, build_clusters, scan_result
from dedup.stages.verify import VerifiedPairs, verify_pairs
from dedup.store import Link, Store, StoredDocument


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


def best_link(neighbours: list[Link]) -> Link | None:
    return max(neighbours, key=lambda v: (v.containment, v.jaccard, -v.number)) if neighbours else None


def cluster_labels(order: list[int], result: ScanResult) -> list[tuple[int, int]]:
    """``(document, label)`` for every document of a result: the number of its cluster's canonical copy."""
    labels = [(order[m], order[c.canonical]) for c in result.clusters for m in c.members]
    return labels + [(order[k], order[k]) for k in result.lone.tolist()]


def cluster_origins(order: list[int], result: ScanResult) -> list[tuple[int, str | None]]:
    """``(label, origin)`` for every document of a result: a canonical copy's cluster's origin, and
    None for the others (whose number no longer labels a cluster with an origin)."""
    rows: list[tuple[int, str | None]] = []
    for cluster in result.clusters:
        rows.extend((order[m], cluster.choice.origin if m == cluster.canonical else None) for m in cluster.members)
    return rows + [(order[k], None) for k in result.lone.tolist()]


def brief(doc_id: str, neighbours: list[Link], replaced: bool) -> Verdict:
    best = best_link(neighbours)
    return Verdict(doc_id, "repost" if neighbours else "new", jaccard=round(best.jaccard, 4) if best else 0.0,
                   containment=round(best.containment, 4) if best else 0.0, replaced=replaced)


class Verdicts:
    """Verdicts on the documents of a store (``state`` keeps their sketches)."""

    def __init__(self, store: Store, config: Config, state: IndexState) -> None:
        self.store, self.config, self.state = store, config, state

    def star_result(self, numbers: list[int], edges: Iterable[tuple[int, int]], common: CommonShingles,
                    query: Prepared | None = None, query_links: Iterable[int] = (),
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
                return self.state.remember_sketch(order[k], document(k).body)
            return self.state.stored_sketches([order[k]])[order[k]]

        def doc_of(k: int) -> CleanDocument:
            if order[k] == -1 and query is not None:
                return self.state.mark_self(query.doc)
            return self.state.cleaned(document(k))

        sketch_of = EvidenceReader(sketch, common, sizes)
        links = [(position[a], position[b]) for a, b in edges] + [(position[-1], position[m]) for m in query_links]
        pairs = VerifiedPairs.of(verify_pairs(sorted((min(a, b), max(a, b)) for a, b in links), sketch_of,
                                              self.config))
        clustered = build_clusters(doc_of, sketch_of.shingles, sizes, pairs, self.config, self.state.outlets)
        # a verdict's pairs were all verified: candidates and verified are the same count
        return order, scan_result(LazySequence(len(order), doc_of), LazySequence(len(order), sketch_of.shingles), sizes,
                                  clustered, pairs, self.config, self.state.outlets,
                                  stats={"candidates": float(len(pairs)), "verified": float(len(pairs))})

    def verdict(self, doc_id: str, n: int, status: str, prepared: Prepared | None = None,
                neighbours: list[Link] | None = None, replaced: bool = False) -> Verdict:
        """The verdict for a stored document ``n`` (or, with ``n == -1``, a queried one): its star
        cluster within its connected component, the cluster ``clusters()`` gives it."""
        neighbours = neighbours or []
        numbers, edges = self.store.component([n] if n >= 0 else [m.number for m in neighbours])
        query = prepared if n < 0 else None
        if n >= 0 and len(numbers) == 1:
            return Verdict(doc_id, status, canonical_id=doc_id, is_canonical=True, replaced=replaced)
        order, result = self.star_result(numbers, edges, self.state.common_shingles(), query,
                                          [m.number for m in neighbours] if query is not None else (), texts=False)
        if query is None and status == "repost":  # a document just added: its component's labels change
            self.store.set_labels(cluster_labels(order, result))
            self.store.set_origins(cluster_origins(order, result))
        me = order.index(n)
        found = result.cluster_of(me)
        best = best_link(neighbours)
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

    def for_stored(self, n: int, status: str) -> Verdict:
        return self.verdict(self.store.ids([n]).get(n, "?"), n, status)

