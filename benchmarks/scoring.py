"""Scoring a clustering against gold stories: pairwise P/R/F1, ARI, B-cubed, canonical and origin accuracy.

Pure functions over dicts so they can be tested on hand-made cases. Documents absent from the
prediction count as singletons.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from math import comb
from pathlib import Path
from typing import Any


@dataclass
class Gold:
    story: dict[str, str]
    original: dict[str, str]
    """story -> id of its original page (only stories whose original is in the corpus)"""
    origin: dict[str, str]
    """story -> origin outlet"""
    kind: dict[str, str]
    aliases: dict[str, str]
    """normalised outlet name or alias -> canonical outlet name"""
    site: dict[str, str] = field(default_factory=dict)
    """document -> its site"""
    credit: dict[str, str] = field(default_factory=dict)
    """copy -> the kind of credit it gives its story's origin (where the gold says)"""


def load_gold(path: str | Path, outlets_path: str | Path | None = None) -> Gold:
    story, original, origin, kind, site, credit = {}, {}, {}, {}, {}, {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        story[row["id"]] = row["story"]
        kind[row["id"]] = row.get("kind", "")
        site[row["id"]] = row.get("site", "")
        if row.get("credit"):
            credit[row["id"]] = row["credit"]
        if row.get("is_original"):
            original[row["story"]] = row["id"]
        if row.get("origin_outlet"):
            origin[row["story"]] = row["origin_outlet"]
    aliases: dict[str, str] = {}
    if outlets_path and Path(outlets_path).exists():
        table = json.loads(Path(outlets_path).read_text(encoding="utf-8"))
        # Either {name: {"aliases": [...]}} or dedup's own [{"name", "aliases", ...}] format.
        entries = table.items() if isinstance(table, dict) else ((row["name"], row) for row in table)
        for name, entry in entries:
            aliases[name] = name
            for alias in entry.get("aliases", []):
                aliases[alias] = name
    return Gold(story, original, origin, kind, aliases, site, credit)


def read_prediction(path: str | Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _labels(clusters: list[dict[str, Any]], ids: Iterable[str]) -> dict[str, str]:
    label = {}
    for cluster in clusters:
        for member in cluster["members"]:
            label[member["id"]] = cluster["cluster_id"]
    return {doc: label.get(doc, f"singleton:{doc}") for doc in ids}


def pairwise(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    """Pairwise precision/recall/F1 and the Adjusted Rand Index over the documents of ``gold``.

    >>> r = pairwise({"a": "x", "b": "x", "c": "y"}, {"a": "s", "b": "s", "c": "s"})
    >>> round(r["precision"], 3), round(r["recall"], 3)
    (1.0, 0.333)
    """
    docs = list(gold)
    joint = Counter((pred[d], gold[d]) for d in docs)
    pred_sizes = Counter(pred[d] for d in docs)
    gold_sizes = Counter(gold[d] for d in docs)
    tp = sum(comb(n, 2) for n in joint.values())
    pred_pairs = sum(comb(n, 2) for n in pred_sizes.values())
    gold_pairs = sum(comb(n, 2) for n in gold_sizes.values())
    precision = tp / pred_pairs if pred_pairs else 1.0
    recall = tp / gold_pairs if gold_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    total = comb(len(docs), 2)
    expected = pred_pairs * gold_pairs / total if total else 0.0
    maximum = (pred_pairs + gold_pairs) / 2
    ari = (tp - expected) / (maximum - expected) if maximum != expected else 1.0
    return {"precision": precision, "recall": recall, "f1": f1, "ari": ari}


def bcubed(pred: dict[str, str], gold: dict[str, str]) -> dict[str, float]:
    """B-cubed precision, recall and F1.

    >>> round(bcubed({"a": "x", "b": "x"}, {"a": "s", "b": "t"})["precision"], 2)
    0.5
    """
    joint = Counter((pred[d], gold[d]) for d in gold)
    pred_sizes = Counter(pred[d] for d in gold)
    gold_sizes = Counter(gold[d] for d in gold)
    precision = sum(joint[(pred[d], gold[d])] / pred_sizes[pred[d]] for d in gold) / len(gold)
    recall = sum(joint[(pred[d], gold[d])] / gold_sizes[gold[d]] for d in gold) / len(gold)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def canonical_accuracy(clusters: list[dict[str, Any]], gold: Gold) -> tuple[float, int]:
    """Share of multi-document stories with their original present whose original is named canonical
    of the predicted cluster (of two or more members) that holds it."""
    canonical_of = {}
    for cluster in clusters:
        for member in cluster["members"]:
            canonical_of[member["id"]] = cluster["canonical_id"]
    sizes = Counter(gold.story.values())
    stories = [s for s, original in gold.original.items() if sizes[s] >= 2]
    if not stories:
        return 1.0, 0
    right = sum(1 for s in stories if canonical_of.get(gold.original[s]) == gold.original[s])
    return right / len(stories), len(stories)


def _outlet_key(name: str | None, gold: Gold) -> str | None:
    if not name:
        return None
    return gold.aliases.get(name, name)


def origin_accuracy(clusters: list[dict[str, Any]], gold: Gold, stories: Iterable[str] | None = None) -> tuple[float, int]:
    """Share of multi-document stories whose predicted cluster (the one holding most of the story)
    names the right origin outlet (aliases allowed)."""
    cluster_of = {}
    for cluster in clusters:
        for member in cluster["members"]:
            cluster_of[member["id"]] = cluster
    by_story: dict[str, list[str]] = defaultdict(list)
    for doc, story in gold.story.items():
        by_story[story].append(doc)
    chosen = [s for s, docs in by_story.items() if len(docs) >= 2 and s in gold.origin]
    if stories is not None:
        wanted = set(stories)
        chosen = [s for s in chosen if s in wanted]
    if not chosen:
        return 1.0, 0
    right = 0
    for story in chosen:
        counts = Counter(cluster_of[d]["cluster_id"] for d in by_story[story] if d in cluster_of)
        if not counts:
            continue
        best = counts.most_common(1)[0][0]
        cluster = next(cluster_of[d] for d in by_story[story] if d in cluster_of and cluster_of[d]["cluster_id"] == best)
        named = (cluster.get("origin") or {}).get("outlet")
        if _outlet_key(named, gold) == _outlet_key(gold.origin[story], gold):
            right += 1
    return right / len(chosen), len(chosen)


def score(clusters: list[dict[str, Any]], gold: Gold) -> dict[str, float]:
    pred = _labels(clusters, gold.story)
    out = {f"pair_{k}": v for k, v in pairwise(pred, gold.story).items()}
    out.update({f"bcubed_{k}": v for k, v in bcubed(pred, gold.story).items()})
    out["canonical_acc"], out["canonical_n"] = canonical_accuracy(clusters, gold)
    out["origin_acc"], out["origin_n"] = origin_accuracy(clusters, gold)
    return out


def stories_by_case(clusters: list[dict[str, Any]], gold: Gold) -> dict[str, list[str]]:
    """Multi-document stories grouped by the difficulty they pose for choosing the original.

    ``backdated``: a copy carries an earlier time than the original (times as the prediction reports
    them); ``self-attributing spam``: a copy's site names itself as the source (gold tag ``attr_self``).
    """
    published = {m["id"]: m.get("published_at") for c in clusters for m in c["members"]}
    by_story: dict[str, list[str]] = defaultdict(list)
    for doc, story in gold.story.items():
        by_story[story].append(doc)
    cases: dict[str, list[str]] = defaultdict(list)
    for story, docs in by_story.items():
        if len(docs) < 2:
            continue
        original = gold.original.get(story)
        cases["original present" if original else "original absent"].append(story)
        if original and published.get(original):
            first = published[original]
            if any(published.get(d) and published[d] < first for d in docs if d != original):
                cases["backdated copy"].append(story)
        if any("attr_self" in gold.kind.get(d, "") for d in docs):
            cases["self-attributing spam"].append(story)
    return dict(cases)


def accuracy_by_case(clusters: list[dict[str, Any]], gold: Gold) -> dict[str, dict[str, float]]:
    """Canonical and origin accuracy per case of :func:`stories_by_case`."""
    canonical_of = {m["id"]: c["canonical_id"] for c in clusters for m in c["members"]}
    out: dict[str, dict[str, float]] = {}
    for case, stories in stories_by_case(clusters, gold).items():
        with_original = [s for s in stories if s in gold.original]
        canonical = (sum(1 for s in with_original if canonical_of.get(gold.original[s]) == gold.original[s]) / len(with_original)
                     if with_original else float("nan"))
        origin, n = origin_accuracy(clusters, gold, stories)
        out[case] = {"stories": float(n), "canonical_acc": canonical, "origin_acc": origin}
    return out


@dataclass(frozen=True)
class Judgement:
    """One hand-judged pair: whether the two documents are the same story, and what kind of pair it is."""

    a: str
    b: str
    same: bool
    kind: str
    reason: str = ""


def load_judgements(path: str | Path) -> list[Judgement]:
    """Judged pairs, one JSON object per line: ``a``, ``b``, ``same``, ``kind`` and an optional ``reason``."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        try:
            rows.append(Judgement(row["a"], row["b"], bool(row["same"]), row["kind"], row.get("reason", "")))
        except KeyError as missing:
            raise ValueError(f"{path}:{number}: judgement lacks field {missing}") from None
    return rows


def score_judged_pairs(clusters: list[dict[str, Any]], judgements: list[Judgement]) -> dict[str, Any]:
    """Pairwise precision and recall against hand-judged pairs.

    Every pair judged the same story should share a cluster (recall); every pair that shares a
    cluster should be one judged the same story (precision). A predicted pair nobody judged (the
    judges read every pair with containment 0.2 or more) counts against precision under the kind
    ``unjudged``. Also returns the missed and wrongly joined pairs counted by kind.

    >>> j = [Judgement("a", "b", True, "copy"), Judgement("a", "c", False, "quote")]
    >>> s = score_judged_pairs([{"members": [{"id": "a"}, {"id": "b"}, {"id": "c"}]}], j)
    >>> s["precision"], s["recall"], s["wrong_by_kind"]
    (0.3333333333333333, 1.0, {'quote': 1, 'unjudged': 1})
    """
    verdict = {frozenset((j.a, j.b)): j for j in judgements}
    joined: set[frozenset[str]] = set()
    for cluster in clusters:
        ids = sorted({m["id"] for m in cluster["members"]})
        joined.update(frozenset((x, y)) for i, x in enumerate(ids) for y in ids[i + 1:])
    same = {pair for pair, j in verdict.items() if j.same}
    hits = joined & same
    missed: Counter[str] = Counter(verdict[pair].kind for pair in same - joined)
    wrong: Counter[str] = Counter(verdict[pair].kind if pair in verdict else "unjudged" for pair in joined - same)
    precision = len(hits) / len(joined) if joined else 1.0
    recall = len(hits) / len(same) if same else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "joined": len(joined), "same": len(same),
            "missed_by_kind": dict(sorted(missed.items())), "wrong_by_kind": dict(sorted(wrong.items())),
            "missed": sorted(tuple(sorted(p)) for p in same - joined),
            "wrong": sorted(tuple(sorted(p)) for p in joined - same)}


def credit_confusion(clusters: list[dict[str, Any]], expected: dict[str, str]) -> dict[tuple[str, str], int]:
    """``(expected kind, predicted kind)`` -> copies, over the copies ``expected`` names; a copy in
    no cluster of two or more is predicted ``unclustered``.

    >>> c = [{"members": [{"id": "a", "credit": {"kind": "self"}}, {"id": "b", "credit": {"kind": "outlet"}}]}]
    >>> sorted(credit_confusion(c, {"a": "self", "b": "none", "x": "none"}).items())
    [(('none', 'outlet'), 1), (('none', 'unclustered'), 1), (('self', 'self'), 1)]
    """
    predicted = {m["id"]: (m.get("credit") or {}).get("kind", "none") for c in clusters if len(c["members"]) > 1
                 for m in c["members"]}
    return dict(Counter((kind, predicted.get(doc, "unclustered")) for doc, kind in expected.items()))


def credit_accuracy(confusion: dict[tuple[str, str], int]) -> float:
    """Share of copies whose predicted credit kind is the expected one.

    >>> credit_accuracy({("self", "self"): 3, ("none", "outlet"): 1})
    0.75
    """
    total = sum(confusion.values())
    return sum(n for (want, got), n in confusion.items() if want == got) / total if total else float("nan")
