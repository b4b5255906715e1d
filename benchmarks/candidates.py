"""Candidate paths compared on the finnews gold set: which same-story pairs each one proposes.

    python -m benchmarks.candidates [--ensemble] [../shared/corpora/finnews-em-sina-2018/articles.jsonl]

For every way of proposing candidate pairs it prints how many pairs it proposes (each one costs a
verification), how many of the pairs judged "same story" in ``benchmarks/finnews_gold.jsonl`` are
among them, and how many keys it keeps per document (the memory of the key table). The paths:
dedup's whole-text and lead bands alone; with its passage keys (the default); with sampled
shingles (every shingle whose hash is a multiple of 16 or 32, a pair needing two or three in
common), the simplest containment-minded fingerprint index; and, with ``--ensemble``, datasketch's
``MinHashLSHEnsemble`` at containment 0.5 (slow: minutes for the 614 documents), whose build time
and memory per document are printed too.
"""

from __future__ import annotations

import argparse
import itertools
import time
import tracemalloc
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from benchmarks.quality import FINNEWS, FINNEWS_GOLD
from benchmarks.scoring import load_judgements
from dedup.config import Config
from dedup.engines.local.engine import scan_corpus
from dedup.stages.candidates import keys_of
from dedup.stages.sketch import shingles_of, sketch

Pair = tuple[int, int]


def pairs_sharing(keys: Iterable[Iterable[int]], max_bucket: int, at_least: int = 1) -> set[Pair]:
    """Pairs of documents with ``at_least`` keys in common, keys held by more than ``max_bucket`` skipped."""
    holders: dict[int, list[int]] = defaultdict(list)
    for doc, doc_keys in enumerate(keys):
        for key in set(doc_keys):
            holders[key].append(doc)
    shared: Counter[Pair] = Counter()
    for docs in holders.values():
        if 2 <= len(docs) <= max_bucket:
            shared.update(itertools.combinations(sorted(docs), 2))
    return {pair for pair, count in shared.items() if count >= at_least}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, nargs="?", default=FINNEWS)
    parser.add_argument("--ensemble", action="store_true", help="also run datasketch's MinHashLSHEnsemble (slow)")
    args = parser.parse_args(argv)
    config = Config()
    with scan_corpus([args.corpus], config, keep=True) as outcome:
        docs = list(outcome.result.docs)
    ids = [doc.id for doc in docs]
    position = {doc_id: k for k, doc_id in enumerate(ids)}
    same = {tuple(sorted((position[j.a], position[j.b]))) for j in load_judgements(FINNEWS_GOLD)
            if j.same and j.a in position and j.b in position}
    keys = [keys_of(doc.compared, sketch(doc.compared, config.shingle_size, config.num_perm, config.seed)[1], config)
            for doc in docs]
    bands = pairs_sharing((k[: config.total_bands].tolist() for k in keys), config.max_bucket)

    print(f"corpus: {args.corpus} ({len(docs)} documents, {len(same)} same-story pairs judged)")
    print("| candidates from | candidate pairs | same-story pairs proposed | keys per document |")
    print("|---|---|---|---|")

    def row(name: str, found: set[Pair], per_doc: float) -> None:
        print(f"| {name} | {len(found)} | {len(same & found)} / {len(same)} | {per_doc:.0f} |")

    row("whole-text and lead bands", bands, config.total_bands)
    passages = pairs_sharing((k[config.total_bands:].tolist() for k in keys), config.max_passage_bucket)
    row(f"+ {config.passage_keys} passage keys", bands | passages, config.total_keys)
    sets = [shingles_of(doc.compared, config.shingle_size) for doc in docs]
    for rate, at_least in ((16, 2), (32, 2), (16, 3)):
        sampled = [[int(h) for h in s.tolist() if (int(h) * 2654435761 & 0xFFFFFFFF) % rate == 0] for s in sets]
        row(f"+ sampled shingles (hash mod {rate}), {at_least} shared",
            bands | pairs_sharing(sampled, config.max_passage_bucket, at_least),
            config.total_bands + float(np.mean([len(s) for s in sampled])))
    if args.ensemble:
        from datasketch import MinHash, MinHashLSHEnsemble

        signatures = []
        for s in sets:
            minhash = MinHash(num_perm=config.num_perm, seed=config.seed)
            minhash.update_batch([int(h).to_bytes(4, "little") for h in s.tolist()])
            signatures.append(minhash)
        tracemalloc.start()
        started = time.perf_counter()
        ensemble = MinHashLSHEnsemble(threshold=config.threshold, num_perm=config.num_perm, num_part=16)
        ensemble.index([(k, signatures[k], len(sets[k])) for k in range(len(sets))])
        built, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        started = time.perf_counter()
        found = {tuple(sorted((k, other))) for k in range(len(sets))
                 for other in ensemble.query(signatures[k], len(sets[k])) if other != k}
        queried = time.perf_counter() - started
        row("MinHashLSHEnsemble alone", found, 0)
        print(f"\nMinHashLSHEnsemble: build {built / len(sets) * 1000:.0f} ms per document, "
              f"{peak / len(sets) / 1024:.1f} KiB per document, query {queried / len(sets) * 1000:.1f} ms per document")


if __name__ == "__main__":
    main()
