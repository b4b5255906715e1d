"""Turn scan results into the JSON Lines contract, the summary and explanations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterator
from typing import Any

from dedup.document import CleanDocument
from dedup.stages.canonical import credits_other
from dedup.stages.credit import credit_of, own_names_of
from dedup.stages.result import Cluster, ScanResult
from dedup.text.outlets import OutletTable


def member_record(doc: CleanDocument, role: str, jaccard: float, containment: float, outlets: OutletTable,
                  origin: str | None = None, shared: int | None = None, sizes: tuple[int, int] | None = None,
                  own_names: Collection[str] = (), in_cluster: bool = True) -> dict[str, Any]:
    """One member of a cluster record. ``shared`` shingles with the canonical copy and ``sizes``
    (the member's, the canonical copy's) give ``taken`` (share of the original the copy took) and
    ``copied_share`` (share of the copy that is the original's); ``credit`` is the member's credit
    to ``origin`` (:func:`dedup.stages.credit.credit_of`)."""
    record: dict[str, Any] = {
        "id": doc.id,
        "site": doc.site,
        "published_at": doc.published_at,
        "jaccard": jaccard,
        "containment": containment,
        "role": role,
    }
    if shared is not None and sizes is not None and role != "canonical":
        size, canonical_size = sizes
        record["taken"] = round(shared / canonical_size, 4) if canonical_size else 0.0
        record["copied_share"] = round(shared / size, 4) if size else 0.0
    source = credits_other(doc, outlets)
    if source:
        record["attributed_source"] = source
    if in_cluster:
        record["credit"] = credit_of(doc, origin, outlets, own_names).to_dict()
    if doc.doc.url:
        record["url"] = doc.doc.url
    if doc.title:
        record["title"] = doc.title
    return record


def cluster_record(result: ScanResult, cluster: Cluster, number: int, outlets: OutletTable) -> dict[str, Any]:
    """One output line of ``dedup scan``."""
    several = len(cluster.members) > 1
    choice = cluster.choice
    own_names = own_names_of((result.docs[m] for m in cluster.members), outlets) if several else {}
    order = sorted(range(len(cluster.members)), key=lambda k: (k != choice.canonical, result.docs[cluster.members[k]].id))
    members = []
    for k in order:
        doc = result.docs[cluster.members[k]]
        sized = bool(cluster.sizes)
        members.append(member_record(
            doc, choice.roles[k], cluster.jaccard[k], cluster.containment[k], outlets, choice.origin if several else None,
            cluster.shared[k] if sized else None, (cluster.sizes[k], cluster.sizes[choice.canonical]) if sized else None,
            own_names.get(doc.site, ()), several))
    canonical = result.docs[cluster.canonical]
    origin = {"outlet": choice.origin, "evidence": choice.evidence} if choice.origin else None
    return {
        "cluster_id": f"c{number:06d}",
        "size": len(cluster.members),
        "canonical_id": canonical.id,
        "origin": origin,
        "members": members,
    }


def selected(result: ScanResult, min_size: int) -> Iterator[Cluster]:
    """The clusters ``--min-size`` keeps, in output order (with 1, every lone document too)."""
    for cluster in result.every_cluster() if min_size <= 1 else result.clusters:
        if len(cluster.members) >= min_size:
            yield cluster


def iter_records(result: ScanResult, min_size: int, outlets: OutletTable) -> Iterator[dict[str, Any]]:
    """The output lines of ``dedup scan`` for a result, numbered from ``c000001``, one at a time."""
    for number, cluster in enumerate(selected(result, min_size), start=1):
        yield cluster_record(result, cluster, number, outlets)


def records(result: ScanResult, min_size: int, outlets: OutletTable) -> list[dict[str, Any]]:
    """The output lines of ``dedup scan`` for a result (:func:`iter_records`), as a list."""
    return list(iter_records(result, min_size, outlets))


def size_histogram(result: ScanResult) -> dict[str, int]:
    counts: Counter[str] = Counter()
    if len(result.lone):
        counts["1"] = len(result.lone)
    for cluster in result.clusters:
        n = len(cluster.members)
        label = str(n) if n <= 4 else ("5-9" if n < 10 else "10+")
        counts[label] += 1
    order = ["1", "2", "3", "4", "5-9", "10+"]
    return {k: counts[k] for k in order if counts[k]}
