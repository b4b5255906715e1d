"""Quality benchmark: dedup against the plain datasketch pipeline on a labelled corpus.

    python -m benchmarks.quality [--corpus ../shared/bench/dev/corpus] [--gold ../shared/bench/dev/gold.jsonl]
    python -m benchmarks.quality --finnews [../shared/corpora/finnews-em-sina-2018/articles.jsonl]

Prints one table, dedup and the baseline side by side, with pairwise P/R/F1, ARI, B-cubed F1,
canonical accuracy and origin accuracy, plus recall per transformation tag and wall time.

``--finnews`` scores instead on real reposts against the hand-judged pairs kept in
``benchmarks/finnews_gold.jsonl`` (every pair of that corpus with containment 0.2 or more, read and
judged "same story" or not; ids and judgements only, the articles stay in ``../shared``): pairwise
precision and recall, and the missed and wrongly joined pairs by kind.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.baseline import baseline_clusters
from benchmarks.scoring import (
    Gold,
    accuracy_by_case,
    credit_accuracy,
    credit_confusion,
    load_gold,
    load_judgements,
    score,
    score_judged_pairs,
)
from benchmarks.synthetic import write_quality_corpus
from dedup.config import Config
from dedup.document import Document
from dedup.engines.local.engine import scan_corpus
from dedup.io.formats import read_file, walk
from dedup.outputs.records import records
from dedup.text.outlets import OutletTable

HERE = Path(__file__).resolve().parent
DEV = HERE.parent.parent / "shared" / "bench" / "dev"
FINNEWS = HERE.parent.parent / "shared" / "corpora" / "finnews-em-sina-2018" / "articles.jsonl"
FINNEWS_GOLD = HERE / "finnews_gold.jsonl"


def run_dedup(corpus: Path, config: Config, outlet_file: Path | None = None) -> tuple[list[dict[str, Any]], float]:
    """dedup as ``dedup scan`` runs it (the corpus path, all cores), with its built-in outlet table
    and, as ``--outlets`` adds it, the corpus's own when it is in dedup's format (a list)."""
    started = time.perf_counter()
    outlets = OutletTable.default()
    if outlet_file is not None and outlet_file.is_file() and outlet_file.read_text(encoding="utf-8").lstrip()[:1] == "[":
        outlets.extend_from_file(outlet_file)
    with scan_corpus([corpus], config, outlets) as outcome:
        found = records(outcome.result, 2, outlets)
    return found, time.perf_counter() - started


def false_merges(clusters: list[dict[str, Any]], gold: Gold) -> dict[str, int]:
    """Pairs put in one cluster that belong to different gold stories, by what kind of pair it is."""
    counts: dict[str, int] = defaultdict(int)
    for cluster in clusters:
        ids = [m["id"] for m in cluster["members"] if m["id"] in gold.story]
        for position, a in enumerate(ids):
            for b in ids[position + 1 :]:
                if gold.story[a] == gold.story[b]:
                    continue
                prefixes = {gold.story[a][0], gold.story[b][0]}
                special = {"M": "market wrap-ups", "F": "flash items", "D": "digest pages", "B": "shared blurb, many sites"}
                if prefixes & set(special):
                    kind = special[sorted(prefixes & set(special))[0]]
                elif gold.site.get(a) == gold.site.get(b):
                    kind = "same site (shared template)"
                else:
                    kind = "other"
                counts[kind] += 1
    return dict(counts)


def judged(corpus: Path, gold: Path, config: Config, show: int = 0) -> dict[str, Any]:
    """dedup and the baseline on a corpus with hand-judged pairs; prints the table and returns the scores."""
    judgements = load_judgements(gold)
    clusters, seconds = run_dedup(corpus, config)
    rows = {"dedup": score_judged_pairs(clusters, judgements) | {"seconds": seconds}}
    started = time.perf_counter()
    docs: list[Document] = [d for d in read_file(corpus, corpus.name) if not isinstance(d, Exception)]
    rows["datasketch"] = score_judged_pairs(baseline_clusters(docs), judgements) | {
        "seconds": time.perf_counter() - started}
    print(f"corpus: {corpus}  ({len(judgements)} judged pairs, {rows['dedup']['same']} of them the same story)")
    print("| | precision | recall | F1 | pairs joined | missed, by kind | wrongly joined, by kind |")
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['joined']} | "
              f"{_counts(row['missed_by_kind'])} | {_counts(row['wrong_by_kind'])} |")
    for label, pairs in (("missed", rows["dedup"]["missed"]), ("wrongly joined", rows["dedup"]["wrong"])):
        for a, b in pairs[:show]:
            print(f"  dedup {label}: {a}  <->  {b}")
    return rows["dedup"]


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in counts.items()) or "-"


def run_baseline(corpus: Path) -> tuple[list[dict[str, Any]], float]:
    started = time.perf_counter()
    docs: list[Document] = []
    for path, rel in walk([corpus]).files:
        docs.extend(d for d in read_file(path, rel) if not isinstance(d, Exception))
    return baseline_clusters(docs), time.perf_counter() - started


_DEV_CREDIT = {("portal", "attr_none"): "none", ("portal", "attr_src"): "outlet", ("portal", "attr_alias"): "outlet",
               ("portal", "attr_wenzhang"): "outlet", ("portal", "attr_benwen"): "outlet",
               ("spam", "attr_media"): "self_then_outlet", ("spam", "attr_self"): "self", ("spam", "attr_none"): "self",
               ("spam", "attr_src"): "outlet", ("spam", "attr_zhuanzai"): "self_then_outlet",
               ("spam", "attr_benwen"): "self_then_outlet"}
"""The credit kind ``bench/dev``'s tags imply for a copy page (its aggregator pages carry a 来源 line
naming themselves unless ``attr_src`` put the outlet there). Records (ids with ``#``) are left out:
their generator put the credit in fields a page does not show."""


def expected_credits(gold: Gold) -> tuple[dict[str, str], str]:
    """The credit kind of each copy: the gold's own where it has them, else derived from the
    dev corpus's tags (:data:`_DEV_CREDIT`); and which of the two it is."""
    if gold.credit:
        return gold.credit, "the gold's credit lines"
    out = {}
    for doc, kind in gold.kind.items():
        tags = kind.split("+")
        style = "spam" if tags[0].startswith("spam") else tags[0]
        attr = next((t for t in tags if t.startswith("attr_")), "")
        if "#" not in doc and (style, attr) in _DEV_CREDIT:
            out[doc] = _DEV_CREDIT[style, attr]
    return out, "derived from bench/dev's tags (pages only)"


def print_credits(clusters: list[dict[str, Any]], gold: Gold) -> None:
    """Credit kind accuracy and the confusion table (rows: expected; columns: predicted)."""
    expected, how = expected_credits(gold)
    if not expected:
        return
    confusion = credit_confusion(clusters, expected)
    kinds = ["outlet", "self_then_outlet", "self", "other", "none"]
    columns = kinds + sorted({got for _, got in confusion} - set(kinds))
    print(f"credit kind accuracy: {credit_accuracy(confusion):.3f} over {sum(confusion.values())} copies ({how})")
    print(f"| expected \\ predicted | {' | '.join(columns)} |")
    print(f"|---|{'---|' * len(columns)}")
    for want in kinds:
        if any(w == want for w, _ in confusion):
            print(f"| {want} | " + " | ".join(str(confusion.get((want, got), 0)) for got in columns) + " |")
    print()


def recall_by_tag(clusters: list[dict[str, Any]], gold: Gold) -> dict[str, tuple[float, int]]:
    """For each transformation tag: share of copies with that tag that share a cluster with their story's original."""
    cluster_of = {m["id"]: c["cluster_id"] for c in clusters for m in c["members"]}
    hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for doc, story in gold.story.items():
        original = gold.original.get(story)
        if original is None or original == doc:
            continue
        joined = doc in cluster_of and cluster_of.get(doc) == cluster_of.get(original)
        for tag in gold.kind[doc].split("+"):
            hits[tag][0] += int(joined)
            hits[tag][1] += 1
    return {tag: (h / n, n) for tag, (h, n) in sorted(hits.items())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEV / "corpus")
    parser.add_argument("--gold", type=Path, default=DEV / "gold.jsonl")
    parser.add_argument("--outlets", type=Path, default=DEV / "outlets.json")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--synthetic", type=Path, default=None, metavar="DIR",
                        help="score on the generated labelled corpus in DIR (written there first if missing)")
    parser.add_argument("--stories", type=int, default=600, help="stories in the generated corpus")
    parser.add_argument("--seed", type=int, default=7, help="seed of the generated corpus")
    parser.add_argument("--finnews", type=Path, nargs="?", const=FINNEWS, default=None, metavar="JSONL",
                        help="score on the finnews reposts against the hand-judged pairs (benchmarks/finnews_gold.jsonl)")
    parser.add_argument("--show", type=int, default=0, help="with --finnews: print up to this many missed and wrong pairs")
    parser.add_argument("--tokens", choices=["chars", "words"], default=Config().tokens,
                        help="what dedup's shingles are made of (words: jieba's segmentation)")
    parser.add_argument("--shingle-size", type=int, default=Config().shingle_size, help="tokens per shingle")
    parser.add_argument("--passage-partners", type=int, default=Config().passage_partners,
                        help="earlier partners each document keeps through common passages")
    parser.add_argument("--passage-floor", type=float, default=Config().passage_floor,
                        help="least containment the passage keys must estimate for a partner")
    args = parser.parse_args(argv)
    config = Config(tokens=args.tokens, shingle_size=args.shingle_size, passage_partners=args.passage_partners,
                    passage_floor=args.passage_floor)
    if args.finnews is not None:
        if not args.finnews.is_file():
            print(f"finnews corpus {args.finnews} not found", file=sys.stderr)
            return 2
        judged(args.finnews, FINNEWS_GOLD, config, args.show)
        return 0
    if args.synthetic is not None:
        if not (args.synthetic / "gold.jsonl").exists():
            write_quality_corpus(args.synthetic, args.stories, args.seed)
        args.corpus, args.gold, args.outlets = args.synthetic / "corpus", args.synthetic / "gold.jsonl", \
            args.synthetic / "outlets.json"
    if not args.corpus.is_dir() or not args.gold.is_file():
        print(f"corpus {args.corpus} or gold {args.gold} not found", file=sys.stderr)
        return 2
    gold = load_gold(args.gold, args.outlets)
    rows: dict[str, dict[str, float]] = {}
    tags: dict[str, dict[str, tuple[float, int]]] = {}
    clusters_dedup, seconds = run_dedup(args.corpus, config, args.outlets)
    rows["dedup"] = score(clusters_dedup, gold) | {"seconds": seconds}
    tags["dedup"] = recall_by_tag(clusters_dedup, gold)
    cases = accuracy_by_case(clusters_dedup, gold)
    if not args.no_baseline:
        clusters, seconds = run_baseline(args.corpus)
        rows["datasketch"] = score(clusters, gold) | {"seconds": seconds}
        tags["datasketch"] = recall_by_tag(clusters, gold)
    names = list(rows)
    metrics = ["pair_precision", "pair_recall", "pair_f1", "pair_ari", "bcubed_f1", "canonical_acc", "origin_acc", "seconds"]
    print(f"corpus: {args.corpus}  ({len(gold.story)} documents, {len(set(gold.story.values()))} stories)")
    print(f"| metric | {' | '.join(names)} |")
    print(f"|---|{'---|' * len(names)}")
    for metric in metrics:
        print(f"| {metric} | " + " | ".join(f"{rows[n][metric]:.3f}" if metric != "seconds" else f"{rows[n][metric]:.1f}"
                                          for n in names) + " |")
    print()
    print(f"| copies joined to their original, by tag | {' | '.join(names)} | n |")
    print(f"|---|{'---|' * len(names)}---|")
    for tag in tags["dedup"]:
        print(f"| {tag} | " + " | ".join(f"{tags[n][tag][0]:.3f}" for n in names) + f" | {tags['dedup'][tag][1]} |")
    print()
    print("| dedup, by case | stories | canonical right | origin right |")
    print("|---|---|---|---|")
    for case, row in cases.items():
        print(f"| {case} | {int(row['stories'])} | {row['canonical_acc']:.3f} | {row['origin_acc']:.3f} |")
    print()
    print_credits(clusters_dedup, gold)
    merges = false_merges(clusters_dedup, gold)
    print("| dedup false merges (pairs of different stories in one cluster) | pairs |")
    print("|---|---|")
    for kind in ("same site (shared template)", "shared blurb, many sites", "market wrap-ups", "flash items", "digest pages",
                 "other"):
        print(f"| {kind} | {merges.get(kind, 0)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
