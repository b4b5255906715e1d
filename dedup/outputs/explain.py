"""The explainer of ``dedup explain``: what was compared for a document, what cleaning removed and
why, its nearest documents and its cluster; one text for the scan and for the index."""

from __future__ import annotations

from dedup.config import Config
from dedup.document import CleanDocument
from dedup.errors import InputError
from dedup.stages.candidates import proposed_by, text_keys
from dedup.stages.result import Cluster, ScanResult
from dedup.stages.sketch import intersection_size, jaccard_containment, shingles_of
from dedup.text.outlets import OutletTable


def explain_rejected(error: InputError) -> str:
    """A readable account of a document that was read and then rejected: why, and what cleaning removed."""
    lines = [f"document {error.doc_id or error.path}", f"  rejected: {error.reason}"]
    cleaned = error.cleaned
    if isinstance(cleaned, CleanDocument):
        lines.append(f"  site: {cleaned.site or '-'}    published: {cleaned.published_at or 'unknown'}")
        if cleaned.title:
            lines.append(f"  title: {cleaned.title}")
        lines.append(f"  text left ({len(cleaned.compared)} chars): {cleaned.body[:300]}")
        lines.append(f"  removed ({len(cleaned.removed)}):")
        lines.extend(f"    [{reason}] {text[:100]}" for reason, text in cleaned.removed[:60])
        if len(cleaned.removed) > 60:
            lines.append(f"    … {len(cleaned.removed) - 60} more")
    return "\n".join(lines)


def describe_document(doc: CleanDocument, compared: str, whole: int, evidence: int, config: Config,
                      removals_kept: bool = True) -> list[str]:
    """The lines of an explanation about the document itself: record, compared text, what went.

    ``whole`` and ``evidence``: its distinct shingles, and those left once the corpus's common
    shingles are out. Every explainer (a scan's, an index's) starts with these lines.
    """
    lines = [f"document {doc.id}", f"  site: {doc.site or '-'}    published: {doc.published_at or 'unknown'}"]
    if doc.title:
        lines.append(f"  title: {doc.title}")
    if doc.attributions:
        lines.append("  attributions: " + "; ".join(f"{a.form}={a.outlet}" for a in doc.attributions))
    flags = [name for name, on in (("spun", doc.spun), ("self-attributed", doc.self_attributed)) if on]
    if flags:
        lines.append("  flags: " + ", ".join(flags))
    common = f"; {whole - evidence} more are common in the corpus and left out" if whole > evidence else ""
    if whole < config.min_shingles:
        lines.append(f"  rejected: too short to compare after site templates were removed ({whole} shingles; at "
                     f"least {config.min_shingles} needed); it takes no part in matching")
    lines.append(f"  compared text ({len(compared)} chars, {evidence} shingles{common}):")
    lines.append("    " + (compared[:600] + ("…" if len(compared) > 600 else "")))
    if not removals_kept:
        lines.append("  removed: not kept in an index (`dedup extract` or `dedup explain DIR` lists them)")
    elif doc.removed:
        lines.append(f"  removed ({len(doc.removed)}):")
        for reason, text in doc.removed[:40]:
            lines.append(f"    [{reason}] {text[:100]}")
        if len(doc.removed) > 40:
            lines.append(f"    … {len(doc.removed) - 40} more")
    return lines


def describe_digest(result: ScanResult, index: int) -> list[str]:
    """The lines that say whether a document is a digest page or an item of one, and what that did.

    A digest (a page holding documents of two or more different stories) joins only a story that
    makes up ``digest_share`` of it; its other items stay apart from it.
    """
    share = result.config.digest_share

    def part(page: int, item: int) -> float:
        held = intersection_size(result.shingles[page], result.shingles[item])
        return held / max(len(result.shingles[page]), 1)

    lines = []
    items = result.digests.get(index)
    if items:
        names = ", ".join(f"{result.docs[k].id} ({part(index, k):.0%})" for k in items[:6])
        more = f" and {len(items) - 6} more" if len(items) > 6 else ""
        lines.append(f"  digest: holds documents of different stories: {names}{more}; it joins only a story that "
                     f"makes up at least {share:.0%} of it")
    for page, page_items in result.digests.items():
        if index in page_items:
            held = part(page, index)
            verdict = "so it may join it" if held >= share else "so the two stay apart"
            lines.append(f"  item of the digest {result.docs[page].id}: {held:.0%} of that page (a story joins a "
                         f"digest from {share:.0%}), {verdict}")
    return lines


def describe_cluster(result: ScanResult, cluster: Cluster | None) -> list[str]:
    """The lines of an explanation about a document's cluster: canonical copy, origin, evidence, ranking."""
    if cluster is None or len(cluster.members) < 2:
        return ["  not in any cluster"]
    canonical = result.docs[cluster.canonical]
    lines = [f"  cluster of {len(cluster.members)}; canonical {canonical.id}; origin {cluster.choice.origin or '-'}"]
    lines.extend(f"    evidence: {reason}" for reason in cluster.choice.evidence)
    lines.append("  ranking:")
    for position, reasons in cluster.choice.ranking:
        lines.append(f"    {result.docs[cluster.members[position]].id}: {'; '.join(reasons)}")
    return lines


def explain(result: ScanResult, index: int, outlets: OutletTable, neighbours: int = 5) -> str:
    """A readable account of one document: what was compared, removed, matched and why."""
    doc = result.docs[index]
    lines = describe_document(doc, doc.compared, len(shingles_of(doc.compared, result.config.shingle_size,
                                                                  result.config.tokens)),
                              len(result.shingles[index]), result.config)
    scored = []
    for other in range(len(result.docs)):
        if other == index or len(result.shingles[other]) == 0:
            continue
        inter, jac, cont = jaccard_containment(result.shingles[index], result.shingles[other])
        if inter:
            scored.append((cont, jac, other))
    scored.sort(reverse=True)
    candidate_set = {tuple(p) for p in result.candidates.tolist()}
    lines.append(f"  nearest documents (threshold: containment >= {result.config.threshold}):")
    config = result.config
    own_keys = text_keys(doc.compared, config)[1]
    for cont, jac, other in scored[:neighbours]:
        pair = (min(index, other), max(index, other))
        status = "verified" if cont >= config.threshold else "below threshold"
        if pair not in candidate_set:
            status += ", not an LSH candidate"
        shared = proposed_by(own_keys, text_keys(result.docs[other].compared, config)[1], config)
        lines.append(f"    {result.docs[other].id}  jaccard={jac:.3f} containment={cont:.3f}  ({status})")
        lines.append(f"      keys shared: {'; '.join(shared) or 'none'}")
    lines.extend(describe_digest(result, index))
    lines.extend(describe_cluster(result, result.cluster_of(index)))
    return "\n".join(lines)
