"""Turn scan results into the JSON Lines contract, the summary and explanations."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from dedup.stages.canonical import credits_other
from dedup.stages.result import Cluster, ScanResult
from dedup.text.outlets import OutletTable


def cluster_record(result: ScanResult, cluster: Cluster, number: int, outlets: OutletTable) -> dict[str, Any]:
    """One output line of ``dedup scan``."""
    members = []
    order = sorted(range(len(cluster.members)), key=lambda k: (k != cluster.choice.canonical, result.docs[cluster.members[k]].id))
    for k in order:
        doc = result.docs[cluster.members[k]]
        record: dict[str, Any] = {
            "id": doc.id,
            "site": doc.site,
            "published_at": doc.published_at,
            "jaccard": cluster.jaccard[k],
            "containment": cluster.containment[k],
            "role": cluster.choice.roles[k],
        }
        source = credits_other(doc, outlets)
        if source:
            record["attributed_source"] = source
        if doc.doc.url:
            record["url"] = doc.doc.url
        if doc.title:
            record["title"] = doc.title
        members.append(record)
    canonical = result.docs[cluster.canonical]
    origin = {"outlet": cluster.choice.origin, "evidence": cluster.choice.evidence} if cluster.choice.origin else None
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
